import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";

import { authorizationClient } from "@/lib/arm/client";
import { type AuditActor, findUnresolvedIntents, resolveIntent } from "@/lib/audit";
import type { Database } from "@/lib/db";
import { parseScope } from "@/lib/shared/arm-scope";

/**
 * A pending intent older than this had its ARM call finish long ago (timeouts and retries included), so its outcome
 * was lost (crash, timeout with no answer) rather than still on its way.
 */
export const SETTLE_AFTER_MS = 5 * 60_000;

export interface ReconcileSummary {
  readonly checked: number;
  readonly settled: number;
  readonly errors: number;
}

/**
 * Settles changes whose outcome was never recorded by looking at ARM with the console's own (read-only) identity:
 * a grant whose assignment exists happened; one that does not, did not — and the reverse for a revoke. Each is
 * recorded as `role_assignment.reconciled`. Nothing is ever silently missing from the trail.
 */
export async function reconcilePendingIntents(db: Database, actor: AuditActor, now: Date = new Date()): Promise<ReconcileSummary> {
  const pending = await findUnresolvedIntents(db, new Date(now.getTime() - SETTLE_AFTER_MS));
  let settled = 0;
  let errors = 0;
  for (const intent of pending) {
    const subscriptionId = parseScope(intent.scope)?.subscriptionId ?? "";
    let armRequestId: string | undefined;
    let observed: "present" | "absent";
    try {
      await authorizationClient({ kind: "app" }, subscriptionId).roleAssignments.get(intent.scope, intent.assignmentName, {
        onResponse: (response) => void (armRequestId = response.headers.get("x-ms-request-id") ?? undefined),
      });
      observed = "present";
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) {
        observed = "absent";
        armRequestId = error.response?.headers.get("x-ms-request-id") ?? armRequestId;
      } else {
        // ARM unavailable or refusing: leave it pending and try again next run.
        errors++;
        continue;
      }
    }
    await resolveIntent(db, intent.id, observed, { actor, now, ...(armRequestId ? { armRequestId } : {}) });
    settled++;
  }
  return { checked: pending.length, settled, errors };
}
