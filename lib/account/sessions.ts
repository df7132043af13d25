import "server-only";

import { z } from "zod";

import { recordAuditEventNow, recordAuditEvents } from "@/lib/audit";
import type { UserActor } from "@/lib/auth/audit-actor";
import { sessionEndedEvent, signedOutEvent } from "@/lib/auth/record-session";
import type { SessionEndReason } from "@/lib/auth/schema";
import type { Session } from "@/lib/auth/session";
import { endSession, findSessionById, listLiveSessionsOf, searchLiveSessions, type SessionSummary } from "@/lib/auth/session-store";
import { type Database, getDatabase } from "@/lib/db";
import { refusal } from "@/lib/errors";

/**
 * A person's sessions on the account page: their own live sessions, each of which they can end; an admin can also find
 * anyone's live sessions (by sign-in name or name) and end them. Ending is immediate: the next request with that
 * session's cookie, from any copy of it, is signed out.
 */
export interface SessionContext {
  readonly session: Session;
  readonly actor: UserActor;
  readonly requestId: string;
}

interface Options {
  readonly db?: Database;
  readonly now?: Date;
}

export const endSessionSchema = z.strictObject({ sessionId: z.uuid({ error: "must be a session id" }) });
export type EndSessionInput = z.output<typeof endSessionSchema>;

export const searchSessionsSchema = z.strictObject({
  query: z.string().trim().min(2, { error: "Type at least 2 characters of a sign-in name or name." }).max(100),
});
export type SearchSessionsInput = z.output<typeof searchSessionsSchema>;

/** What the page shows of a session (dates as ISO text: they travel to the browser). */
export interface SessionView {
  readonly id: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly absoluteExpiresAt: string;
  readonly clientAddress: string;
  readonly userAgent: string;
  /** The session this page was loaded with. */
  readonly current: boolean;
}

function viewOf(summary: SessionSummary, currentId: string): SessionView {
  return {
    id: summary.id,
    displayName: summary.displayName,
    userPrincipalName: summary.userPrincipalName,
    createdAt: summary.createdAt.toISOString(),
    lastSeenAt: summary.lastSeenAt.toISOString(),
    absoluteExpiresAt: summary.absoluteExpiresAt.toISOString(),
    clientAddress: summary.clientAddress,
    userAgent: summary.userAgent,
    current: summary.id === currentId,
  };
}

/** The signed-in person's own live sessions, this one marked. */
export async function listOwnSessions(session: Session, options: Options = {}): Promise<SessionView[]> {
  const db = options.db ?? (await getDatabase());
  const sessions = await listLiveSessionsOf(db, session.principal, options.now ?? new Date());
  return sessions.map((summary) => viewOf(summary, session.sessionId));
}

/** Live sessions of the people whose sign-in name or name contains the query (the permission matrix limits it to admins). */
export async function searchSessions(context: SessionContext, input: SearchSessionsInput, options: Options = {}): Promise<SessionView[]> {
  const db = options.db ?? (await getDatabase());
  const sessions = await searchLiveSessions(db, input.query, options.now ?? new Date());
  return sessions.map((summary) => viewOf(summary, context.session.sessionId));
}

/**
 * Ends one live session: the person's own, or, for an admin, anyone's. Someone else's session without the admin role
 * is refused and recorded as `authz.denied`; a session that is unknown or no longer live is "already ended".
 */
export async function endSessionById(context: SessionContext, input: EndSessionInput, options: Options = {}): Promise<{ readonly endedCurrent: boolean }> {
  const db = options.db ?? (await getDatabase());
  const now = options.now ?? new Date();
  const { principal } = context.session;
  const row = await findSessionById(db, input.sessionId);
  const own = row !== undefined && row.tenantId === principal.tenantId && row.objectId === principal.objectId;
  const admin = principal.roles.includes("Console.Admin");
  if (row && !own && !admin) {
    await recordAuditEventNow(db, {
      action: "authz.denied",
      outcome: "denied",
      actor: context.actor,
      target: {},
      correlation: { consoleRequestId: context.requestId },
      details: { consoleAction: "endSession", deniedBecause: "not_session_owner" },
    });
    throw refusal("forbidden", "not_session_owner", "You can only end your own sessions.");
  }
  const reason: SessionEndReason = own ? "ended_by_owner" : "ended_by_admin";
  const ended = row
    ? await db.transaction(async (tx) => {
        const endedRow = await endSession(tx, row.id, { endedBy: `${principal.tenantId}/${principal.objectId}`, reason, now });
        if (endedRow) await recordAuditEvents(tx, [sessionEndedEvent(context.actor, endedRow, context.requestId)]);
        return endedRow;
      })
    : undefined;
  if (!ended) throw refusal("not_found", "session_not_live", "This session has already ended.");
  return { endedCurrent: ended.id === context.session.sessionId };
}

/** Sign-out: this session ends on the server at once, recorded as a sign-out. */
export async function signOutSession(context: SessionContext, options: Options = {}): Promise<void> {
  const db = options.db ?? (await getDatabase());
  const now = options.now ?? new Date();
  const { principal, sessionId } = context.session;
  await db.transaction(async (tx) => {
    await endSession(tx, sessionId, { endedBy: `${principal.tenantId}/${principal.objectId}`, reason: "signed_out", now });
    // Recorded even when the session had just ended otherwise: the person asked to sign out.
    await recordAuditEvents(tx, [signedOutEvent(context.actor, sessionId, context.requestId)]);
  });
}
