import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { auditEvents, azureChangeIntents } from "@/lib/db/schema";
import { storageEngines } from "@/test/support/databases";
import { findUnresolvedIntents, recordChangeIntent, recordChangeOutcome, recordChangeOutcomes, resolveIntent } from "./intents";
import { makeGrantIntent, SYSTEM_ACTOR } from "@/test/support/builders/audit";
import { verifyAuditChain } from "./verify";

describe.each(storageEngines())("Azure change intents on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  const eventsFor = async (intentId: number) =>
    (await handle.db.select().from(auditEvents).orderBy(auditEvents.id)).filter((row) => (row.details as { intentId?: number }).intentId === intentId);
  const startIntent = (overrides: Parameters<typeof makeGrantIntent>[0] = {}) =>
    handle.db.transaction((tx) => recordChangeIntent(tx, makeGrantIntent(overrides)));

  it("records a grant intent with its requested event, then its outcome with the granted event", async () => {
    const intent = await startIntent();
    expect(intent.state).toBe("pending");
    const { intent: settled } = await recordChangeOutcome(handle.db, intent.id, {
      status: "succeeded",
      armRequestId: "arm-req-1",
      alreadyInDesiredState: true,
    });
    expect(settled).toMatchObject({ state: "succeeded", armRequestId: "arm-req-1" });
    const events = await eventsFor(intent.id);
    expect(events.map((event) => [event.action, event.outcome])).toEqual([
      ["role_assignment.grant_requested", "succeeded"],
      ["role_assignment.granted", "succeeded"],
    ]);
    expect(events[0]?.reason).toBe("Needs to read experiment results");
    expect(events[1]).toMatchObject({
      armRequestId: "arm-req-1",
      consoleRequestId: intent.consoleRequestId,
      actorObjectId: intent.requestedBy.kind === "user" ? intent.requestedBy.objectId : null,
      targetPrincipalId: intent.principalId,
    });
    expect(events[1]?.details).toMatchObject({ alreadyExisted: true });
  });

  it("records a failed revoke with ARM's error code", async () => {
    const intent = await startIntent({ kind: "revoke" });
    await recordChangeOutcome(handle.db, intent.id, {
      status: "failed",
      errorCode: "AuthorizationFailed",
      httpStatus: 403,
      message: "The client does not have authorization to perform action",
    });
    const events = await eventsFor(intent.id);
    expect(events.map((event) => [event.action, event.outcome, event.errorCode])).toEqual([
      ["role_assignment.revoke_requested", "succeeded", null],
      ["role_assignment.revoke_failed", "failed", "AuthorizationFailed"],
    ]);
  });

  it("refuses a second outcome for the same intent and writes nothing", async () => {
    const intent = await startIntent();
    await recordChangeOutcome(handle.db, intent.id, { status: "succeeded" });
    await expect(recordChangeOutcome(handle.db, intent.id, { status: "failed", errorCode: "Late" })).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(resolveIntent(handle.db, intent.id, "absent", { actor: SYSTEM_ACTOR })).rejects.toMatchObject({
      code: "conflict",
    });
    expect(await eventsFor(intent.id)).toHaveLength(2);
    const [row] = await handle.db.select().from(azureChangeIntents).where(eq(azureChangeIntents.id, intent.id));
    expect(row?.state).toBe("succeeded");
    await expect(recordChangeOutcome(handle.db, 999_999, { status: "succeeded" })).rejects.toMatchObject({ code: "not_found" });
  });

  it("settles several intents together, each with its own outcome, or none of them when one is no longer pending", async () => {
    const [granted, failed, late] = [await startIntent(), await startIntent({ kind: "revoke" }), await startIntent()];
    await recordChangeOutcome(handle.db, late.id, { status: "succeeded" });
    // One of three already settled: refused as a whole, and the other two stay pending with no event.
    await expect(
      recordChangeOutcomes(handle.db, [
        { intentId: granted.id, outcome: { status: "succeeded", armRequestId: "arm-a" } },
        { intentId: late.id, outcome: { status: "succeeded" } },
        { intentId: failed.id, outcome: { status: "failed", errorCode: "AuthorizationFailed", armRequestId: "arm-b" } },
      ]),
    ).rejects.toMatchObject({ code: "conflict", message: `change intent ${late.id} is no longer pending (succeeded)` });
    await expect(
      recordChangeOutcomes(handle.db, [
        { intentId: granted.id, outcome: { status: "succeeded" } },
        { intentId: 999_999, outcome: { status: "succeeded" } },
      ]),
    ).rejects.toMatchObject({ code: "not_found" });
    // The same intent twice in one call: settled once at most, so refused like a second outcome.
    await expect(
      recordChangeOutcomes(handle.db, [
        { intentId: granted.id, outcome: { status: "succeeded" } },
        { intentId: granted.id, outcome: { status: "failed", errorCode: "Late" } },
      ]),
    ).rejects.toMatchObject({ code: "conflict" });
    for (const intent of [granted, failed]) expect(await eventsFor(intent.id)).toHaveLength(1);

    const effectsSaw: number[] = [];
    const recorded = await recordChangeOutcomes(
      handle.db,
      [
        { intentId: failed.id, outcome: { status: "failed", errorCode: "AuthorizationFailed", armRequestId: "arm-b" } },
        { intentId: granted.id, outcome: { status: "succeeded", armRequestId: "arm-a" } },
      ],
      new Date(),
      (_tx, intents) => {
        effectsSaw.push(...intents.map((intent) => intent.id));
        return Promise.resolve([[], []]);
      },
    );
    // In the order given, each with its own state, request id and error code, seen by the effects once settled.
    expect(effectsSaw).toEqual([failed.id, granted.id]);
    expect(recorded.map(({ intent }) => [intent.id, intent.state, intent.armRequestId, intent.errorCode])).toEqual([
      [failed.id, "failed", "arm-b", "AuthorizationFailed"],
      [granted.id, "succeeded", "arm-a", null],
    ]);
    expect((await eventsFor(failed.id)).map((event) => event.action)).toEqual(["role_assignment.revoke_requested", "role_assignment.revoke_failed"]);
    expect((await eventsFor(granted.id)).map((event) => event.action)).toEqual(["role_assignment.grant_requested", "role_assignment.granted"]);
    expect(recorded[1]!.auditEventId).toBe((await eventsFor(granted.id))[1]!.id);
  });

  it("refuses a second pending change to the same access, whatever the assignment's name or the ids' casing", async () => {
    const first = await startIntent();
    const sameAccess = { principalId: first.principalId.toUpperCase(), scope: first.scope.toLowerCase(), roleDefinitionId: first.roleDefinitionId };
    await expect(startIntent({ ...sameAccess, assignmentName: first.assignmentName })).rejects.toMatchObject({ code: "conflict" });
    // An equivalent assignment under another name is the same access: its change waits too.
    await expect(startIntent({ ...sameAccess, kind: "revoke" })).rejects.toMatchObject({ code: "conflict" });
    // Another principal's change to the same role on the same scope does not wait.
    await expect(startIntent({ scope: first.scope, roleDefinitionId: first.roleDefinitionId })).resolves.toMatchObject({ state: "pending" });
    await recordChangeOutcome(handle.db, first.id, { status: "succeeded" });
    // Once settled, the next change to that access (e.g. its revoke) can start.
    await expect(startIntent({ ...sameAccess, kind: "revoke", assignmentName: first.assignmentName })).resolves.toMatchObject({ state: "pending" });
  });

  it("rolls the intent back with the caller's transaction", async () => {
    const input = makeGrantIntent();
    await expect(
      handle.db.transaction(async (tx) => {
        await recordChangeIntent(tx, input);
        throw new Error("the approval failed after the intent was written");
      }),
    ).rejects.toThrow(/approval failed/);
    const rows = await handle.db.select().from(azureChangeIntents).where(eq(azureChangeIntents.assignmentName, input.assignmentName));
    expect(rows).toHaveLength(0);
  });

  it("lists pending intents older than a moment and resolves each from what ARM shows", async () => {
    const longAgo = new Date("2020-01-01T00:00:00Z");
    const lostGrant = await startIntent({ now: longAgo });
    const lostRevoke = await startIntent({ kind: "revoke", now: new Date(longAgo.getTime() + 1000) });
    const recent = await startIntent();
    const unresolved = await findUnresolvedIntents(handle.db, new Date("2021-01-01T00:00:00Z"));
    expect(unresolved.map((intent) => intent.id)).toEqual([lostGrant.id, lostRevoke.id]);
    expect(unresolved.map((intent) => intent.id)).not.toContain(recent.id);

    await resolveIntent(handle.db, lostGrant.id, "present", { actor: SYSTEM_ACTOR, armRequestId: "arm-get-1" });
    const { intent: revoke } = await resolveIntent(handle.db, lostRevoke.id, "present", { actor: SYSTEM_ACTOR });
    expect(revoke).toMatchObject({ state: "failed", errorCode: "ChangeNotApplied" });

    const [grantReconciled] = (await eventsFor(lostGrant.id)).slice(-1);
    expect(grantReconciled).toMatchObject({ action: "role_assignment.reconciled", outcome: "succeeded", actorKind: "system" });
    expect(grantReconciled?.details).toMatchObject({ observed: "present", resolvedState: "succeeded", kind: "grant" });
    const [revokeReconciled] = (await eventsFor(lostRevoke.id)).slice(-1);
    expect(revokeReconciled).toMatchObject({ outcome: "failed", errorCode: "ChangeNotApplied" });
    expect(await findUnresolvedIntents(handle.db, new Date("2021-01-01T00:00:00Z"))).toEqual([]);
    expect((await verifyAuditChain(handle.db)).ok).toBe(true);
  });
});
