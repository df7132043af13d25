/**
 * Security test plan row 32, the database half: PostgreSQL fails in the middle of a grant. A connection killed by the
 * server (`pg_terminate_backend`) while the outcome is being written, and a statement cancelled by `statement_timeout`
 * while the intent is being written. Either way the grant fails closed: the admin gets a message of the console's own
 * (no driver text), Azure is never asked to make a change the trail does not show, a change Azure made is left as a
 * pending intent the reconciler records, and the pool serves the next grant.
 *
 * The test holds the row or the audit chain head locked from a connection of its own, so the console's statement waits
 * exactly where the test wants it to fail. PostgreSQL only (PGlite has no second connection); skipped without
 * TEST_DATABASE_URL. ARM faults (a slow PUT) change every caller, so this runs on a sandbox of its own.
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { makeMappingCreatedEvent } from "@/test/support/builders/audit";
import { postgresEngine, type SharedDatabaseHandle } from "@/test/support/databases";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { exportToWorkers } from "@/test/support/test-env";
import { ASSIGNMENTS_GLOB, DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";

const server = postgresEngine();

describe.skipIf(!server)("database faults during a grant (PostgreSQL, own sandbox tenant)", () => {
  let tenant: PrivateSandbox;
  let shared: SharedDatabaseHandle;
  /** A console instance whose statements PostgreSQL cancels after one second. */
  let bounded: DatabaseHandle;
  /** A console instance without a statement timeout, for the killed-connection case. */
  let unbounded: DatabaseHandle;
  let admin: pg.Client;
  let modules: Awaited<ReturnType<typeof load>>;

  async function load() {
    return {
      ...(await import("@/lib/workspaces/grant-workspace-roles")),
      ...(await import("@/lib/workspaces/revoke-workspace-roles")),
      ...(await import("@/lib/requests/submit-request")),
      ...(await import("@/lib/requests/decide-request")),
      ...(await import("@/test/support/builders/requests")),
      ...(await import("@/lib/workspaces/reconcile-intents")),
      ...(await import("@/lib/audit")),
      ...(await import("@/lib/db/faults")),
      ...(await import("@/lib/auth/audit-actor")),
      ...(await import("@/test/support/persona-token")),
    };
  }

  beforeAll(async () => {
    exportToWorkers({ GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "5" });
    tenant = await startPrivateSandbox();
    modules = await load();
    shared = await server!.open();
    bounded = await shared.openAnotherInstance({ statementTimeoutSeconds: 1 });
    unbounded = await shared.openAnotherInstance();
    admin = new pg.Client({ connectionString: shared.url });
    await admin.connect();
  });
  afterEach(async () => {
    await tenant.control.faults.clear();
    await admin.query("rollback").catch(() => undefined);
  });
  afterAll(async () => {
    await admin?.end();
    await bounded?.close();
    await unbounded?.close();
    await shared?.close();
    await tenant?.close();
    exportToWorkers({ GATEHOUSE_UPSTREAM_TIMEOUT_SECONDS: "" });
  });

  let nextUser = 40;
  const aUser = () => FREE_USERS[nextUser++]!;
  const grant = async (db: DatabaseHandle, user: { id: string; displayName: string }) =>
    (
      await modules.grantWorkspaceRoles(
        await modules.personaContext("admin"),
        { workspaceId: WORKSPACE, roleDefinitionId: DATA_SCIENTIST, principals: [{ id: user.id, kind: "user", displayName: user.displayName }] },
        { db: db.db },
      )
    )[0]!;
  const assignmentExists = (user: { id: string }) =>
    [...tenant.sandbox.tenant.roleAssignments.values()].some((assignment) => assignment.name === modules.assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST));
  const trailOf = async (user: { id: string }) =>
    (await modules.searchAuditEvents(shared.db, { principalId: user.id }, { size: 20 })).events.map((event) => `${event.action}:${event.outcome}`).reverse();
  const intentsOf = async (user: { id: string }) =>
    (
      await admin.query<{ id: string; state: string }>("select id, state from azure_change_intents where principal_id = $1 order by id", [
        user.id.toLowerCase(),
      ])
    ).rows;

  async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const found = await probe();
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /** The console's backend that waits for a lock the test holds. */
  const blockedBackend = () =>
    waitFor(async () => {
      const { rows } = await admin.query<{ pid: number }>(
        "select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()",
      );
      return rows[0]?.pid;
    }, "the console's statement to wait for the lock");

  it("the connection is killed while the outcome is written: the admin is told it is being checked, the reconciler records what ARM did, the next grant works", async () => {
    const user = aUser();
    // ARM answers slowly, so the test can lock the intent before the console writes its outcome.
    await tenant.control.faults.add({ method: "PUT", path: ASSIGNMENTS_GLOB, latencyMs: 1_000, times: 1 });
    const running = grant(unbounded, user);
    const intentId = await waitFor(async () => (await intentsOf(user)).find((intent) => intent.state === "pending")?.id, "the grant's intent");
    await admin.query("begin");
    await admin.query("select id from azure_change_intents where id = $1 for update", [intentId]);
    const pid = await blockedBackend();
    await admin.query("select pg_terminate_backend($1)", [pid]);
    await admin.query("rollback");
    const result = await running;

    expect(result).toMatchObject({ status: "in_progress", message: modules.OUTCOME_NOT_RECORDED });
    expect(JSON.stringify(result)).not.toMatch(/terminat|57P01|administrator command|SQL|azure_change_intents/i);
    // ARM made the change; the trail shows it was asked for, and the pending intent keeps it for the reconciler.
    expect(assignmentExists(user)).toBe(true);
    expect(await intentsOf(user)).toEqual([{ id: intentId, state: "pending" }]);
    expect(await trailOf(user)).toEqual(["role_assignment.grant_requested:succeeded"]);

    // The pool dropped the dead connection: the next grant on the same instance goes through.
    const next = aUser();
    expect(await grant(unbounded, next)).toMatchObject({ status: "granted" });
    expect(await trailOf(next)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
    ]);

    const later = new Date(Date.now() + 2 * modules.SETTLE_AFTER_MS);
    const summary = await modules.reconcilePendingIntents(unbounded.db, modules.systemActor("reconcile-intents"), later);
    expect(summary.errors).toBe(0);
    expect(await intentsOf(user)).toEqual([{ id: intentId, state: "succeeded" }]);
    expect(await trailOf(user)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.reconciled:succeeded",
      "assignment.holder_added:succeeded",
    ]);
  });

  it("statement_timeout while the intent is written: nothing is recorded, Azure is not asked, and the grant works once the lock is gone", async () => {
    const user = aUser();
    const name = modules.assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST);
    // Every audit append takes the chain head's row lock first (audit_lock_head()): held here, the intent's
    // `grant_requested` event waits past the instance's one-second statement_timeout.
    await admin.query("begin");
    await admin.query("select * from audit_chain_head for update");
    const since = await tenant.control.journal.lastSeq();
    const result = await grant(bounded, user);

    expect(result).toMatchObject({ status: "failed", message: modules.INTENT_NOT_RECORDED });
    expect(JSON.stringify(result)).not.toMatch(/cancel|57014|statement timeout|SQL/i);
    const calls = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.system === "arm" && entry.path.toLowerCase().endsWith(name));
    expect(calls).toEqual([]);
    expect(await intentsOf(user)).toEqual([]);

    // An audit append on its own fails the same way, with the console's own words, and writes nothing.
    const append = bounded.db.transaction((tx) => modules.recordAuditEvent(tx, makeMappingCreatedEvent()));
    const failure = await append.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
    expect(modules.isDatabaseUnavailable(failure)).toBe(true);
    expect(modules.databaseUnavailable(failure).userMessage).toBe("Gatehouse's database did not answer in time. Try again in a minute.");
    await admin.query("rollback");
    expect(await trailOf(user)).toEqual([]);

    // The lock gone, the same instance grants: its pool kept working connections.
    expect(await grant(bounded, user)).toMatchObject({ status: "granted" });
    expect(assignmentExists(user)).toBe(true);
    expect(await trailOf(user)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
    ]);
  });
  it("statement_timeout while a removal's intent is written: the DELETE is never sent, the assignment stays, and the removal works afterwards", async () => {
    const user = aUser();
    expect(await grant(bounded, user)).toMatchObject({ status: "granted" });
    const name = modules.assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST);
    const assignmentId = `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${name}`;
    const revoke = async () =>
      (
        await modules.revokeWorkspaceRoles(
          await modules.personaContext("admin"),
          { workspaceId: WORKSPACE, assignmentIds: [assignmentId], confirmSelfLockout: false },
          { db: bounded.db },
        )
      )[0]!;
    await admin.query("begin");
    await admin.query("select * from audit_chain_head for update");
    const since = await tenant.control.journal.lastSeq();
    expect(await revoke()).toMatchObject({ status: "failed", message: modules.INTENT_NOT_RECORDED });
    await admin.query("rollback");
    const deletes = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.method === "DELETE" && entry.path.toLowerCase().endsWith(name));
    expect(deletes).toEqual([]);
    expect(assignmentExists(user)).toBe(true);
    expect((await intentsOf(user)).map((intent) => intent.state)).toEqual(["succeeded"]);

    expect(await revoke()).toMatchObject({ status: "revoked" });
    expect(assignmentExists(user)).toBe(false);
  });
  it("statement_timeout while an approval is recorded: nothing is decided or granted, the request stays pending, and the next approval grants it", async () => {
    const user = aUser();
    const filed = await modules.submitAccessRequest(
      await modules.personaContext("team-lead"),
      modules.makeAccessRequest({
        workspaceId: WORKSPACE,
        roleDefinitionId: DATA_SCIENTIST,
        principal: { id: user.id, kind: "user", displayName: user.displayName },
      }),
      { db: bounded.db, notify: false },
    );
    const requestId = filed.request.id;
    const statusOf = async () => (await admin.query<{ status: string }>("select status from access_requests where id = $1", [requestId])).rows[0]?.status;
    const approve = async () =>
      modules.approveAccessRequest(await modules.personaContext("admin"), { requestId, comment: "" }, { db: bounded.db, notify: false });

    await admin.query("begin");
    await admin.query("select * from audit_chain_head for update");
    const since = await tenant.control.journal.lastSeq();
    const failure = await approve().then(
      () => undefined,
      (error: unknown) => error,
    );
    await admin.query("rollback");
    // What the action wrapper shows for it: the console's own sentence, never the driver's.
    expect(modules.isDatabaseUnavailable(failure)).toBe(true);
    expect(modules.databaseUnavailable(failure).userMessage).not.toMatch(/cancel|statement|SQL|audit_/i);
    expect(await statusOf()).toBe("pending");
    const puts = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.method === "PUT" && entry.system === "arm");
    expect(puts).toEqual([]);
    expect(await intentsOf(user)).toEqual([]);
    expect(await trailOf(user)).toEqual(["request.submitted:succeeded"]);

    const decided = await approve();
    expect(decided.request).toMatchObject({ status: "granted" });
    expect(await statusOf()).toBe("granted");
    expect(assignmentExists(user)).toBe(true);
  });
});
