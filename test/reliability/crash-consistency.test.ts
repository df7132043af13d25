/**
 * Crash consistency: a console process is killed (SIGKILL) while ARM is handling its grant, so the intent is recorded
 * but its outcome never is. After the restart, the reconciler brings every intent to its true final state, checked
 * against the tenant's own state: a PUT that ARM applied after the crash → succeeded; one that never got through →
 * failed. The database is the console's default (PGlite on disk), reopened after the kill like a restarted console.
 */
import { type ChildProcess, spawn } from "node:child_process";

import { afterAll, describe, expect, it } from "vitest";

import { childEnv, testDataDir, testSandboxCaPath } from "@/test/support/test-env";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { ASSIGNMENTS_GLOB, DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { findUnresolvedIntents, searchAuditEvents } = await import("@/lib/audit");
const { getDatabase } = await import("@/lib/db");
const { systemActor } = await import("@/lib/auth/audit-actor");
const { assignmentNameFor } = await import("@/lib/workspaces/grant-workspace-roles");
const { reconcilePendingIntents, SETTLE_AFTER_MS } = await import("@/lib/workspaces/reconcile-intents");

const freeUsers = FREE_USERS;

afterAll(async () => {
  await tenant.close();
});

function startGrant(principalIds: readonly string[]): ChildProcess {
  return spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=react-server",
      "test/reliability/support/grant-child.ts",
      "--workspace",
      WORKSPACE,
      "--role",
      DATA_SCIENTIST,
      "--principals",
      principalIds.join(","),
    ],
    {
      env: childEnv({
        NODE_EXTRA_CA_CERTS: testSandboxCaPath(),
        GATEHOUSE_MODE: "sandbox",
        GATEHOUSE_SANDBOX_URL: tenant.origin,
        GATEHOUSE_TEST_SANDBOX_ORIGIN: tenant.origin,
        GATEHOUSE_DATA_DIR: testDataDir(),
        GATEHOUSE_LOG_LEVEL: "error",
        GATEHOUSE_JOBS_ENABLED: "false",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

/** Waits until ARM (the tenant) is holding the first PUT the fault applies to, then kills the console process. */
async function killDuringPut(child: ChildProcess, faultId: string): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let waited = 0; ; waited += 50) {
    if (child.exitCode !== null) throw new Error("the grant process ended before its PUT reached ARM");
    if (waited > 60_000) throw new Error("the grant's PUT never reached ARM");
    const rules = await tenant.control.faults.list();
    if ((rules.find((rule) => rule.id === faultId)?.applied ?? 0) > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  await exited;
}

function assignmentsNamed(name: string) {
  return [...tenant.sandbox.tenant.roleAssignments.values()].filter((assignment) => assignment.name === name);
}

async function auditTrailOf(principalId: string): Promise<string[]> {
  return (await searchAuditEvents(await getDatabase(), { principalId }, { size: 50 })).events.map((event) => `${event.action}:${event.outcome}`).reverse();
}

describe("a console killed between the ARM call and recording its outcome", () => {
  it("is brought to the truth by the reconciler after restart: applied → succeeded, never applied → failed", { timeout: 120_000 }, async () => {
    const [applied, lost, untouched] = [freeUsers[0]!, freeUsers[1]!, freeUsers[2]!];

    // 1. ARM takes 1.5 s to answer and applies the change after the console has died.
    const slow = await tenant.control.faults.add({ path: ASSIGNMENTS_GLOB, method: "PUT", latencyMs: 1500, times: 1 });
    await killDuringPut(startGrant([applied.id, untouched.id]), slow.id);
    const appliedName = assignmentNameFor(WORKSPACE, applied.id, DATA_SCIENTIST);
    for (let waited = 0; assignmentsNamed(appliedName).length === 0; waited += 100) {
      if (waited > 10_000) throw new Error("ARM never applied the PUT the dead console sent");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // 2. ARM never answers and never applies it (the request hangs until the client is gone).
    const hang = await tenant.control.faults.add({ path: ASSIGNMENTS_GLOB, method: "PUT", hang: true, times: 1 });
    await killDuringPut(startGrant([lost.id]), hang.id);
    await tenant.control.faults.clear();

    // The restarted console: the same database, reopened. Both intents are there, with no outcome.
    const db = await getDatabase();
    const later = new Date(Date.now() + 2 * SETTLE_AFTER_MS);
    const pending = await findUnresolvedIntents(db, later);
    expect(pending.map((intent) => intent.principalId).sort()).toEqual([applied.id, lost.id].map((id) => id.toLowerCase()).sort());

    const summary = await reconcilePendingIntents(db, systemActor("reconcile-intents"), later);
    expect(summary).toMatchObject({ checked: 2, settled: 2, errors: 0 });
    expect(await findUnresolvedIntents(db, later)).toEqual([]);

    // Checked against the tenant: what happened is what the trail says, and nothing happened twice.
    expect(assignmentsNamed(appliedName)).toHaveLength(1);
    expect(assignmentsNamed(assignmentNameFor(WORKSPACE, lost.id, DATA_SCIENTIST))).toHaveLength(0);
    expect(assignmentsNamed(assignmentNameFor(WORKSPACE, untouched.id, DATA_SCIENTIST))).toHaveLength(0);
    // The settled grant also adds the holder it was for: the direct grant now owns the assignment.
    expect(await auditTrailOf(applied.id)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.reconciled:succeeded",
      "assignment.holder_added:succeeded",
    ]);
    expect(await auditTrailOf(lost.id)).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.reconciled:failed"]);
    // The second principal of the killed bulk grant was never started: no intent, no trail.
    expect(await auditTrailOf(untouched.id)).toEqual([]);
  });
});
