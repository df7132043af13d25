import { expect, test } from "@playwright/test";

import { PERSONAS } from "./support/personas";
import { sandbox } from "./support/sandbox";
import { openSignInPopup, SESSION_COOKIE, signIn, signInInPopup } from "./support/sign-in";

/** The sandbox's Entra session cookie (sandbox/entra/authorize.ts), what Entra's own session cookie stands for. */
const SANDBOX_SSO_COOKIE = "gatehouse_sandbox_session";

test.describe("each persona lands where its role allows", () => {
  for (const persona of ["admin", "team-lead", "security"] as const) {
    test(`${persona} signs in and sees the console with its role`, async ({ page }) => {
      await signIn(page, persona);
      await expect(page.getByRole("heading", { level: 1, name: /^Welcome, / })).toBeVisible();
      for (const role of PERSONAS[persona].roles) await expect(page.getByText(role, { exact: true })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Primary" })).toBeVisible();
    });
  }

  test("with Assignment required off, a user with no console role signs in and sees the no-access page", async ({ page }) => {
    await sandbox.consoleApiAssignmentRequired.set(false);
    try {
      await signIn(page, "no-role");
      await expect(page.getByRole("heading", { name: "No access to Gatehouse" })).toBeVisible();
      await expect(page.getByText("Console.Admin", { exact: true })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Primary" })).toHaveCount(0);
    } finally {
      await sandbox.consoleApiAssignmentRequired.set(true);
    }
  });

  test("a user reached only through a nested group is refused by Entra (AADSTS50105) and never reaches the console", async ({ page }) => {
    const { login, password } = PERSONAS["no-role"];
    await page.goto("/");
    const popup = await openSignInPopup(page, () => page.getByRole("button", { name: "Sign in with Microsoft" }).click());
    await popup.locator("#login").fill(login);
    await popup.locator("#passwd").fill(password);
    await popup.locator("#submit").click();
    // Entra's own error page, in the popup; it never returns to the console.
    await expect(popup.locator('[data-error-code="AADSTS50105"]')).toBeVisible();
    await expect(popup).toHaveURL(/\/oauth2\/v2\.0\/authorize/);
    await expect(page.getByRole("button", { name: /^Account: / })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Sign in with Microsoft" })).toBeVisible();
  });
});

test("the session cookie is HttpOnly, Secure, SameSite=Strict, an opaque id, and lives no longer than the session's absolute lifetime", async ({
  page,
  context,
}) => {
  await signIn(page, "admin");
  const cookie = (await context.cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
  expect(cookie?.domain).toBe("localhost");
  // 256 random bits, not the token: the token stays on the server.
  expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // The session ends at most 12 hours (the default absolute lifetime) after sign-in; so does its cookie.
  expect(cookie!.expires * 1000).toBeLessThanOrEqual(Date.now() + 12 * 3600_000 + 5_000);
  expect(cookie!.expires * 1000).toBeGreaterThan(Date.now() + 11 * 3600_000);
});

test("an expired session cookie is not an error: after a reload, one click signs in again on Entra's session, without a password", async ({
  page,
  context,
}) => {
  await signIn(page, "admin");
  await context.clearCookies({ name: SESSION_COOKIE });
  // A reload empties MSAL's memory cache: nobody is known, so the sign-in page.
  await page.goto("/account");
  await page.waitForURL(/\/signin/);
  const popup = await openSignInPopup(page, () => page.getByRole("button", { name: "Sign in with Microsoft" }).click());
  // Entra's session cookie signs the same person in: the popup shows no page and closes by itself.
  await popup.waitForEvent("close", { timeout: 30_000 });
  await page.waitForURL((url) => url.pathname === "/account");
  await expect(page.getByText("admin@contosoml.onmicrosoft.com").first()).toBeVisible();
});

test("signing out ends access, for every copy of the cookie at once", async ({ page, context, browser }) => {
  await signIn(page, "admin");
  const copied = (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!;
  await page.getByRole("button", { name: /^Account: / }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin\?signedOut=1/);
  await expect(page.getByText("You have signed out.")).toBeVisible();
  expect((await context.cookies()).some((cookie) => cookie.name === SESSION_COOKIE)).toBe(false);
  // Going back to a console page asks for sign-in again instead of restoring the session.
  await page.goto("/account");
  await page.waitForURL(/\/signin/);
  await expect(page.getByRole("button", { name: "Sign in with Microsoft" })).toBeVisible();

  // The cookie copied before sign-out, in a browser of its own: the signed-out view, and no data.
  const elsewhere = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    await elsewhere.addCookies([copied]);
    const thief = await elsewhere.newPage();
    await thief.goto("/account");
    await thief.waitForURL(/\/signin/);
    await expect(thief.getByRole("button", { name: "Sign in with Microsoft" })).toBeVisible();
    await expect(thief.getByText("admin@contosoml.onmicrosoft.com")).toHaveCount(0);
    const exported = await thief.request.get("/api/audit/export?format=jsonl", { headers: { Cookie: `${SESSION_COOKIE}=${copied.value}` } });
    expect(exported.status()).toBe(401);
  } finally {
    await elsewhere.close();
  }
});

test("the account page lists the person's sessions, and ending one from another browser signs that one out", async ({ page, browser }) => {
  await signIn(page, "team-lead", "/account");
  const mine = page.getByRole("table", { name: "Your sessions" }).getByRole("row").filter({ hasText: "This session" });
  await expect(mine).toHaveCount(1);
  const firstSession = (await mine.getByRole("cell").first().innerText()).replace("This session", "").trim();
  expect(firstSession).toMatch(/^[0-9a-f]{8}$/);

  const other = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const laptop = await other.newPage();
    await signIn(laptop, "team-lead", "/account");
    const sessions = laptop.getByRole("table", { name: "Your sessions" });
    // Both browsers' sessions are listed; this one is marked, the first one is not.
    await expect(sessions.getByRole("row").filter({ hasText: "This session" })).toHaveCount(1);
    await expect(sessions.getByRole("row").filter({ hasText: "This session" })).not.toContainText(firstSession);
    await sessions.getByRole("button", { name: `End session ${firstSession}` }).click();
    await expect(sessions.getByRole("button", { name: `End session ${firstSession}` })).toHaveCount(0);
    await expect(laptop.getByRole("heading", { name: "Account" })).toBeVisible();

    // The first browser is signed out at its next request.
    await page.reload();
    await page.waitForURL(/\/signin/);
    await expect(page.getByRole("button", { name: "Sign in with Microsoft" })).toBeVisible();
  } finally {
    await other.close();
  }
});

test("the account page proves on-behalf-of to Graph and ARM as the signed-in admin", async ({ page }) => {
  await signIn(page, "admin");
  await page.goto("/account");
  await page.getByRole("button", { name: "Check my Azure access" }).click();
  await expect(page.getByText(/Microsoft Graph: signed in as Avery Admin/)).toBeVisible();
  await expect(page.getByText(/Azure Resource Manager: 1 subscription/)).toBeVisible();
});

test("keyboard users can open the account menu and reach sign-out", async ({ page }) => {
  await signIn(page, "security");
  await page.getByRole("button", { name: /^Account: / }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menuitem", { name: "Sign out" })).toHaveCount(0);
});

test("a claims challenge (e.g. MFA required) tells the admin why, re-prompts in a popup, and then works on the same page", async ({ page }) => {
  await signIn(page, "admin");
  const demand = await sandbox.interactionRequired.demand({ user: "admin@contosoml.onmicrosoft.com" });
  expect(demand.userObjectId).toBeTruthy();

  await page.goto("/account");
  await page.getByRole("button", { name: "Check my Azure access" }).click();
  await expect(page.getByText(/requires you to sign in again/).first()).toBeVisible();
  const popup = await openSignInPopup(page, () => page.getByRole("button", { name: "Continue to Microsoft sign-in" }).click());
  await signInInPopup(popup, "admin");
  // The check runs again with the new sign-in's token.
  await expect(page.getByText(/Microsoft Graph: signed in as Avery Admin/)).toBeVisible();
  await expect(page).toHaveURL(/\/account$/);
});

test("the session is renewed silently before the token expires, in place", async ({ page, context }) => {
  // Short-lived tokens, so the renewal (four minutes before expiry) is due seconds after sign-in.
  const settings = await sandbox.updateSettings({ accessTokenLifetimeSeconds: 250 });
  expect(settings.accessTokenLifetimeSeconds).toBe(250);
  try {
    await signIn(page, "security");
    const first = (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!;
    // The next token is handed over with the session's cookie: the session keeps its id, so its cookie stays.
    const renewal = await page.waitForResponse((response) => response.url().endsWith("/api/session") && response.request().method() === "POST", {
      timeout: 30_000,
    });
    expect(renewal.ok()).toBe(true);
    expect((await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)?.value).toBe(first.value);
    await page.goto("/account");
    await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
    await expect(page.getByRole("table", { name: "Your sessions" }).getByText("This session")).toHaveCount(1);
  } finally {
    await sandbox.updateSettings({ accessTokenLifetimeSeconds: 3600 });
  }
});

test("after a reload, renewal tries Entra's session in a hidden iframe; with third-party cookies blocked, a one-click popup renews the same session", async ({
  page,
  context,
}) => {
  const settings = await sandbox.updateSettings({ accessTokenLifetimeSeconds: 250 });
  expect(settings.accessTokenLifetimeSeconds).toBe(250);
  try {
    await signIn(page, "security");
    const first = (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!;
    // MSAL's memory cache is gone with the reload; the server gives the page the person's login hint (never a token).
    const silent = page.waitForResponse((response) => response.url().includes("/oauth2/v2.0/authorize") && response.url().includes("prompt=none"), {
      timeout: 30_000,
    });
    await page.reload();
    const answer = await silent;
    expect(new URL(answer.url()).searchParams.get("login_hint")).toBe(PERSONAS.security.login);
    expect(answer.request().frame().parentFrame()).not.toBeNull();
    // This Chromium does not send the sandbox's SSO cookie to a cross-site iframe (third-party cookies blocked, as in
    // Safari and private windows): Entra answers login_required (AADSTS50058) and the console asks for a sign-in.
    expect(answer.headers()["location"]).toContain("error=login_required");
    const banner = page.getByRole("alert").filter({ hasText: "Sign in again to continue" });
    await expect(banner).toBeVisible({ timeout: 30_000 });

    // In the popup the SSO cookie is first-party: no password, and the popup closes by itself.
    const handedOver = page.waitForResponse((response) => response.url().endsWith("/api/session") && response.request().method() === "POST");
    const popup = await openSignInPopup(page, () => banner.getByRole("button", { name: "Sign in again to continue" }).click());
    await popup.waitForEvent("close", { timeout: 30_000 });
    expect((await handedOver).ok()).toBe(true);
    await expect(banner).toHaveCount(0);
    expect((await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)?.value).toBe(first.value);
  } finally {
    await sandbox.updateSettings({ accessTokenLifetimeSeconds: 3600 });
  }
});

test("no token is kept in sessionStorage or localStorage: not after sign-in, renewal, a reload or a step-up", async ({ page }) => {
  /**
   * Storage entries that hold a token: JWT-shaped values, or MSAL's credential entries (keys such as
   * `msal.2|<account>|<host>|accesstoken|…`, or the key lists naming them).
   */
  const tokensInStorage = () =>
    page.evaluate(() => {
      const found: string[] = [];
      for (const [area, storage] of [
        ["sessionStorage", window.sessionStorage],
        ["localStorage", window.localStorage],
      ] as const) {
        for (const [key, value] of Object.entries(storage) as Array<[string, string]>) {
          if (/eyJ[A-Za-z0-9_-]{5,}/.test(value) || /[|.-](accesstoken|refreshtoken|idtoken)[|.-]/i.test(`${key} ${value}`)) found.push(`${area}: ${key}`);
        }
      }
      return found;
    });

  await sandbox.updateSettings({ accessTokenLifetimeSeconds: 250 });
  try {
    await signIn(page, "admin", "/account");
    expect(await tokensInStorage()).toEqual([]);

    // Renewal from the page's own (memory) cache and refresh token, a few seconds after sign-in with these short tokens.
    const renewed = await page.waitForResponse((response) => response.url().endsWith("/api/session") && response.request().method() === "POST", {
      timeout: 30_000,
    });
    expect(renewed.ok()).toBe(true);
    expect(await tokensInStorage()).toEqual([]);

    // After a reload: the hidden iframe (refused here, third-party cookies blocked), then a popup on Entra's session.
    await page.reload();
    const banner = page.getByRole("alert").filter({ hasText: "Sign in again to continue" });
    await expect(banner).toBeVisible({ timeout: 30_000 });
    expect(await tokensInStorage()).toEqual([]);
    const popup = await openSignInPopup(page, () => banner.getByRole("button", { name: "Sign in again to continue" }).click());
    await popup.waitForEvent("close", { timeout: 30_000 });
    await expect(banner).toHaveCount(0);
    expect(await tokensInStorage()).toEqual([]);

    // A claims challenge (MFA) answered in a popup.
    await sandbox.interactionRequired.demand({ user: PERSONAS.admin.login });
    await page.getByRole("button", { name: "Check my Azure access" }).click();
    const stepUp = await openSignInPopup(page, () => page.getByRole("button", { name: "Continue to Microsoft sign-in" }).click());
    await signInInPopup(stepUp, "admin");
    await expect(page.getByText(/Microsoft Graph: signed in as Avery Admin/)).toBeVisible();
    expect(await tokensInStorage()).toEqual([]);
  } finally {
    await sandbox.updateSettings({ accessTokenLifetimeSeconds: 3600 });
  }
});

test.describe("the end of an SPA's 24-hour refresh token", () => {
  test.afterEach(async () => {
    // Other tests share this sandbox: leave its clock where we found it, pass or fail.
    await sandbox.clock.reset();
  });

  test("silent renewal a day after sign-in, with no Entra session left, offers a popup sign-in; the page stays and its session is renewed", async ({
    page,
    context,
  }) => {
    test.setTimeout(120_000);
    // The browser's clock is Playwright's, so the session keeper's renewal timer can be brought forward.
    await page.clock.install();
    await signIn(page, "admin", "/account");
    const firstCookie = (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)?.value;
    expect(firstCookie).toBeDefined();

    // A day and an hour later for Entra: the refresh token the page holds has passed its fixed 24 hours, and Entra's
    // own session is gone too (or third-party cookies are blocked), so the hidden iframe cannot help either.
    await sandbox.clock.advance(25 * 3600);
    await context.clearCookies({ name: SANDBOX_SSO_COOKIE });
    const since = await sandbox.journal.lastSeq();
    // The keeper renews a few minutes before the session's token expires (an hour after sign-in).
    await page.clock.fastForward("57:00");

    const banner = page.getByRole("alert").filter({ hasText: "Sign in again to continue" });
    await expect(banner).toBeVisible({ timeout: 30_000 });
    // Entra refused the refresh token (AADSTS700084), which is why the keeper asks for a sign-in.
    const tokenCalls = await sandbox.journal.list({ system: "entra", since, pathContains: "/oauth2/v2.0/token" });
    expect(tokenCalls.entries.map((entry) => entry.status)).toContain(400);
    // Still signed in meanwhile: nothing is lost before the person chooses to sign in again.
    await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();

    // Back on the wall clock (tokens from the sandbox's future would not be valid yet for the console), then sign in.
    await sandbox.clock.reset();
    const handedOver = page.waitForResponse((response) => response.url().endsWith("/api/session") && response.request().method() === "POST");
    const popup = await openSignInPopup(page, () => banner.getByRole("button", { name: "Sign in again to continue" }).click());
    await signInInPopup(popup, "admin");
    expect((await handedOver).ok()).toBe(true);
    await expect(banner).toHaveCount(0);
    await expect(page).toHaveURL(/\/account$/);
    const renewedCookie = (await context.cookies()).find((cookie) => cookie.name === SESSION_COOKIE)?.value;
    expect(renewedCookie).toBe(firstCookie);
    // The session works: the account page reaches Graph and ARM on the admin's behalf.
    await page.getByRole("button", { name: "Check my Azure access" }).click();
    await expect(page.getByText(/Microsoft Graph: signed in as Avery Admin/)).toBeVisible();
  });
});
