import "server-only";

import { type AuditActor, type AuditEventInput, recordAuditEventNow } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import type { SignedInPrincipal } from "./access-token";
import { auditActorOf, auditSessionOrigin, type SessionOrigin } from "./audit-actor";
import type { ConsoleSessionRow } from "./schema";

/** A new session (not a renewal) starts: who, with which console roles, which session, until when its token lasts. */
export async function recordSignIn(principal: SignedInPrincipal, session: SessionOrigin): Promise<void> {
  await recordAuditEventNow(await getDatabase(), {
    action: "auth.signed_in",
    outcome: "succeeded",
    actor: auditActorOf(principal, session),
    target: {},
    details: { roles: [...principal.roles], sessionExpiresAt: principal.expiresAt.toISOString(), sessionId: session.id },
  });
}

export function signedOutEvent(actor: AuditActor, sessionId: string, requestId?: string): AuditEventInput {
  return {
    action: "auth.signed_out",
    outcome: "succeeded",
    actor,
    target: {},
    ...(requestId ? { correlation: { consoleRequestId: requestId } } : {}),
    details: { sessionId },
  };
}

/**
 * The person a session belongs to, acting in it, as the audit trail names them (from the row: the session may hold no
 * valid token).
 */
export function sessionOwnerActor(row: ConsoleSessionRow): AuditActor {
  return {
    kind: "user",
    tenantId: row.tenantId,
    objectId: row.objectId,
    displayName: row.displayName,
    userPrincipalName: row.userPrincipalName,
    session: auditSessionOrigin(row),
  };
}

/** A session ended by its owner or an admin (account page), or replaced by another person's sign-in on its browser. */
export function sessionEndedEvent(actor: AuditActor, row: ConsoleSessionRow, requestId?: string): AuditEventInput {
  const reason = row.endReason;
  if (reason !== "ended_by_owner" && reason !== "ended_by_admin" && reason !== "replaced") {
    throw new Error(`a session that ended with ${String(reason)} is recorded as a sign-out`);
  }
  return {
    action: "auth.session_ended",
    outcome: "succeeded",
    actor,
    target: { principalId: row.objectId, principalType: "User" },
    ...(requestId ? { correlation: { consoleRequestId: requestId } } : {}),
    details: {
      sessionId: row.id,
      reason,
      sessionUserPrincipalName: row.userPrincipalName,
      sessionCreatedAt: row.createdAt.toISOString(),
    },
  };
}
