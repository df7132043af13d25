import "server-only";

import { and, eq, inArray, lte, or, sql } from "drizzle-orm";

import { authorizationClient } from "@/lib/arm/client";
import { type AuditActor, recordAuditEvent, recordChangeIntent, recordChangeOutcome, type ChangeOutcome } from "@/lib/audit";
import type { Database } from "@/lib/db";
import { log } from "@/lib/log";
import { parseScope } from "@/lib/shared/arm-scope";
import { describeArmFailure, assignmentNameFor } from "@/lib/workspaces/grant-workspace-roles";
import { isRestError } from "@azure/core-rest-pipeline";
import { notifyRequesterOfExpiry } from "./notify";
import { accessRequests, type AccessRequestRow } from "./schema";

/** A run that stopped between claiming an expiry and recording it is taken over after this long. */
const STUCK_MS = 10 * 60_000;
const REMINDERS = [3, 1] as const;

const PRINCIPAL_TYPE = { user: "User", group: "Group", servicePrincipal: "ServicePrincipal", managedIdentity: "ServicePrincipal" } as const;

export interface RequestJobRun {
  readonly expired: number;
  readonly expiryFailed: number;
  readonly lapsed: number;
  readonly reminded: number;
}

export interface RequestJobOptions {
  /** Replaces the ARM DELETE (state-machine tests without a sandbox). Returns whether the assignment was absent. */
  readonly revoke?: (request: AccessRequestRow) => Promise<{ wasAbsent: boolean }>;
  readonly notify?: boolean;
}

function target(request: AccessRequestRow) {
  return { requestId: request.id, scope: request.workspaceId, principalId: request.principalId, roleDefinitionId: request.roleDefinitionId, roleName: request.roleName };
}

/**
 * The access-request job, as the console's own identity: lapses pending requests nobody decided in time, reminds
 * requesters 3 days and 1 day before access ends, and revokes expired grants. Each expiry is claimed with a
 * conditional UPDATE (`granted → expiring`), so with several instances exactly one revokes it.
 */
export async function runRequestJobs(db: Database, actor: AuditActor, now: Date, options: RequestJobOptions = {}): Promise<RequestJobRun> {
  const lapsed = await lapsePending(db, actor, now);
  const reminded = options.notify === false ? 0 : await remind(db, now);
  let expired = 0;
  let expiryFailed = 0;
  const due = await db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(
      or(
        and(eq(accessRequests.status, "granted"), lte(accessRequests.expiresAt, now)),
        and(eq(accessRequests.status, "expiring"), lte(accessRequests.updatedAt, new Date(now.getTime() - STUCK_MS))),
      ),
    )
    .limit(200);
  for (const { id } of due) {
    const outcome = await expireOne(db, actor, id, now, options);
    if (outcome === "expired") expired++;
    if (outcome === "failed") expiryFailed++;
  }
  return { expired, expiryFailed, lapsed, reminded };
}

async function expireOne(db: Database, actor: AuditActor, id: string, now: Date, options: RequestJobOptions): Promise<"expired" | "failed" | "skipped"> {
  // Claim: only one instance moves it to `expiring` (or takes over a stuck claim).
  const [claimed] = await db
    .update(accessRequests)
    .set({ status: "expiring", updatedAt: now, version: sql`${accessRequests.version} + 1` })
    .where(
      and(
        eq(accessRequests.id, id),
        or(
          and(eq(accessRequests.status, "granted"), lte(accessRequests.expiresAt, now)),
          and(eq(accessRequests.status, "expiring"), lte(accessRequests.updatedAt, new Date(now.getTime() - STUCK_MS))),
        ),
      ),
    )
    .returning();
  if (!claimed) return "skipped";

  let failure: { code: string; message: string } | undefined;
  let intentId: number | undefined;
  try {
    if (options.revoke) {
      await options.revoke(claimed);
    } else {
      intentId = await revokeAsConsole(db, actor, claimed);
    }
  } catch (error) {
    failure = { code: error instanceof Error && "code" in error ? String((error as { code: unknown }).code) : "RevokeFailed", message: error instanceof Error ? error.message : String(error) };
  }

  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set(failure ? { status: "granted", updatedAt: now, failureCode: failure.code.slice(0, 128), failureReason: `Expiry failed: ${failure.message}`.slice(0, 1000) } : { status: "expired", endedAt: now, updatedAt: now, version: sql`${accessRequests.version} + 1` })
      .where(and(eq(accessRequests.id, id), eq(accessRequests.status, "expiring")))
      .returning();
    if (!row) return;
    await recordAuditEvent(tx, {
      action: "request.expired",
      outcome: failure ? "failed" : "succeeded",
      ...(failure ? { errorCode: failure.code.slice(0, 128) || "RevokeFailed", reason: failure.message.slice(0, 2000) } : {}),
      actor,
      target: target(row),
      details: { from: "active", to: failure ? "active" : "expired", ...(intentId ? { intentId } : {}) },
      occurredAt: now,
    });
  });
  if (failure) log("warn", "requests", "expiry failed; will retry", { requestId: id, code: failure.code });
  return failure ? "failed" : "expired";
}

/** DELETE of the request's deterministic assignment as the console's own identity, with intent and outcome. */
async function revokeAsConsole(db: Database, actor: AuditActor, request: AccessRequestRow): Promise<number> {
  const workspace = parseScope(request.workspaceId)!;
  const assignmentName = assignmentNameFor(workspace.scope, request.principalId, request.roleDefinitionId);
  const intent = await db.transaction((tx) =>
    recordChangeIntent(tx, {
      kind: "revoke",
      scope: workspace.scope,
      principalId: request.principalId,
      principalType: PRINCIPAL_TYPE[request.principalKind as keyof typeof PRINCIPAL_TYPE] ?? "User",
      roleDefinitionId: request.roleDefinitionId,
      roleName: request.roleName,
      assignmentName,
      requestedBy: actor,
      requestId: request.id,
      reason: "time-bound access ended",
    }),
  );
  let outcome: ChangeOutcome;
  let thrown: Error | undefined;
  try {
    const response = await authorizationClient({ kind: "app" }, workspace.subscriptionId!).roleAssignments.delete(workspace.scope, assignmentName);
    outcome = { status: "succeeded", alreadyInDesiredState: !response?.id };
  } catch (error) {
    if (isRestError(error) && error.statusCode === 404) {
      outcome = { status: "succeeded", alreadyInDesiredState: true };
    } else {
      const failure = describeArmFailure(error, { userPrincipalName: "Gatehouse (console identity)" }, workspace, request.roleName);
      outcome = { status: "failed", errorCode: failure.code, ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}), message: failure.internalMessage.slice(0, 1000) };
      thrown = Object.assign(new Error(failure.internalMessage), { code: failure.code });
    }
  }
  await recordChangeOutcome(db, intent.id, outcome);
  if (thrown) throw thrown;
  return intent.id;
}

async function lapsePending(db: Database, actor: AuditActor, now: Date): Promise<number> {
  const due = await db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(and(eq(accessRequests.status, "pending"), lte(accessRequests.pendingUntil, now)))
    .limit(500);
  let count = 0;
  for (const { id } of due) {
    const done = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(accessRequests)
        .set({ status: "lapsed", endedAt: now, updatedAt: now, version: sql`${accessRequests.version} + 1` })
        .where(and(eq(accessRequests.id, id), eq(accessRequests.status, "pending"), lte(accessRequests.pendingUntil, now)))
        .returning();
      if (!row) return false;
      await recordAuditEvent(tx, {
        action: "request.lapsed",
        outcome: "succeeded",
        actor,
        target: target(row),
        details: { from: "pending", to: "lapsed" },
        occurredAt: now,
      });
      return true;
    });
    if (done) count++;
  }
  return count;
}

async function remind(db: Database, now: Date): Promise<number> {
  let count = 0;
  for (const days of REMINDERS) {
    const key = `${days}d`;
    // Claim the reminder (so it is sent once across instances), then send it; sendNotification queues and retries.
    const claimed = await db
      .update(accessRequests)
      .set({ remindedAt: sql`${accessRequests.remindedAt} || ${JSON.stringify([key])}::jsonb` })
      .where(
        and(
          inArray(accessRequests.status, ["granted"]),
          lte(accessRequests.expiresAt, new Date(now.getTime() + days * 86_400_000)),
          sql`${accessRequests.expiresAt} > ${now}`,
          sql`not (${accessRequests.remindedAt} ? ${key})`,
        ),
      )
      .returning();
    for (const request of claimed) {
      // A 1-day reminder makes the 3-day one pointless when both fall due in the same run.
      if (days === 3 && request.expiresAt && request.expiresAt.getTime() - now.getTime() <= 86_400_000) continue;
      await notifyRequesterOfExpiry(request, days);
      count++;
    }
  }
  return count;
}
