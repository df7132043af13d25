import { expect, type Page } from "@playwright/test";

import { PERSONAS, type PersonaKey } from "./personas";

/**
 * Clicks `trigger`, which opens MSAL's sign-in popup, and returns the popup. The console's page stays where it is
 * underneath; the popup ends on the console's redirect bridge (/auth/redirect), which hands Entra's answer to the page
 * and closes.
 */
export async function openSignInPopup(page: Page, trigger: () => Promise<unknown>): Promise<Page> {
  const opened = page.waitForEvent("popup");
  await trigger();
  return opened;
}

/** Signs `persona` in on the sandbox's Entra page in `popup`, and waits for the popup to close. */
export async function signInInPopup(popup: Page, persona: PersonaKey): Promise<void> {
  const { login, password } = PERSONAS[persona];
  const closed = popup.waitForEvent("close", { timeout: 30_000 });
  await popup.locator("#login").fill(login);
  await popup.locator("#passwd").fill(password);
  await popup.locator("#submit").click();
  await closed;
}

/** Signs in through the real flow: the console's sign-in page → the sandbox's Entra sign-in page in a popup → the console. */
export async function signIn(page: Page, persona: PersonaKey, startPath = "/"): Promise<void> {
  await page.goto(startPath);
  const popup = await openSignInPopup(page, () => page.getByRole("button", { name: "Sign in with Microsoft" }).click());
  await signInInPopup(popup, persona);
  await page.waitForURL((url) => !url.pathname.startsWith("/signin"), { timeout: 30_000 });
  await expect(page.getByRole("button", { name: /^Account: / })).toBeVisible();
}

export const SESSION_COOKIE = "__Host-gatehouse-session";
