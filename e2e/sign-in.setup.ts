/**
 * The `sign-in` setup project: signs each persona in once through the real flow (the console's sign-in page, the
 * sandbox's Entra page, back) and stores what the browser then holds, for the specs that are not about signing in
 * (see support/stored-sessions.ts). It runs before the specs of every run.
 */
import { test as setup } from "@playwright/test";

import { signIn } from "./support/sign-in";
import { saveSession, STORED_PERSONAS } from "./support/stored-sessions";

for (const persona of STORED_PERSONAS) {
  setup(`sign in as ${persona}`, async ({ page }) => {
    await signIn(page, persona);
    await saveSession(page, persona);
  });
}
