import "server-only";

import { and, eq, inArray, lte, or, sql } from "drizzle-orm";

import { type AuditActor, type AuditEventInput, recordAuditEvent, recordAuditEvents } from "@/lib/audit";
import type { Database, DatabaseTransaction } from "@/lib/db";
import { getConfig } from "@/lib/config";
import { describeError, log } from "@/lib/log";
import { endBundleGrant, findBundleGrantOfRequest } from "@/lib/bundles/grant-bundle";
import type { BundleGrantPartRow } from "@/lib/bundles/schema";
import { describeHolders, keptBecause } from "@/lib/ownership/describe";
import { PRINCIPAL_TYPE } from "@/lib/workspaces/grant-workspace-roles";
import { type ReleaseOutcome, releaseAccess } from "@/lib/workspaces/release-access";
import { requestAuditTarget } from "./audit-target";
import { DEADLINE_PASSED, lapseRequest, type Staleness } from "./decision-guards";
import { notifyAdminsOfExpiryFailure, notifyOfExpiry, sendDueFollowUps } from "./notify";
import { findDeletedObjects } from "./requester-standing";
import { accessRequests, type AccessRequestRow } from "./schema";

/** A run that stopped between claiming an expiry and recording it is taken over after this long. */
const STUCK_MS = 10 * 60_000;

/** After a failed expiry: 5, 10, 20 … minutes, at most 6 hours between attempts. */
export function expiryRetryDelayMs(attempts: number): number {
  return Math.min(6 * 3_600_000, 5 * 60_000 * 2 ** Math.max(0, attempts - 1));
}

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
  /** Days before the end when reminders go out (GATEHOUSE_REQUEST_REMINDER_DAYS unless a test replaces it). */
  readonly reminderDays?: readonly number[];
  /** Which object ids the directory confirms deleted; Graph as the console unless a test replaces it. */
  readonly findDeleted?: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
}

/** Requests whose access is due to end now: expired grants, stuck claims, failed expiries whose retry is due. */
function dueForExpiry(now: Date) {
  return or(
    and(eq(accessRequests.status, "granted"), lte(accessRequests.expiresAt, now)),
    and(eq(accessRequests.status, "expiring"), lte(accessRequests.updatedAt, new Date(now.getTime() - STUCK_MS))),
    and(eq(accessRequests.status, "expiry_failed"), lte(accessRequests.nextExpiryAttemptAt, now)),
  );
}

/**
 * The access-request job, as the console's own identity: lapses pending requests nobody decided in time, tells
 * everyone who was told of a closed request how it ended, reminds requesters and routed owners before access ends
 * (3 days and 1 day by default), and ends expired grants. Each expiry is claimed with a
 * conditional UPDATE (`granted → expiring`), so with several instances exactly one acts on it. Ending a grant
 * releases the request's hold on the assignment: it is removed only when nothing else holds it and Gatehouse
 * created it. A removal that fails moves the request to `expiry_failed` (loud: admins are told once), and is retried
 * with back-off.
 */
export async function runRequestJobs(db: Database, actor: AuditActor, now: Date, options: RequestJobOptions = {}): Promise<RequestJobRun> {
  const lapsed = (await lapsePending(db, actor, now)) + (await closeOrphaned(db, actor, now, options.findDeleted ?? findDeletedObjects));
  // Everyone told of a request the job (or a refused approval) closed hears how it ended.
  if (options.notify !== false) await sendDueFollowUps(db, now);
  const reminded = options.notify === false ? 0 : await remind(db, now, options.reminderDays ?? getConfig().requests.reminderDays);
  let expired = 0;
  let expiryFailed = 0;
  const due = await db.select({ id: accessRequests.id }).from(accessRequests).where(dueForExpiry(now)).limit(200);
  for (const { id } of due) {
    const outcome = await expireOne(db, actor, id, now, options);
    if (outcome === "expired") expired++;
    if (outcome === "failed") expiryFailed++;
  }
  return { expired, expiryFailed, lapsed, reminded };
}

async function expireOne(db: Database, actor: AuditActor, id: string, now: Date, options: RequestJobOptions): Promise<"expired" | "failed" | "skipped"> {
  // Claim: only one instance moves it to `expiring` (or takes over a stuck claim, or a failed expiry that is due).
  const [before] = await db.select({ status: accessRequests.status }).from(accessRequests).where(eq(accessRequests.id, id));
  const [claimed] = await db
    .update(accessRequests)
    .set({ status: "expiring", updatedAt: now, version: sql`${accessRequests.version} + 1` })
    .where(and(eq(accessRequests.id, id), dueForExpiry(now)))
    .returning();
  if (!claimed || !before) return "skipped";
  const wasFailing = before.status === "expiry_failed";

  const finish = async (
    tx: DatabaseTransaction,
    outcome: Exclude<ReleaseOutcome, { status: "failed" | "in_progress" }>,
    bundleNote?: string,
  ): Promise<AuditEventInput[]> => {
    const fate = outcome.status === "kept" ? outcome.fate : outcome.status === "removed" ? outcome.fate : "already_removed";
    const note = bundleNote
      ? bundleNote
      : outcome.status === "kept"
        ? keptBecause(outcome.fate, await describeHolders(tx, outcome.remaining))
        : outcome.status === "not_held"
          ? "Gatehouse held nothing for this request any more, so nothing was removed."
          : outcome.fate === "already_removed"
            ? "The role assignment was already gone from Azure."
            : "The role assignment was removed.";
    const [row] = await tx
      .update(accessRequests)
      .set({
        status: "expired",
        endedAt: now,
        updatedAt: now,
        outcomeNote: note,
        failureCode: null,
        failureReason: null,
        nextExpiryAttemptAt: null,
        version: sql`${accessRequests.version} + 1`,
      })
      .where(and(eq(accessRequests.id, id), eq(accessRequests.status, "expiring")))
      .returning();
    if (!row) return [];
    return [
      {
        action: "request.expired",
        outcome: "succeeded",
        actor,
        target: requestAuditTarget(row),
        reason: note,
        details: {
          from: wasFailing ? "expiry_failed" : "active",
          to: "expired",
          assignment: fate,
          ...(outcome.status === "removed" && outcome.intentId > 0 ? { intentId: outcome.intentId } : {}),
        },
        occurredAt: now,
      },
    ];
  };

  let result: ReleaseOutcome;
  if (claimed.bundleId) {
    result = await expireBundle(db, actor, claimed, now, finish);
  } else if (options.revoke) {
    try {
      await options.revoke(claimed);
      result = await db.transaction(async (tx) => {
        const settled: ReleaseOutcome = { status: "not_held" };
        const events = await finish(tx, settled);
        await recordAuditEvents(tx, events);
        return settled;
      });
    } catch (error) {
      result = { status: "failed", code: "RevokeFailed", userMessage: "The removal failed.", internalMessage: describeError(error), intentId: 0 };
    }
  } else {
    try {
      result = await releaseAccess({
        identity: { kind: "app" },
        actor,
        db,
        access: {
          scope: claimed.workspaceId,
          principalId: claimed.principalId,
          principalType: PRINCIPAL_TYPE[claimed.principalKind as keyof typeof PRINCIPAL_TYPE] ?? "User",
          roleDefinitionId: claimed.roleDefinitionId,
          roleName: claimed.roleName,
        },
        holder: { kind: "request", requestId: claimed.id },
        reason: "time-bound access ended",
        actingAs: "Gatehouse (console identity)",
        now,
        onSettled: finish,
      });
    } catch (error) {
      result = {
        status: "failed",
        code: "ExpiryError",
        userMessage: "The removal could not be attempted.",
        internalMessage: describeError(error),
        intentId: 0,
      };
    }
  }

  if (result.status === "in_progress") {
    // Another change to this access is in flight: hand it back unchanged and try again next run.
    await db
      .update(accessRequests)
      .set({ status: before.status, updatedAt: now })
      .where(and(eq(accessRequests.id, id), eq(accessRequests.status, "expiring")));
    return "skipped";
  }
  if (result.status !== "failed") return "expired";

  // Fail closed and loud: the access is still there. One event when the state changes (not on every retry), a
  // back-off between attempts, and the admins told once.
  const failure = result;
  const attempts = claimed.expiryAttempts + 1;
  const nextAttemptAt = new Date(now.getTime() + expiryRetryDelayMs(attempts));
  const failed = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(accessRequests)
      .set({
        status: "expiry_failed",
        updatedAt: now,
        expiryAttempts: attempts,
        nextExpiryAttemptAt: nextAttemptAt,
        failureCode: failure.code.slice(0, 128),
        failureReason: `Gatehouse could not remove the access: ${failure.userMessage}`.slice(0, 1000),
        version: sql`${accessRequests.version} + 1`,
      })
      .where(and(eq(accessRequests.id, id), eq(accessRequests.status, "expiring")))
      .returning();
    if (!row) return undefined;
    if (!wasFailing) {
      await recordAuditEvent(tx, {
        action: "request.expiry_failed",
        outcome: "failed",
        errorCode: failure.code.slice(0, 128) || "RevokeFailed",
        actor,
        target: requestAuditTarget(row),
        reason: failure.internalMessage.slice(0, 2000),
        details: {
          from: "active",
          to: "expiry_failed",
          attempts,
          nextAttemptAt: nextAttemptAt.toISOString(),
          ...(failure.intentId ? { intentId: failure.intentId } : {}),
        },
        occurredAt: now,
      });
    }
    return row;
  });
  log("warn", "requests", "expiry failed; will retry", { requestId: id, code: failure.code, attempts, nextAttemptAt: nextAttemptAt.toISOString() });
  if (failed && !wasFailing && options.notify !== false) await notifyAdminsOfExpiryFailure(failed, failure.userMessage);
  return "failed";
}

/**
 * A bundle request's expiry ends its bundle grant: every part's holder lets go, and only assignments the bundle itself
 * created and nothing else holds are removed. Its outcome is told as one release's would be, with the parts in words.
 */
async function expireBundle(
  db: Database,
  actor: AuditActor,
  request: AccessRequestRow,
  now: Date,
  finish: (tx: DatabaseTransaction, outcome: Exclude<ReleaseOutcome, { status: "failed" | "in_progress" }>, note?: string) => Promise<AuditEventInput[]>,
): Promise<ReleaseOutcome> {
  try {
    const grant = await findBundleGrantOfRequest(db, request.id);
    const ended = grant
      ? await endBundleGrant({
          identity: { kind: "app" },
          actor,
          db,
          bundleGrantId: grant.grant.id,
          reason: "time-bound access ended",
          actingAs: "Gatehouse (console identity)",
          now,
        })
      : ({ status: "ended", parts: [], removed: 0, kept: 0 } as const);
    if (ended.status === "in_progress") return { status: "in_progress" };
    if (ended.status === "failed") {
      return { status: "failed", code: "BundleEndFailed", userMessage: ended.userMessage, internalMessage: ended.internalMessage, intentId: 0 };
    }
    const note = grant ? bundleEndNote(ended.parts) : "Gatehouse held nothing for this request any more, so nothing was removed.";
    const outcome: ReleaseOutcome = ended.removed > 0 ? { status: "removed", fate: "removed", intentId: 0 } : { status: "not_held" };
    await db.transaction(async (tx) => recordAuditEvents(tx, await finish(tx, outcome, note)));
    return outcome;
  } catch (error) {
    return { status: "failed", code: "ExpiryError", userMessage: "The removal could not be attempted.", internalMessage: describeError(error), intentId: 0 };
  }
}

/** "Removed: AcrPull on crchurn, … Kept: Storage Blob Data Contributor on stchurn (it existed before …)." */
function bundleEndNote(parts: readonly BundleGrantPartRow[]): string {
  const released = parts.filter((part) => part.state === "released");
  if (released.length === 0) return "The bundle held no assignments any more, so nothing was removed.";
  return released.map((part) => `${part.roleName} on ${part.resourceName ?? "its resource"}: ${part.note ?? "released."}`).join(" ");
}

async function lapsePending(db: Database, actor: AuditActor, now: Date): Promise<number> {
  const due = await db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(and(eq(accessRequests.status, "pending"), lte(accessRequests.pendingUntil, now)))
    .limit(500);
  let count = 0;
  for (const { id } of due) {
    if (await db.transaction((tx) => lapseRequest(tx, { requestId: id, staleness: DEADLINE_PASSED, actor, now }))) count++;
  }
  return count;
}

/** Pending requests looked at per run for a deleted principal or requester (one `getByIds` call per 1,000 ids). */
const ORPHAN_BATCH = 500;

/**
 * Closes pending requests whose principal or requester was deleted from the directory: nobody can receive the access,
 * or nobody stands behind the request any more. Only deletions Graph confirms count; when Graph cannot say, nothing
 * is closed and the next run tries again.
 */
async function closeOrphaned(
  db: Database,
  actor: AuditActor,
  now: Date,
  findDeleted: (ids: readonly string[]) => Promise<ReadonlySet<string>>,
): Promise<number> {
  const pending = await db
    .select({
      id: accessRequests.id,
      principalId: accessRequests.principalId,
      principalName: accessRequests.principalDisplayName,
      requesterObjectId: accessRequests.requesterObjectId,
      requesterTenantId: accessRequests.requesterTenantId,
      requesterName: accessRequests.requesterName,
    })
    .from(accessRequests)
    .where(eq(accessRequests.status, "pending"))
    .orderBy(accessRequests.createdAt)
    .limit(ORPHAN_BATCH);
  if (pending.length === 0) return 0;
  const tenantId = getConfig().identity.tenantId.toLowerCase();
  // A requester from another allowed tenant is not in this directory: their absence from it means nothing.
  const ids = pending.flatMap((row) => [row.principalId, ...(row.requesterTenantId === tenantId ? [row.requesterObjectId] : [])]);
  let deleted: ReadonlySet<string>;
  try {
    deleted = await findDeleted(ids);
  } catch (error) {
    log("warn", "requests", "could not check pending requests for deleted identities", { error: describeError(error) });
    return 0;
  }
  let count = 0;
  for (const row of pending) {
    const staleness: Staleness | undefined = deleted.has(row.principalId.toLowerCase())
      ? { cause: "principal_deleted", note: `${row.principalName} (${row.principalId}) no longer exists in the directory, so the request was closed.` }
      : row.requesterTenantId === tenantId && deleted.has(row.requesterObjectId.toLowerCase())
        ? { cause: "requester_deleted", note: `${row.requesterName}, who asked for this access, no longer exists in the directory, so the request was closed.` }
        : undefined;
    if (!staleness) continue;
    if (await db.transaction((tx) => lapseRequest(tx, { requestId: row.id, staleness, actor, now }))) count++;
  }
  return count;
}

/**
 * Reminders before access ends, on the configured days (3 and 1 by default), to the requester and the routed owners.
 * Each is claimed in `reminded` first, so it is sent once across instances; a reminder is skipped (but claimed) when a
 * closer one falls due in the same run: a 1-day reminder makes the 3-day one pointless.
 */
async function remind(db: Database, now: Date, reminderDays: readonly number[]): Promise<number> {
  let count = 0;
  const days = [...reminderDays].sort((a, b) => b - a);
  for (const [index, day] of days.entries()) {
    const key = `${day}d`;
    const closer = days.slice(index + 1);
    const claimed = await db
      .update(accessRequests)
      .set({ remindedAt: sql`${accessRequests.remindedAt} || ${JSON.stringify([key])}::jsonb` })
      .where(
        and(
          inArray(accessRequests.status, ["granted"]),
          lte(accessRequests.expiresAt, new Date(now.getTime() + day * 86_400_000)),
          sql`${accessRequests.expiresAt} > ${now}`,
          sql`not (${accessRequests.remindedAt} ? ${key})`,
        ),
      )
      .returning();
    for (const request of claimed) {
      const left = (request.expiresAt?.getTime() ?? 0) - now.getTime();
      if (closer.some((other) => left <= other * 86_400_000)) continue;
      await notifyOfExpiry(request, day, { db });
      count++;
    }
  }
  return count;
}
