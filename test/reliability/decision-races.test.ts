/**
 * An approval racing a denial, and an approval racing the requester's withdrawal, on every storage engine (on
 * PostgreSQL the transactions really overlap) against a sandbox tenant of this file's own: exactly one decision
 * wins, the request ends in the state that decision gives, and ARM sees at most one PUT for the access — one exactly
 * when the approval won.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { listedAssignmentApplies, workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, ROLE_IDS } from "@/sandbox/tenant/index";
import { storageEngines } from "@/test/support/databases";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { type Refusal, settle } from "@/test/support/refusal";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { approveAccessRequest, cancelAccessRequest, denyAccessRequest } = await import("@/lib/requests/decide-request");
const { submitAccessRequest } = await import("@/lib/requests/submit-request");
const { accessRequests } = await import("@/lib/requests/schema");
const { assignmentNameFor } = await import("@/lib/workspaces/grant-workspace-roles");
const { personaContext } = await import("@/test/support/persona-token");
const { makeAccessRequest } = await import("@/test/support/builders/requests");

/**
 * How the second decision is started against the approval, round by round: the first round lets it finish before the
 * approval starts and the last starts it only after the approval finished (so each side surely wins once); the rounds
 * in between really race, with the second decision starting a few milliseconds later each time.
 */
const STARTS = ["before", 0, 10, 20, 40, 80, "after"] as const;
const oracle = createTenant({ seed: 1, scale: "default" });
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role)@/;
/** A workspace and the members in no group who hold nothing on it, handed out one per request. */
function pool(name: string) {
  const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === name)!;
  const workspace = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
  const onWorkspace = new Set(
    [...oracle.roleAssignments.values()].filter((a) => listedAssignmentApplies(a.scope, workspace)).map((a) => a.principalId.toLowerCase()),
  );
  const users = [...oracle.users.values()].filter(
    (user) =>
      // Enabled: an approval for a disabled account lapses instead of racing.
      !PERSONA_UPN.test(user.userPrincipalName) &&
      user.userType === "Member" &&
      user.accountEnabled &&
      oracle.transitiveGroupIds(user.id).length === 0 &&
      !onWorkspace.has(user.id),
  );
  let next = 0;
  return { workspace, take: () => users[next++]! };
}
/** The racing rounds use mlw-churn-prod; the overtaking cases a workspace of their own, so neither runs out of people. */
const racing = pool("mlw-churn-prod");
const overtaking = pool("mlw-vision-prod");
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the approval and the other decision as `start` says; returns both results. */
/** Runs the approval and the other decision in the given order; each either is carried out or is refused. */
async function race<A, B>(start: (typeof STARTS)[number], approve: () => Promise<A>, other: () => Promise<B>): Promise<[Decided<A>, Decided<B>]> {
  if (start === "before") {
    const second = await decided(other());
    return [await decided(approve()), second];
  }
  if (start === "after") {
    const first = await decided(approve());
    return [first, await decided(other())];
  }
  return Promise.all([decided(approve()), later(start).then(() => decided(other()))]);
}

type Decided<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: Refusal };

async function decided<T>(operation: Promise<T>): Promise<Decided<T>> {
  const { done, refused } = await settle([operation]);
  return done.length === 1 ? { ok: true, value: done[0]! } : { ok: false, refusal: refused[0]! };
}

afterAll(async () => {
  await tenant.close();
});

/**
 * `db`, except that its first transaction waits for `competitor` to finish: the decision using it has read the
 * request as pending and is about to close it when the competing decision wins. Deterministic on every engine, so
 * only the close step's `status = 'pending'` guard stands between the two.
 */
function overtakenBy<D extends object>(db: D, competitor: () => Promise<unknown>): D {
  let overtaken = false;
  return new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === "transaction" && typeof value === "function") {
        return async (...args: unknown[]) => {
          if (!overtaken) {
            overtaken = true;
            await competitor();
          }
          return (value as (...inner: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as (...inner: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The losing decision was refused with a clear "already decided" (never a raw error, never a second outcome). */
function expectAlreadyDecided(loser: Decided<unknown>): void {
  expect(loser.ok).toBe(false);
  if (loser.ok) return;
  expect(loser.refusal).toMatchObject({ code: "conflict", reason: "already_decided" });
  expect(loser.refusal.userMessage).toMatch(/already decided by|approved this request at the same moment/);
}

const putsFor = async (assignmentName: string) =>
  (await tenant.control.journal.list({ system: "arm", method: "PUT", pathContains: assignmentName })).entries.length;

describe.each(storageEngines())("decisions racing each other on $name", (engine) => {
  let handle: Awaited<ReturnType<(typeof engine)["open"]>>;
  let admin: Awaited<ReturnType<typeof personaContext>>;
  let other: Awaited<ReturnType<typeof personaContext>>;
  let lead: Awaited<ReturnType<typeof personaContext>>;
  beforeAll(async () => {
    handle = await engine.open();
    [admin, other, lead] = await Promise.all([personaContext("admin"), personaContext("limited-admin"), personaContext("team-lead")]);
  });
  afterAll(async () => {
    await handle.close();
  });

  async function submitted(from = racing) {
    const user = from.take();
    const result = await submitAccessRequest(
      lead,
      makeAccessRequest({
        workspaceId: from.workspace,
        roleDefinitionId: ROLE_IDS.dataScientist,
        principal: { id: user.id, kind: "user", displayName: user.displayName },
        justification: "Experiments for the quarterly review",
        duration: "1d",
      }),
      { db: handle.db, notify: false },
    );
    return { request: result.request, assignmentName: assignmentNameFor(from.workspace, user.id, ROLE_IDS.dataScientist) };
  }

  it("approve against deny: one decision wins, and ARM sees a PUT only when the approval did", async () => {
    const wins = new Set<string>();
    for (const start of STARTS) {
      const { request, assignmentName } = await submitted();
      const [approved, denied] = await race(
        start,
        () => approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db: handle.db, notify: false }),
        () => denyAccessRequest(other, { requestId: request.id, comment: "Not this quarter" }, { db: handle.db, notify: false }),
      );
      wins.add(approved.ok ? "approve" : "deny");
      expect([approved.ok, denied.ok].filter(Boolean)).toHaveLength(1);
      expectAlreadyDecided(approved.ok ? denied : approved);
      const final = approved.ok ? approved.value.request : denied.ok ? denied.value.request : undefined;
      expect(final?.status).toBe(approved.ok ? "granted" : "denied");
      expect(await putsFor(assignmentName)).toBe(approved.ok ? 1 : 0);
    }
    // Both outcomes happened across the rounds, so both branches above were checked.
    expect(wins.size).toBe(2);
  });

  it("approve against the requester's withdrawal: the same", async () => {
    const wins = new Set<string>();
    for (const start of STARTS) {
      const { request, assignmentName } = await submitted();
      const [approved, cancelled] = await race(
        start,
        () => approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db: handle.db, notify: false }),
        () => cancelAccessRequest(lead, { requestId: request.id, comment: "" }, { db: handle.db, notify: false }),
      );
      wins.add(approved.ok ? "approve" : "cancel");
      expect([approved.ok, cancelled.ok].filter(Boolean)).toHaveLength(1);
      expectAlreadyDecided(approved.ok ? cancelled : approved);
      const final = approved.ok ? approved.value.request : cancelled.ok ? cancelled.value.request : undefined;
      expect(final?.status).toBe(approved.ok ? "granted" : "cancelled");
      expect(await putsFor(assignmentName)).toBe(approved.ok ? 1 : 0);
    }
    // Both outcomes happened across the rounds, so both branches above were checked.
    expect(wins.size).toBe(2);
  });

  it("a denial or withdrawal that read the request as pending, overtaken by the approval: refused as already decided, one PUT", async () => {
    for (const loser of ["deny", "cancel"] as const) {
      const { request, assignmentName } = await submitted(overtaking);
      const approve = () => approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db: handle.db, notify: false });
      const db = overtakenBy(handle.db, approve);
      const closing =
        loser === "deny"
          ? denyAccessRequest(other, { requestId: request.id, comment: "Not this quarter" }, { db, notify: false })
          : cancelAccessRequest(lead, { requestId: request.id, comment: "" }, { db, notify: false });
      expectAlreadyDecided(await decided(closing));
      const [row] = await handle.db.select().from(accessRequests).where(eq(accessRequests.id, request.id));
      expect(row?.status).toBe("granted");
      expect(await putsFor(assignmentName)).toBe(1);
    }
  });

  it("an approval that read the request as pending, overtaken by a denial or withdrawal: refused as already decided, no PUT", async () => {
    for (const winner of ["deny", "cancel"] as const) {
      const { request, assignmentName } = await submitted(overtaking);
      const close = () =>
        winner === "deny"
          ? denyAccessRequest(other, { requestId: request.id, comment: "Not this quarter" }, { db: handle.db, notify: false })
          : cancelAccessRequest(lead, { requestId: request.id, comment: "" }, { db: handle.db, notify: false });
      const approval = approveAccessRequest(admin, { requestId: request.id, comment: "" }, { db: overtakenBy(handle.db, close), notify: false });
      expectAlreadyDecided(await decided(approval));
      const [row] = await handle.db.select().from(accessRequests).where(eq(accessRequests.id, request.id));
      expect(row?.status).toBe(winner === "deny" ? "denied" : "cancelled");
      expect(await putsFor(assignmentName)).toBe(0);
    }
  });
});
