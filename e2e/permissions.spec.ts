import { expect, test } from "@playwright/test";

import { actionNames, isAllowed, type ConsoleAction } from "../lib/shared/permissions";
import { currentJournalSeq, dataCalls, journalSince } from "./support/sandbox";
import { PERSONAS, type PersonaKey } from "./support/personas";
import { buildServerActions, postServerAction } from "./support/server-actions";
import { SESSION_COOKIE, signIn } from "./support/sign-in";

test("every server action in the build has an entry in the permission matrix", () => {
  const built = [...buildServerActions().keys()].sort();
  expect(built.length).toBeGreaterThan(0);
  expect(built).toEqual(actionNames().sort());
});

/** Actions that call Graph or ARM when they run; the others change only Gatehouse's own state. */
const CALLS_UPSTREAM: ReadonlySet<ConsoleAction> = new Set(["verifyAzureAccess"]);
// Signing out ends the session, so it runs last for each persona.
const ORDER = (actionNames() as ConsoleAction[]).sort((a, b) => Number(a === "signOut") - Number(b === "signOut"));

test("without a session every action is refused before any upstream call", async ({ request }) => {
  const actions = buildServerActions();
  for (const action of ORDER) {
    const before = await currentJournalSeq();
    const body = await (await postServerAction(request, actions.get(action)!)).text();
    expect(body, action).toContain('"code":"unauthenticated"');
    expect(dataCalls((await journalSince(before)).entries), action).toEqual([]);
  }
});

for (const persona of Object.keys(PERSONAS) as PersonaKey[]) {
  test(`permission matrix cells for ${persona}`, async ({ page, request }) => {
    await signIn(page, persona);
    const cookieValue = (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!.value;
    const actions = buildServerActions();
    for (const action of ORDER) {
      const before = await currentJournalSeq();
      const body = await (await postServerAction(request, actions.get(action)!, { cookie: `${SESSION_COOKIE}=${cookieValue}` })).text();
      const calls = dataCalls((await journalSince(before)).entries);
      if (isAllowed(action, PERSONAS[persona].roles)) {
        expect(body, `${persona} may ${action}`).toContain('"status":"success"');
        if (CALLS_UPSTREAM.has(action)) expect(calls.length, `${action} reached Graph/ARM`).toBeGreaterThan(0);
      } else {
        expect(body, `${persona} may not ${action}`).toContain('"code":"forbidden"');
        expect(calls, `${persona} denied ${action}: no upstream call`).toEqual([]);
      }
    }
  });
}
