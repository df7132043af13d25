import { randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { findUnknownIntents, recordChangeIntent, searchAuditEvents, UNKNOWN_AFTER_MS } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import { systemActor } from "@/lib/auth/audit-actor";
import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant } from "@/sandbox/tenant/index";
import { makeUserActor } from "@/test/support/builders/audit";
import { testSandbox } from "@/test/support/sandbox-control";
import { assignmentNameFor } from "./grant-workspace-roles";
import { reconcilePendingIntents, SETTLE_AFTER_MS } from "./reconcile-intents";

const oracle = createTenant({ seed: 1, scale: "default" });
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const WORKSPACE = workspaceScope(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
const existing = [...oracle.roleAssignments.values()].find(
  (assignment) => assignment.scope.toLowerCase() === WORKSPACE.toLowerCase() && assignment.principalType === "User",
)!;
const admin = makeUserActor({ tenantId: oracle.tenantId, displayName: "Test Admin", userPrincipalName: "test@contosoml.onmicrosoft.com" });

describe("reconcilePendingIntents (a crash between the ARM call and its outcome)", () => {
  it("settles each pending change by what ARM shows, with the console's own read-only identity", async () => {
    const db = await getDatabase();
    const created = new Date(Date.now() - 2 * SETTLE_AFTER_MS);
    const absentPrincipal = randomUUID();
    const [applied, lost] = await db.transaction(async (tx) => [
      // A grant whose PUT went through: the assignment exists.
      await recordChangeIntent(tx, {
        kind: "grant",
        scope: existing.scope,
        principalId: existing.principalId,
        principalType: "User",
        roleDefinitionId: existing.roleDefinitionName,
        assignmentName: existing.name,
        requestedBy: admin,
        now: created,
      }),
      // A grant that never reached ARM: nothing exists under its name.
      await recordChangeIntent(tx, {
        kind: "grant",
        scope: WORKSPACE,
        principalId: absentPrincipal,
        principalType: "User",
        roleDefinitionId: existing.roleDefinitionName,
        assignmentName: assignmentNameFor(WORKSPACE, absentPrincipal, existing.roleDefinitionName),
        requestedBy: admin,
        now: created,
      }),
    ]);

    const summary = await reconcilePendingIntents(db, systemActor("reconcile-intents"));
    expect(summary).toMatchObject({ settled: 2, errors: 0 });

    const events = (await searchAuditEvents(db, { actions: ["role_assignment.reconciled"] }, { size: 10 })).events;
    const byIntent = new Map(events.map((event) => [(event.details as { intentId: number }).intentId, event]));
    expect(byIntent.get(applied.id)).toMatchObject({
      outcome: "succeeded",
      actor: { kind: "system" },
      details: { observed: "present", resolvedState: "succeeded" },
    });
    expect(byIntent.get(lost.id)).toMatchObject({ outcome: "failed", details: { observed: "absent", resolvedState: "failed" } });
    expect(byIntent.get(lost.id)?.correlation.armRequestId).toMatch(/^[0-9a-f-]{36}$/);

    // Settled intents are not looked at again.
    expect((await reconcilePendingIntents(db, systemActor("reconcile-intents"))).checked).toBe(0);
  });

  it("leaves recent intents alone: their ARM call may still be on its way", async () => {
    const db = await getDatabase();
    const principal = randomUUID();
    await db.transaction((tx) =>
      recordChangeIntent(tx, {
        kind: "grant",
        scope: WORKSPACE,
        principalId: principal,
        principalType: "User",
        roleDefinitionId: existing.roleDefinitionName,
        assignmentName: assignmentNameFor(WORKSPACE, principal, existing.roleDefinitionName),
        requestedBy: admin,
      }),
    );
    expect((await reconcilePendingIntents(db, systemActor("reconcile-intents"))).checked).toBe(0);
  });

  it("closes a change as unknown when ARM will not show its outcome for too long, so it blocks nothing forever", async () => {
    const db = await getDatabase();
    const [stuck, recent] = [randomUUID(), randomUUID()];
    const intentFor = (principalId: string, now: Date) =>
      db.transaction((tx) =>
        recordChangeIntent(tx, {
          kind: "grant",
          scope: WORKSPACE,
          principalId,
          principalType: "User",
          roleDefinitionId: existing.roleDefinitionName,
          assignmentName: assignmentNameFor(WORKSPACE, principalId, existing.roleDefinitionName),
          requestedBy: admin,
          now,
        }),
      );
    const now = new Date();
    const old = await intentFor(stuck, new Date(now.getTime() - UNKNOWN_AFTER_MS - 60_000));
    const young = await intentFor(recent, new Date(now.getTime() - 2 * SETTLE_AFTER_MS));
    // The console's identity may not read these assignments (as with a subscription it has no Reader on).
    for (const principal of [stuck, recent]) {
      await testSandbox().faults.add({
        method: "GET",
        path: `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${assignmentNameFor(WORKSPACE, principal, existing.roleDefinitionName)}`,
        status: 403,
      });
    }
    const summary = await reconcilePendingIntents(db, systemActor("reconcile-intents"), now);
    expect(summary).toMatchObject({ unknown: 1, errors: 1 });

    const unknown = await findUnknownIntents(db, WORKSPACE);
    expect(unknown.map((intent) => intent.id)).toContain(old.id);
    expect(unknown.map((intent) => intent.id)).not.toContain(young.id);
    const [event] = (await searchAuditEvents(db, { actions: ["role_assignment.outcome_unknown"], principalId: stuck }, { size: 5 })).events;
    expect(event).toMatchObject({ outcome: "failed", errorCode: "AuthorizationFailed", details: { intentId: old.id, kind: "grant" } });
    // The access is free again: a new change to it can start.
    await expect(intentFor(stuck, now)).resolves.toMatchObject({ state: "pending" });
  });
});
