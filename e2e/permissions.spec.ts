import { type APIRequestContext, expect, type Page, test } from "@playwright/test";

import { ACTION_AUDIT } from "../lib/shared/action-audit";
import { actionNames, type ConsoleAction, serverActionNames } from "../lib/shared/permissions";
import { PERMISSION_TABLE, PERSONA_COLUMN } from "../test/security/permission-table";
import { CONSOLE_ORIGIN } from "./support/env";
import { callsOnSomeonesBehalf, sandbox } from "./support/sandbox";
import { PERSONAS, type PersonaKey } from "./support/personas";
import { buildServerActions, postConsoleCall } from "./support/server-actions";
import { SESSION_COOKIE, signIn } from "./support/sign-in";

test("every server action in the build has an entry in the permission matrix", () => {
  const built = [...buildServerActions().keys()].sort();
  expect(built.length).toBeGreaterThan(0);
  expect(built).toEqual(serverActionNames().sort());
});

/** Actions that call Graph or ARM when they run without input; the others need input or change only Gatehouse. */
const CALLS_UPSTREAM: ReadonlySet<ConsoleAction> = new Set(["verifyAzureAccess"]);
// Signing out ends the session, so it runs last for each persona.
const ORDER = (actionNames() as ConsoleAction[]).sort((a, b) => Number(a === "signOut") - Number(b === "signOut"));

interface AuditLine {
  readonly action: string;
  readonly actor: { readonly kind: string; readonly objectId: string | null };
  readonly details: { readonly consoleAction?: string; readonly deniedBecause?: string };
}

async function cookieOf(page: Page): Promise<string> {
  const value = (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!.value;
  return `${SESSION_COOKIE}=${value}`;
}

/** The trail's refusals, read as a security reviewer would: through the audit export. */
async function refusals(request: APIRequestContext, readerCookie: string): Promise<AuditLine[]> {
  const response = await request.get(`${CONSOLE_ORIGIN}/api/audit/export?format=jsonl&action=authz.denied`, { headers: { Cookie: readerCookie } });
  expect(response.status()).toBe(200);
  return (await response.text())
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as AuditLine);
}

function countFor(lines: readonly AuditLine[], action: string, objectId: string | null): number {
  return lines.filter(
    (line) => line.details.consoleAction === action && (objectId === null ? line.actor.kind === "anonymous" : line.actor.objectId === objectId),
  ).length;
}

let readerCookie: string;
test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage({ ignoreHTTPSErrors: true });
  await signIn(page, "security");
  readerCookie = await cookieOf(page);
  await page.close();
});

/** What the trail has counted of each refusal reason so far (`security.refusals_counted`, flushed once a minute is over). */
async function countedRefusals(request: APIRequestContext, readerCookie: string): Promise<Map<string, number>> {
  const response = await request.get(`${CONSOLE_ORIGIN}/api/audit/export?format=jsonl&action=security.refusals_counted`, {
    headers: { Cookie: readerCookie },
  });
  expect(response.status()).toBe(200);
  const counts = new Map<string, number>();
  for (const line of (await response.text()).split("\n").filter((text) => text.trim() !== "")) {
    const { details } = JSON.parse(line) as { details: { reasons: { reason: string; count: number }[] } };
    for (const { reason, count } of details.reasons) counts.set(reason, (counts.get(reason) ?? 0) + count);
  }
  return counts;
}

test("without a session every action is refused before any upstream call, and the refusal is counted in the trail", async ({ request }) => {
  // Anonymous refusals are counted per source and minute and written when the minute is over (the abuse-limits job).
  test.setTimeout(240_000);
  const before = await countedRefusals(request, readerCookie);
  const chainedBefore = (await refusals(request, readerCookie)).length;
  for (const action of ORDER) {
    const journalBefore = await sandbox.journal.lastSeq();
    const body = await (await postConsoleCall(request, action)).text();
    expect(body, action).toContain('"code":"unauthenticated"');
    expect(callsOnSomeonesBehalf((await sandbox.journal.since(journalBefore)).entries), action).toEqual([]);
  }
  // None of them was chained one by one.
  expect((await refusals(request, readerCookie)).length).toBe(chainedBefore);
  // An event names at most 32 reasons (MAX_REASONS_PER_EVENT) and adds the rest up as "other": there are more actions
  // than that, so each refusal is counted under its own reason or within "other".
  await expect
    .poll(
      async () => {
        const after = await countedRefusals(request, readerCookie);
        const uncounted = ORDER.filter((action) => {
          const reason = `authz.denied/no_session/${action}`;
          return (after.get(reason) ?? 0) < (before.get(reason) ?? 0) + 1;
        });
        const inOther = (after.get("other") ?? 0) - (before.get("other") ?? 0);
        return uncounted.length <= inOther ? [] : uncounted;
      },
      { timeout: 200_000, intervals: [5_000] },
    )
    .toEqual([]);
});

for (const persona of Object.keys(PERSONAS) as PersonaKey[]) {
  test(`permission matrix cells for ${persona}`, async ({ page, request }) => {
    // With "Assignment required" (the seed's setting) Entra refuses someone without a console role at sign-in; with it
    // off they sign in, and every action must still refuse them.
    const withoutRole = PERSONAS[persona].roles.length === 0;
    if (withoutRole) await sandbox.consoleApiAssignmentRequired.set(false);
    try {
      await checkCells(persona, page, request);
    } finally {
      if (withoutRole) await sandbox.consoleApiAssignmentRequired.set(true);
    }
  });
}

/** Signs the persona in and posts every action as them: allowed ones pass authorization, the others are refused and audited. */
async function checkCells(persona: PersonaKey, page: Page, request: APIRequestContext): Promise<void> {
  // The token the browser hands over at sign-in names the person (oid) the trail must name; the cookie is an opaque id.
  const handOver = page.waitForRequest((candidate) => candidate.url().endsWith("/api/session") && candidate.method() === "POST");
  await signIn(page, persona);
  const cookie = await cookieOf(page);
  const payload = (await handOver).headers()["authorization"]!.split(" ")[1]!.split(".")[1]!;
  const objectId = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { oid: string }).oid;
  for (const action of ORDER) {
    const before = await sandbox.journal.lastSeq();
    const recorded = countFor(await refusals(request, readerCookie), action, objectId);
    const body = await (await postConsoleCall(request, action, { cookie })).text();
    const calls = callsOnSomeonesBehalf((await sandbox.journal.since(before)).entries);
    // The expected cell comes from the hand-written table, not from the matrix the server enforces.
    if (PERMISSION_TABLE[action][PERSONA_COLUMN[persona]] === "allow") {
      // Past authorization: the action ran (or, without real input, refused the input — never the person).
      expect(body, `${persona} may ${action}`).not.toContain('"code":"forbidden"');
      expect(body, `${persona} may ${action}`).not.toContain('"code":"unauthenticated"');
      if (CALLS_UPSTREAM.has(action)) expect(calls.length, `${action} reached Graph/ARM`).toBeGreaterThan(0);
    } else {
      expect(body, `${persona} may not ${action}`).toContain('"code":"forbidden"');
      expect(calls, `${persona} denied ${action}: no upstream call`).toEqual([]);
      expect(ACTION_AUDIT[action]).toBeDefined();
      expect(countFor(await refusals(request, readerCookie), action, objectId), `${persona} ${action}: authz.denied`).toBe(recorded + 1);
    }
  }
}
