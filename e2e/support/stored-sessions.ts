import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { type Browser, type BrowserContext, expect, type Page } from "@playwright/test";

import { CONSOLE_ORIGIN, E2E_DATA_DIR } from "./env";
import type { PersonaKey } from "./personas";
import { SESSION_COOKIE, signIn } from "./sign-in";

/**
 * Signed-in browser state per persona, so the specs that are not about signing in skip the sign-in page: the
 * `sign-in` setup project (e2e/sign-in.setup.ts) signs each persona in once through the real flow and saves what the
 * browser then holds; `resumeSignIn` puts a page back in that state.
 *
 * That is Playwright's storage state: cookies — the console's session cookie (an opaque id of a session the console
 * keeps in its database, so the console must be the one of this run, or share its database) and the sandbox's SSO
 * cookie — and local storage. Nothing else is needed: MSAL keeps its cache in memory, so a page loaded from the stored
 * state is what any reload of a signed-in page is — the server's session through the cookie, and renewal before the
 * token ends through Entra's session cookie (SessionKeeper, ssoSilent). e2e/auth.spec.ts checks that the browser's
 * storage never holds a token. A stored session a spec ended (sign-out, the account page) is made again by signing in.
 * Auth, security and permission specs keep signing in through the UI (`signIn`).
 */

/** The personas the setup project signs in: those the specs below use. */
export const STORED_PERSONAS = ["admin", "limited-admin", "team-lead", "security"] as const satisfies readonly PersonaKey[];
export type StoredPersona = (typeof STORED_PERSONAS)[number];

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

interface StoredSession {
  readonly storageState: StorageState;
  /** When it was saved (ms since the epoch). */
  readonly savedAt: number;
}

/** Under the run's data directory, so the main and the production run (each with its own tenant) never share one. */
const SESSIONS_DIR = path.join(E2E_DATA_DIR, "e2e-sessions");
/**
 * A stored session older than this is made again rather than left to the console's renewal (in the middle of a spec):
 * the sandbox's tokens last an hour, and the session's token is the one of its sign-in.
 */
const MAX_AGE_MS = 45 * 60_000;

const sessionFile = (persona: StoredPersona) => path.join(SESSIONS_DIR, `${persona}.json`);

/** Saves what the browser holds after `signIn(page, persona)`. */
export async function saveSession(page: Page, persona: StoredPersona): Promise<void> {
  expect(new URL(page.url()).origin).toBe(CONSOLE_ORIGIN);
  const session: StoredSession = {
    storageState: await page.context().storageState({ indexedDB: true }),
    savedAt: Date.now(),
  };
  mkdirSync(SESSIONS_DIR, { recursive: true });
  writeFileSync(sessionFile(persona), JSON.stringify(session), { mode: 0o600 });
}

function storedSession(persona: StoredPersona): StoredSession {
  try {
    return JSON.parse(readFileSync(sessionFile(persona), "utf8")) as StoredSession;
  } catch (error) {
    throw new Error(`no stored session for ${persona}: the sign-in setup project (e2e/sign-in.setup.ts) did not run or failed`, { cause: error });
  }
}

/**
 * Leaves `page` where `signIn(page, persona, startPath)` leaves it — signed in, on `startPath`, the account menu
 * shown — from the stored session, without the sign-in page. Call it where the spec would sign in: the page's
 * context is given the stored cookies then, not before.
 */
export async function resumeSignIn(page: Page, persona: StoredPersona, startPath = "/"): Promise<void> {
  const session = storedSession(persona);
  const cookie = session.storageState.cookies.find((candidate) => candidate.name === SESSION_COOKIE);
  if (!cookie || session.savedAt < Date.now() - MAX_AGE_MS) {
    // A run long enough for the setup's tokens to near their end: sign in again, and keep that for the next spec.
    await signInAgain(page, persona, startPath);
    return;
  }
  await page.context().setStorageState(session.storageState);
  await page.goto(startPath);
  const account = page.getByRole("button", { name: /^Account: / });
  const signInButton = page.getByRole("button", { name: "Sign in with Microsoft" });
  await expect(account.or(signInButton)).toBeVisible();
  // The stored session was ended (a spec signed it out or ended it on the account page): sign in again.
  if (await signInButton.isVisible()) await signInAgain(page, persona, startPath);
}

/** Signs in through the sign-in page (without the stored cookies, so the sandbox asks for the password) and stores it. */
async function signInAgain(page: Page, persona: StoredPersona, startPath: string): Promise<void> {
  await page.context().clearCookies();
  await signIn(page, persona, startPath);
  await saveSession(page, persona);
}

/** A new browser context with `persona` signed in (from the stored session), and its page. */
export async function storedSessionPage(browser: Browser, persona: StoredPersona, startPath = "/"): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await resumeSignIn(page, persona, startPath);
  return page;
}
