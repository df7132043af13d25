import "server-only";

import { type AuditActor, recordAuditEventNow } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import type { SignedInPrincipal } from "./access-token";
import { auditActorOf } from "./audit-actor";

/** A new session (not a renewal) starts: who, with which console roles, until when. */
export async function recordSignIn(principal: SignedInPrincipal): Promise<void> {
  await recordAuditEventNow(await getDatabase(), {
    action: "auth.signed_in",
    outcome: "succeeded",
    actor: auditActorOf(principal),
    target: {},
    details: { roles: [...principal.roles], sessionExpiresAt: principal.expiresAt.toISOString() },
  });
}

export async function recordSignOut(actor: AuditActor, requestId: string): Promise<void> {
  await recordAuditEventNow(await getDatabase(), {
    action: "auth.signed_out",
    outcome: "succeeded",
    actor,
    target: {},
    correlation: { consoleRequestId: requestId },
    details: {},
  });
}
