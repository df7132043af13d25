import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";

import { authorizationClient } from "@/lib/arm/client";
import { type AuditActor, findUnresolvedIntents, markIntentUnknown, resolveIntent, UNKNOWN_AFTER_MS } from "@/lib/audit";
import type { Database } from "@/lib/db";
import { applyIntentOwnership, type IntentOwnership } from "@/lib/ownership/holders";
import { subscriptionOfScope } from "@/lib/shared/arm-scope";

/**
 * A pending intent older than this had its ARM call finish long ago (timeouts and retries included), so its outcome
 * was lost (crash, timeout with no answer) rather than still on its way.
 */
export const SETTLE_AFTER_MS = 5 * 60_000;

/** Clocks differ between Gatehouse and ARM; an assignment created this close before the intent still counts as ours. */
const CLOCK_SKEW_MS = 2 * 60_000;

export interface ReconcileSummary {
  readonly checked: number;
  readonly settled: number;
  readonly errors: number;
  /** Closed as unknown: ARM would not show their outcome for longer than `UNKNOWN_AFTER_MS`. */
  readonly unknown: number;
}

/**
 * Settles changes whose outcome was never recorded by looking at ARM with the console's own (read-only) identity:
 * a grant whose assignment exists happened; one that does not, did not — and the reverse for a revoke. Each is
 * recorded as `role_assignment.reconciled`, with what it means for the assignment's holders (a settled grant adds its
 * holder; a settled revoke ends the holders it was for). A change whose outcome ARM will not show (e.g. 403 on the
 * read) is closed as unknown after `UNKNOWN_AFTER_MS`, so it never blocks that access forever.
 */
export async function reconcilePendingIntents(db: Database, actor: AuditActor, now: Date = new Date()): Promise<ReconcileSummary> {
  const pending = await findUnresolvedIntents(db, new Date(now.getTime() - SETTLE_AFTER_MS));
  let settled = 0;
  let errors = 0;
  let unknown = 0;
  for (const intent of pending) {
    const subscriptionId = subscriptionOfScope(intent.scope) ?? "";
    let armRequestId: string | undefined;
    let observed: "present" | "absent";
    let createdOn: Date | undefined;
    try {
      const assignment = await authorizationClient({ kind: "app" }, subscriptionId).roleAssignments.get(intent.scope, intent.assignmentName, {
        onResponse: (response) => void (armRequestId = response.headers.get("x-ms-request-id") ?? undefined),
      });
      observed = "present";
      createdOn = assignment.createdOn;
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) {
        observed = "absent";
        armRequestId = error.response?.headers.get("x-ms-request-id") ?? armRequestId;
      } else {
        if (now.getTime() - intent.createdAt.getTime() > UNKNOWN_AFTER_MS) {
          const code = isRestError(error) ? (error.code ?? `HTTP${error.statusCode ?? ""}`) : "NoResponse";
          if (await markIntentUnknown(db, intent.id, { actor, errorCode: code, now })) unknown++;
        } else {
          // ARM unavailable or refusing: leave it pending and try again next run.
          errors++;
        }
        continue;
      }
    }
    // Created after the intent was recorded: Gatehouse's PUT made it (the crash came after ARM's answer).
    const created = intent.kind === "grant" && createdOn !== undefined && createdOn.getTime() >= intent.createdAt.getTime() - CLOCK_SKEW_MS;
    await resolveIntent(
      db,
      intent.id,
      observed,
      { actor, now, ...(armRequestId ? { armRequestId } : {}) },
      async (tx, settledIntent) =>
        (
          await applyIntentOwnership(tx, {
            ownership: settledIntent.ownership as IntentOwnership | null,
            kind: settledIntent.kind,
            succeeded: true,
            access: { ...settledIntent, roleName: settledIntent.roleName ?? undefined },
            assignmentName: settledIntent.assignmentName,
            created,
            wasAbsent: false,
            actor: settledIntent.requestedBy,
            now,
            correlation: armRequestId ? { armRequestId } : undefined,
          })
        ).events,
    );
    settled++;
  }
  return { checked: pending.length, settled, errors, unknown };
}
