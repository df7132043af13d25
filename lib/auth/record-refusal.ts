import "server-only";

import { type AuditActor, recordAuditEventNow } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import { logRefusal, recordAnonymousRefusal } from "@/lib/security/refusal-tally";
import type { Permission } from "@/lib/shared/permissions";

export type DeniedBecause = "cross_origin" | "no_session" | "console_role_missing" | "rate_limited";

/**
 * Records a refusal of an action, page or route: a signed-in person's as an `authz.denied` event of its own; an
 * unidentified caller's counted per source and minute (`security.refusals_counted`, lib/security/refusal-tally.ts),
 * with a bounded number of log lines, since anyone can send those. A refusal must never be lost silently, but neither
 * may a failing audit write turn a refusal into something else: the caller is refused either way, and the failure is
 * logged.
 */
export async function recordRefusal(permission: Permission, actor: AuditActor, deniedBecause: DeniedBecause, requestId: string): Promise<void> {
  if (actor.kind === "anonymous") {
    logRefusal("authz.denied", { action: permission, reason: deniedBecause, requestId });
    await recordAnonymousRefusal(`authz.denied/${deniedBecause}/${permission}`);
    return;
  }
  log("warn", "security", "authz.denied", { action: permission, reason: deniedBecause, requestId });
  try {
    await recordAuditEventNow(await getDatabase(), {
      action: "authz.denied",
      outcome: "denied",
      actor,
      target: {},
      correlation: { consoleRequestId: requestId },
      details: { consoleAction: permission, deniedBecause },
    });
  } catch (error) {
    log("error", "audit", "could not record a refusal", {
      action: permission,
      requestId,
      error: describeError(error),
    });
  }
}
