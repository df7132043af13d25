import { expect, type Page } from "@playwright/test";

import { PERSONAS, type PersonaKey } from "./personas";

/** Signs in through the real flow: the console's sign-in page → the sandbox's Entra sign-in page → back. */
export async function signIn(page: Page, persona: PersonaKey, startPath = "/"): Promise<void> {
  const { login, password } = PERSONAS[persona];
  await page.goto(startPath);
  await page.getByRole("button", { name: "Sign in with Microsoft" }).click();
  await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
  await page.locator("#login").fill(login);
  await page.locator("#passwd").fill(password);
  await page.locator("#submit").click();
  await page.waitForURL((url) => url.origin === new URL(page.url()).origin && !url.pathname.startsWith("/signin"), {
    timeout: 30_000,
  });
  await expect(page.getByRole("button", { name: /^Account: / })).toBeVisible();
}

export const SESSION_COOKIE = "__Host-gatehouse-session";
