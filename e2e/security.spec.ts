import { expect, type Page, type Request, test } from "@playwright/test";
import { readFileSync } from "node:fs";

import { CONSOLE_API_CLIENT_SECRET } from "../sandbox/contract";
import { CONSOLE_ORIGIN, E2E_DATA_DIR } from "./support/env";
import { callsOnSomeonesBehalf, sandbox } from "./support/sandbox";
import { buildServerActions, postRead, postServerAction } from "./support/server-actions";
import { SESSION_COOKIE, signIn } from "./support/sign-in";

// Three base64url segments, the first starting with `{"`: a JWT. (MSAL's `state` is base64 JSON but has no dots.)
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;

async function sessionCookie(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  if (!cookie) throw new Error("not signed in");
  return `${cookie.name}=${cookie.value}`;
}

test.describe("CSRF: server-action and read posts from elsewhere change nothing", () => {
  const variants: Array<[string, { origin?: string | null; headers?: Record<string, string> }]> = [
    ["a foreign Origin", { origin: "https://evil.test" }],
    ["Origin: null", { origin: "null" }],
    ["no Origin at all", { origin: null }],
    ["a foreign Origin with a spoofed X-Forwarded-Host", { origin: "https://evil.test", headers: { "X-Forwarded-Host": "evil.test" } }],
    ["our Origin on another port", { origin: "http://localhost:3999" }],
    ["Sec-Fetch-Site: cross-site", { headers: { "Sec-Fetch-Site": "cross-site" } }],
  ];

  // Each post is one that would show if it ran: the read calls Graph and ARM as the admin, and signing out would end
  // the session the page goes on to use.
  for (const [name, variant] of variants) {
    test(name, async ({ page, request }) => {
      await signIn(page, "admin");
      const cookie = await sessionCookie(page);
      const before = await sandbox.journal.lastSeq();
      const read = await postRead(request, "verifyAzureAccess", { ...variant, cookie });
      expect(await read.text()).not.toContain('"status":"success"');
      expect(read.status()).toBe(403);
      const action = await postServerAction(request, buildServerActions().get("signOut")!, { ...variant, cookie });
      expect(await action.text()).not.toContain('"status":"success"');
      expect(callsOnSomeonesBehalf((await sandbox.journal.since(before)).entries)).toEqual([]);
      // The session is untouched and still works from the real page.
      await page.goto("/account");
      await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
    });
  }

  // The browser's own cross-site posts (security test plan row 3): a page elsewhere that auto-submits a no-JavaScript server
  // action form at the console, at the top level and from a sandboxed iframe (Origin: null), while the admin is signed in.
  // `mustLeaveBrowser`: Chromium's Local Network Access check may stop the sandboxed frame's post before it is sent,
  // which protects as well; the top-level post is always sent, so the console's own refusal is tested there.
  const attacks: Array<[string, boolean, (form: string) => string]> = [
    ["an auto-submitting form on another site", true, (form) => `<!doctype html><body>${form}<script>document.forms[0].submit()</script></body>`],
    [
      "a form in a sandboxed iframe on another site",
      false,
      (form) =>
        `<!doctype html><body><iframe sandbox="allow-forms allow-scripts" srcdoc="${form.replaceAll('"', "&quot;")}<script>document.forms[0].submit()</script>"></iframe></body>`,
    ],
  ];
  // What such a form can post: a no-JavaScript server action form (signing out, which would end the session), and a
  // text/plain form whose body reads as JSON at the reads route (which takes application/json only).
  const targets: Array<[string, string, () => string]> = [
    [
      "a server action",
      "/account",
      () =>
        `<form method="post" enctype="multipart/form-data" action="${CONSOLE_ORIGIN}/account"><input type="hidden" name="$ACTION_ID_${buildServerActions().get("signOut")!}" value=""></form>`,
    ],
    [
      "a read",
      "/api/reads/verifyAzureAccess",
      () =>
        `<form method="post" enctype="text/plain" action="${CONSOLE_ORIGIN}/api/reads/verifyAzureAccess"><input type="hidden" name='{"x":"' value='"}'></form>`,
    ],
  ];
  for (const [name, mustLeaveBrowser, attackPage] of attacks) {
    for (const [what, path, formFor] of targets) {
      test(`${name}: ${what}`, async ({ page }) => {
        await signIn(page, "admin");
        const form = formFor();
        await page.route("http://127.0.0.2:3999/**", (route) => route.fulfill({ contentType: "text/html", body: attackPage(form) }));
        const before = await sandbox.journal.lastSeq();
        const posts: Request[] = [];
        page.on("request", (request) => {
          if (request.method() === "POST" && request.url().startsWith(`${CONSOLE_ORIGIN}${path}`)) posts.push(request);
        });
        await page.goto("http://127.0.0.2:3999/attack");
        // The form's frame ends on the console's answer, or on the browser's own error page when it blocked the post.
        await expect
          .poll(() => page.frames().some((frame) => frame.url().startsWith(`${CONSOLE_ORIGIN}${path}`) || frame.url().startsWith("chrome-error:")), {
            timeout: 20_000,
          })
          .toBe(true);
        if (mustLeaveBrowser) expect(posts).toHaveLength(1);
        for (const post of posts) {
          // It left the browser carrying the attacker's origin (or none at all from the sandboxed frame).
          expect((await post.allHeaders())["origin"]).toMatch(/^(http:\/\/127\.0\.0\.2:3999|null)$/);
          await (await post.response())?.finished();
        }
        expect(callsOnSomeonesBehalf((await sandbox.journal.since(before)).entries)).toEqual([]);
        await page.goto("/account");
        await expect(page.getByRole("heading", { name: "Account" })).toBeVisible();
      });
    }
  }

  test("the session endpoint refuses a token posted from another origin", async ({ request }) => {
    const response = await request.post(`${CONSOLE_ORIGIN}/api/session`, {
      headers: { Origin: "https://evil.test", Authorization: "Bearer eyJhbGciOiJSUzI1NiJ9.e30.x" },
      failOnStatusCode: false,
    });
    expect(response.status()).toBe(403);
    expect(response.headers()["set-cookie"]).toBeUndefined();
  });
});

test("no token-shaped string reaches HTML, RSC payloads, bundles, storage or logs", async ({ page, request }) => {
  await signIn(page, "admin");
  await page.goto("/account");
  await page.getByRole("button", { name: "Check my Azure access" }).click();
  await expect(page.getByText(/Microsoft Graph: signed in as/)).toBeVisible();

  const cookie = await sessionCookie(page);
  for (const path of ["/", "/account", "/signin"]) {
    const html = await (await request.get(`${CONSOLE_ORIGIN}${path}`, { headers: { Cookie: cookie } })).text();
    expect(html, `HTML of ${path}`).not.toMatch(JWT);
    const rsc = await (await request.get(`${CONSOLE_ORIGIN}${path}`, { headers: { Cookie: cookie, RSC: "1" } })).text();
    expect(rsc, `RSC payload of ${path}`).not.toMatch(JWT);
  }

  const scripts: string[] = await page.locator("script[src]").evaluateAll((nodes) => nodes.map((node) => (node as HTMLScriptElement).src));
  expect(scripts.length).toBeGreaterThan(0);
  for (const src of scripts) {
    expect(await (await request.get(src)).text(), src).not.toMatch(JWT);
  }

  const storage = await page.evaluate(() => ({
    local: Object.entries(localStorage) as Array<[string, string]>,
    session: Object.entries(sessionStorage) as Array<[string, string]>,
  }));
  for (const [key, value] of storage.local) expect(`${key}=${value}`, "localStorage").not.toMatch(JWT);
  // MSAL's cache is in memory: the browser's storage holds no token at all (e2e/auth.spec.ts follows it through
  // renewal and step-up too).
  for (const [key, value] of storage.session) expect(`${key}=${value}`, "sessionStorage").not.toMatch(JWT);

  const logs = ["console.log", "sandbox.log"].map((file) => readFileSync(`${E2E_DATA_DIR}/logs/${file}`, "utf8"));
  expect(logs[0]!.length).toBeGreaterThan(0);
  for (const text of logs) {
    expect(text).not.toMatch(JWT);
    // security test plan row 29: no client secret, and no authorization code or secret in a logged URL or form.
    expect(text).not.toContain(CONSOLE_API_CLIENT_SECRET);
    expect(text).not.toMatch(/[?&](code|client_secret|client_assertion|refresh_token)=[^&\s"]{8,}/);
  }
});
