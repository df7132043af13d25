/**
 * Faults from the tenant: throttling with Retry-After, bursts of 503s, hangs, a session that expires in the middle of
 * a bulk grant, and signing-key rotation. Whatever happens, the console retries within bounds, tells the admin what
 * happened, and every intended change ends as done or failed with a record — or stays pending for the reconciler,
 * which then settles it against ARM. Nothing is applied twice.
 *
 * These change what every caller of a tenant sees (faults on ARM routes, the tenant's clock, its keys), so they run
 * on a sandbox of this file's own.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";

import { SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { exportToWorkers } from "@/test/support/test-env";
import type { FaultRuleInput, JournalEntry } from "@/sandbox/control/client";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { ASSIGNMENTS_GLOB, DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";

// Before any console code reads its configuration: a short upstream timeout, so a hang costs seconds, not minutes.
exportToWorkers({ GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "2" });
const tenant: PrivateSandbox = await startPrivateSandbox();

const { findUnresolvedIntents, searchAuditEvents } = await import("@/lib/audit");
const { validateConsoleToken } = await import("@/lib/auth/token-validator");
const { flushRefusalTallies } = await import("@/lib/security/refusal-tally");
const { SecretToken } = await import("@/lib/auth/secret-token");
const { getDatabase } = await import("@/lib/db");
const { systemActor } = await import("@/lib/auth/audit-actor");
const { listWorkspaces } = await import("@/lib/workspaces/list-workspaces");
const { queryResourceGraph } = await import("@/lib/arm/resource-graph");
const { assignmentNameFor, grantWorkspaceRoles } = await import("@/lib/workspaces/grant-workspace-roles");
const { reconcilePendingIntents, SETTLE_AFTER_MS } = await import("@/lib/workspaces/reconcile-intents");
const { personaApiToken, personaContext } = await import("@/test/support/persona-token");

const freeUsers = FREE_USERS;
let nextUser = 0;
const aUser = () => freeUsers[nextUser++]!;

const journal = async (since = 0) => (await tenant.control.journal.since(since)).entries;
const lastSeq = () => tenant.control.journal.lastSeq();
const putsFor = (entries: readonly JournalEntry[], assignmentName: string) =>
  entries.filter((entry) => entry.method === "PUT" && entry.path.toLowerCase().endsWith(assignmentName));

async function addFault(rule: Omit<FaultRuleInput, "path" | "method">): Promise<void> {
  await tenant.control.faults.add({ path: ASSIGNMENTS_GLOB, method: "PUT", ...rule });
}

/** Whether ARM (the tenant's own state) holds the assignment. */
function assignmentExists(principalId: string): boolean {
  const name = assignmentNameFor(WORKSPACE, principalId, DATA_SCIENTIST);
  return [...tenant.sandbox.tenant.roleAssignments.values()].some((assignment) => assignment.name === name);
}

async function auditTrailOf(principalId: string): Promise<string[]> {
  return (await searchAuditEvents(await getDatabase(), { principalId }, { size: 50 })).events.map((event) => `${event.action}:${event.outcome}`).reverse();
}

afterEach(async () => {
  await tenant.control.faults.clear();
});
afterAll(async () => {
  await tenant.close();
  exportToWorkers({ GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "" });
});

describe("faults from Azure during grants (own sandbox tenant)", () => {
  let admin: Awaited<ReturnType<typeof personaContext>>;
  beforeAll(async () => {
    admin = await personaContext("admin");
  });

  const grant = (user: { id: string; displayName: string }) =>
    grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
    });

  it("429 with Retry-After: waits as told, retries, and grants exactly once", async () => {
    const user = aUser();
    await addFault({ status: 429, retryAfterSeconds: 1, times: 2 });
    const since = await lastSeq();
    const [result] = await grant(user);
    expect(result).toMatchObject({ status: "granted" });
    const puts = putsFor(await journal(since), assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST));
    expect(puts.map((put) => put.status)).toEqual([429, 429, 201]);
    expect(assignmentExists(user.id)).toBe(true);
    expect(await auditTrailOf(user.id)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
    ]);
  });

  it("a 503 burst longer than the retry budget: stops after 4 attempts, says so, records the failure; a later grant applies once", async () => {
    const user = aUser();
    await addFault({ status: 503, times: 20 });
    const since = await lastSeq();
    const [result] = await grant(user);
    expect(result).toMatchObject({ status: "failed", message: "Azure Resource Manager is having problems. Try again in a minute." });
    const name = assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST);
    expect(putsFor(await journal(since), name).map((put) => put.status)).toEqual([503, 503, 503, 503]);
    expect(assignmentExists(user.id)).toBe(false);
    expect(await auditTrailOf(user.id)).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"]);

    await tenant.control.faults.clear();
    const [again] = await grant(user);
    expect(again).toMatchObject({ status: "granted" });
    expect([...tenant.sandbox.tenant.roleAssignments.values()].filter((assignment) => assignment.name === name)).toHaveLength(1);
  });

  it("a Retry-After longer than an admin should wait fails at once as throttling, with one attempt", async () => {
    const user = aUser();
    await addFault({ status: 429, retryAfterSeconds: 120, times: 5 });
    const since = await lastSeq();
    const [result] = await grant(user);
    expect(result).toMatchObject({ status: "failed", message: expect.stringMatching(/throttling/i) as string });
    expect(putsFor(await journal(since), assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST))).toHaveLength(1);
    expect(assignmentExists(user.id)).toBe(false);
  });

  it("a hang: the admin is told it is being checked, the intent stays pending, and the reconciler settles it against ARM", async () => {
    const user = aUser();
    await addFault({ hang: true, times: 20 });
    const [result] = await grant(user);
    expect(result).toMatchObject({ status: "in_progress", message: expect.stringMatching(/did not answer in time/) as string });
    const db = await getDatabase();
    const later = new Date(Date.now() + 2 * SETTLE_AFTER_MS);
    const pending = await findUnresolvedIntents(db, later);
    expect(pending.filter((intent) => intent.principalId === user.id.toLowerCase())).toHaveLength(1);

    await tenant.control.faults.clear();
    const summary = await reconcilePendingIntents(db, systemActor("reconcile-intents"), later);
    expect(summary.errors).toBe(0);
    expect(await findUnresolvedIntents(db, later)).toEqual([]);
    // The hung calls never reached ARM's state, so the truth is "not granted" — and that is what is recorded.
    expect(assignmentExists(user.id)).toBe(false);
    expect(await auditTrailOf(user.id)).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.reconciled:failed"]);
  });

  it("409 RoleAssignmentExists is known by its code whatever ARM's wording; a 409 with another code fails even when worded alike", async () => {
    // ARM rewords its messages: each of these says something different, and none names the existing assignment.
    for (const wording of [`Conflict ${randomUUID()}`, "Die Rollenzuweisung ist bereits vorhanden.", `${randomUUID()} exists`]) {
      const user = aUser();
      await addFault({ status: 409, errorCode: "RoleAssignmentExists", errorMessage: wording, times: 1 });
      const [result] = await grant(user);
      expect(result, wording).toMatchObject({ status: "already_granted" });
      await tenant.control.faults.clear();
    }
    const user = aUser();
    await addFault({
      status: 409,
      errorCode: "Conflict",
      errorMessage: "The role assignment already exists. The ID of the existing role assignment is 0123.",
      times: 1,
    });
    const [result] = await grant(user);
    expect(result).toMatchObject({ status: "failed" });
    expect(assignmentExists(user.id)).toBe(false);
    expect(await auditTrailOf(user.id)).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"]);
  });

  it("one bulk grant meets throttling, a server error and a refusal on different principals: each ends on its own, with its own record", async () => {
    const users = [aUser(), aUser(), aUser(), aUser(), aUser()];
    const [throttled, broken, refused] = users;
    const path = (user: { id: string }) =>
      `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST)}`;
    // A Retry-After longer than an admin should wait, a 500 that outlasts the retries, ARM's 403.
    await tenant.control.faults.add({ method: "PUT", path: path(throttled!), status: 429, retryAfterSeconds: 300 });
    await tenant.control.faults.add({ method: "PUT", path: path(broken!), status: 500 });
    await tenant.control.faults.add({ method: "PUT", path: path(refused!), status: 403 });
    const since = await lastSeq();
    const results = await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: users.map((user) => ({ id: user.id, kind: "user" as const, displayName: user.displayName })),
    });

    expect(results.map((result) => [result.principalId, result.status])).toEqual(users.map((user, index) => [user.id, index < 3 ? "failed" : "granted"]));
    expect(results[0]!.message).toBe("Azure is throttling role changes in this subscription. Wait a minute and try again.");
    expect(results[1]!.message).toBe("Azure Resource Manager is having problems. Try again in a minute.");
    expect(results[2]!.message).toMatch(/^You \(admin@[\w.]+\) can't manage access on mlw-churn-prod/);
    // Each failure was tried as the one retry rule says: the 429 once (its wait is too long), the 500 four times, the 403 once.
    const entries = await journal(since);
    expect(putsFor(entries, assignmentNameFor(WORKSPACE, throttled!.id, DATA_SCIENTIST)).map((put) => put.status)).toEqual([429]);
    expect(putsFor(entries, assignmentNameFor(WORKSPACE, broken!.id, DATA_SCIENTIST)).map((put) => put.status)).toEqual([500, 500, 500, 500]);
    expect(putsFor(entries, assignmentNameFor(WORKSPACE, refused!.id, DATA_SCIENTIST)).map((put) => put.status)).toEqual([403]);
    for (const [index, user] of users.entries()) {
      expect(assignmentExists(user.id)).toBe(index >= 3);
      expect(await auditTrailOf(user.id)).toEqual(
        index >= 3
          ? ["role_assignment.grant_requested:succeeded", "role_assignment.granted:succeeded", "assignment.holder_added:succeeded"]
          : ["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"],
      );
    }
  });

  it("a principal ARM does not know yet (PrincipalNotFound): the grant waits and tries again, and succeeds once it replicates", async () => {
    const message =
      "Principal does not exist in the directory. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay.";
    const user = aUser();
    await addFault({ status: 400, errorCode: "PrincipalNotFound", errorMessage: message, times: 3 });
    const since = await lastSeq();
    const [result] = await grant(user);
    expect(result).toMatchObject({ status: "granted" });
    expect(putsFor(await journal(since), assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST)).map((put) => put.status)).toEqual([400, 400, 400, 201]);
    expect(assignmentExists(user.id)).toBe(true);

    // Still unknown after the waits: the admin is told to try again later, with a record, and nothing was made.
    const late = aUser();
    await addFault({ status: 400, errorCode: "PrincipalNotFound", errorMessage: message });
    const [failed] = await grant(late);
    expect(failed).toMatchObject({
      status: "failed",
      message: "Azure does not know this identity yet. If it was created in the last few minutes, wait and try again.",
    });
    expect(assignmentExists(late.id)).toBe(false);
    expect(await auditTrailOf(late.id)).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"]);
  });

  it("the session expires in the middle of a bulk grant: each principal ends granted or failed with a record, none lost or doubled", async () => {
    const users = [aUser(), aUser(), aUser(), aUser()];
    const context = await personaContext("admin");
    // Slow PUTs, so the clock can move while the grant is under way.
    await addFault({ latencyMs: 400 });
    const since = await lastSeq();
    const running = grantWorkspaceRoles(context, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: users.map((user) => ({ id: user.id, kind: "user" as const, displayName: user.displayName })),
    });
    // Once the first PUT has been answered, two hours pass in the tenant: every token it issued so far has expired.
    for (;;) {
      if ((await journal(since)).some((entry) => entry.method === "PUT" && entry.status === 201)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await tenant.control.clock.advance(2 * 3600);
    const results = await running;
    await tenant.control.clock.reset();

    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ status: "granted" });
    for (const [index, result] of results.entries()) {
      expect(["granted", "failed"]).toContain(result.status);
      expect(assignmentExists(users[index]!.id)).toBe(result.status === "granted");
      const trail = await auditTrailOf(users[index]!.id);
      expect(trail).toEqual(
        result.status === "granted"
          ? ["role_assignment.grant_requested:succeeded", "role_assignment.granted:succeeded", "assignment.holder_added:succeeded"]
          : ["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"],
      );
    }
    const failed = results.filter((result) => result.status === "failed");
    expect(failed.length).toBeGreaterThan(0);
    for (const result of failed) expect(result.message).toMatch(/sign in again|session/i);
    expect(await findUnresolvedIntents(await getDatabase(), new Date(Date.now() + 2 * SETTLE_AFTER_MS))).toEqual([]);

    // Signed in again, the admin resumes: the same principals, naming the attempt that was cut short. Only the ones
    // whose part did not succeed reach Azure; the others are shown done from the recorded outcomes.
    const fresh = await personaContext("admin");
    const resumeOf = [...new Set(results.map((result) => result.attemptId!))];
    expect(resumeOf).toEqual([context.requestId]);
    const beforeResume = await lastSeq();
    const resumed = await grantWorkspaceRoles(fresh, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: users.map((user) => ({ id: user.id, kind: "user" as const, displayName: user.displayName })),
      resumeOf,
    });
    const resumeCalls = await journal(beforeResume);
    const armCallsFor = (user: { id: string }) => {
      const name = assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST);
      return resumeCalls.filter((entry) => entry.system === "arm" && entry.path.toLowerCase().endsWith(name));
    };
    for (const [index, user] of users.entries()) {
      const first = results[index]!;
      if (first.status === "granted") {
        expect(resumed[index]).toMatchObject({ status: "granted", message: expect.stringMatching(/earlier attempt/) as string, attemptId: context.requestId });
        // Not read, not written: no ARM call at all about it, and no second record.
        expect(armCallsFor(user)).toEqual([]);
        expect(await auditTrailOf(user.id)).toEqual([
          "role_assignment.grant_requested:succeeded",
          "role_assignment.granted:succeeded",
          "assignment.holder_added:succeeded",
        ]);
      } else {
        expect(resumed[index]).toMatchObject({ status: "granted", attemptId: fresh.requestId });
        expect(putsFor(resumeCalls, assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST)).map((put) => put.status)).toEqual([201]);
        expect(await auditTrailOf(user.id)).toEqual([
          "role_assignment.grant_requested:succeeded",
          "role_assignment.grant_failed:failed",
          "role_assignment.grant_requested:succeeded",
          "role_assignment.granted:succeeded",
          "assignment.holder_added:succeeded",
        ]);
      }
      expect(assignmentExists(user.id)).toBe(true);
    }

    // Resuming again with both attempts: everything was done, so nothing reaches Azure.
    const beforeSecond = await lastSeq();
    const again = await grantWorkspaceRoles(await personaContext("admin"), {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: users.map((user) => ({ id: user.id, kind: "user" as const, displayName: user.displayName })),
      resumeOf: [...new Set(resumed.map((result) => result.attemptId!))],
    });
    expect(again.map((result) => result.status)).toEqual(users.map(() => "granted"));
    const roleAssignmentCalls = (await journal(beforeSecond)).filter((entry) => entry.system === "arm" && /\/roleAssignments\//i.test(entry.path));
    expect(roleAssignmentCalls).toEqual([]);

    // Another admin cannot claim this admin's attempt: for them it names nothing done, and each principal is checked
    // against ARM as usual (found in place, nothing written).
    const other = await grantWorkspaceRoles(await personaContext("limited-admin"), {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: users[0]!.id, kind: "user" as const, displayName: users[0]!.displayName }],
      resumeOf: [context.requestId],
    });
    expect(other[0]).toMatchObject({ status: "already_granted" });
  });
});

describe("signing-key rotation (own sandbox tenant)", () => {
  it("accepts tokens signed by the new key and, during the overlap, the previous one; refuses a key never published", async () => {
    const before = await personaApiToken("admin");
    const rotated = await tenant.control.keys.rotate();
    const after = await personaApiToken("admin");
    expect(decodeProtectedHeader(after).kid).toBe(rotated.activeKid);
    expect(decodeProtectedHeader(before).kid).not.toBe(rotated.activeKid);

    expect(await validateConsoleToken(after, { via: "bearer" })).toMatchObject({ ok: true });
    expect(await validateConsoleToken(before, { via: "bearer" })).toMatchObject({ ok: true });

    // The console keeps working as the person after the rotation: on-behalf-of with the new token, then ARM.
    const claims = decodeJwt(after);
    const list = await listWorkspaces({
      kind: "delegated",
      caller: { tenantId: String(claims.tid), objectId: String(claims.oid), assertion: new SecretToken(after) },
    });
    expect(list.workspaces.length).toBeGreaterThan(0);

    // Same claims, signed by a key the tenant never published: refused, and the refusal is counted in the audit trail
    // once its minute is flushed.
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const forged = await new SignJWT({ ...claims, uti: randomUUID() })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: rotated.activeKid })
      .sign(privateKey);
    expect(await validateConsoleToken(forged, { via: "bearer" })).toMatchObject({ ok: false });
    await flushRefusalTallies(await getDatabase(), new Date(Date.now() + 60_000));
    const counted = await searchAuditEvents(await getDatabase(), { actions: ["security.refusals_counted"] }, { size: 10 });
    const reasons = counted.events.flatMap((event) => (event.details as { reasons: { reason: string }[] }).reasons.map(({ reason }) => reason));
    // The reason is named exactly, and neither the token nor its signature is kept.
    expect(reasons).toContain("auth.token_rejected/bearer/invalid_signature");
    const stored = JSON.stringify(counted.events);
    expect(stored).not.toContain(forged);
    expect(stored).not.toContain(forged.split(".")[2]!);
  });
});

describe("a lost answer to a query (own sandbox tenant)", () => {
  it("asks a Resource Graph query again when its answer is lost: a query sent as a POST changes nothing", async () => {
    const reader = await personaContext("security");
    const subscriptions = [...tenant.sandbox.tenant.subscriptions.keys()];
    await tenant.control.faults.add({ path: "/providers/Microsoft.ResourceGraph/resources", method: "POST", hang: true, times: 1 });
    const since = await lastSeq();
    const result = await queryResourceGraph(
      { kind: "delegated", caller: reader.caller },
      { query: "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id", subscriptions },
    );
    expect(result.rows.length).toBeGreaterThan(0);
    const queries = (await journal(since)).filter((entry) => entry.path.toLowerCase().includes("/microsoft.resourcegraph/"));
    // The first never answered (the client gave up after its timeout), the second did.
    expect(queries.map((entry) => entry.status)).toEqual([0, 200]);
  });
});
