import "server-only";

import { randomUUID } from "node:crypto";

import { and, asc, desc, eq, gt, ilike, inArray, isNull, lt, or, sql } from "drizzle-orm";

import type { Database, DatabaseTransaction } from "@/lib/db";
import { oncePerDatabase } from "@/lib/db/once-per-database";
import type { SignedInPrincipal } from "./access-token";
import { consoleSessions, type ConsoleSessionRow, type SessionEndReason } from "./schema";
import { cookieHash, decryptToken, encryptToken, newCookieValue } from "./session-crypto";

/**
 * The server-side session store: one row per sign-in, found by the hash of the cookie's opaque value. A session ends
 * when someone ends it (sign-out, its owner or an admin from the account page), after `idleMs` without a request, or
 * `absoluteMs` after sign-in, whichever comes first; its token is renewed in place (same row) until then.
 */
export interface SessionLifetimes {
  readonly idleMs: number;
  readonly absoluteMs: number;
}

export interface SessionKeyOptions {
  readonly key: Buffer;
  readonly now: Date;
}

/** last-seen is written at most this often per session: a page view costs a read, not a write. */
export const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Ended and expired rows are kept this long (who signed in from where, for an investigation), then deleted. */
export const ENDED_SESSION_RETENTION_MS = 30 * 24 * 3_600_000;

// Kept on globalThis, as the database handle is: a module reloaded in development must see the same writes.
const globalForSessions = globalThis as typeof globalThis & { gatehouseSessionWrites?: { generation: number } };
const sessionWrites = (globalForSessions.gatehouseSessionWrites ??= { generation: 0 });

/**
 * Every write to console_sessions is made in this module, through this, which bumps the write generation before the
 * statement and after it: a copy of a row read under any other generation may be stale (SessionRowCache).
 */
async function writingSessions<T>(write: () => PromiseLike<T>): Promise<T> {
  sessionWrites.generation += 1;
  try {
    return await write();
  } finally {
    sessionWrites.generation += 1;
  }
}

/** How many times a write to console_sessions has started or finished in this process. */
export function sessionWriteGeneration(): number {
  return sessionWrites.generation;
}

/**
 * Copies of live sessions' rows by cookie hash, for a database only this process can write (PGlite). A copy is used
 * only while no write to console_sessions has started since it was read, so a sign-out, an ended session, a renewed
 * token or a last-seen touch is seen by the very next lookup; its liveness is checked again against each request's
 * time. Never used with PostgreSQL, which other instances write too.
 */
export class SessionRowCache {
  private readonly rows = new Map<string, { readonly generation: number; readonly row: ConsoleSessionRow }>();

  constructor(private readonly capacity = 10_000) {}

  get(hash: string): ConsoleSessionRow | undefined {
    const entry = this.rows.get(hash);
    if (entry && entry.generation !== sessionWrites.generation) this.rows.delete(hash);
    return entry?.generation === sessionWrites.generation ? entry.row : undefined;
  }

  /** Keeps `row`, read when the write generation was `generation`, unless a write has started since. */
  set(hash: string, generation: number, row: ConsoleSessionRow): void {
    if (generation !== sessionWrites.generation) return;
    if (this.rows.size >= this.capacity) this.rows.clear();
    this.rows.set(hash, { generation, row });
  }
}

export const MAX_USER_AGENT = 256;
export const MAX_CLIENT_ADDRESS = 64;

export interface NewSession {
  readonly principal: SignedInPrincipal;
  readonly token: string;
  readonly clientAddress: string;
  readonly userAgent: string;
}

export interface CreatedSession {
  readonly id: string;
  /** For the cookie only: never stored, never logged. */
  readonly cookieValue: string;
  readonly absoluteExpiresAt: Date;
}

export async function createSession(
  db: Database | DatabaseTransaction,
  session: NewSession,
  options: SessionKeyOptions & { readonly lifetimes: SessionLifetimes },
): Promise<CreatedSession> {
  const { key, now, lifetimes } = options;
  const id = randomUUID();
  const cookieValue = newCookieValue();
  const absoluteExpiresAt = new Date(now.getTime() + lifetimes.absoluteMs);
  await writingSessions(() =>
    db.insert(consoleSessions).values({
      id,
      cookieHash: cookieHash(cookieValue),
      tenantId: session.principal.tenantId,
      objectId: session.principal.objectId,
      displayName: session.principal.displayName.slice(0, 256),
      userPrincipalName: session.principal.userPrincipalName.slice(0, 256),
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: new Date(Math.min(now.getTime() + lifetimes.idleMs, absoluteExpiresAt.getTime())),
      absoluteExpiresAt,
      clientAddress: session.clientAddress.slice(0, MAX_CLIENT_ADDRESS),
      userAgent: session.userAgent.slice(0, MAX_USER_AGENT),
      tokenCiphertext: encryptToken(key, id, session.token),
      tokenExpiresAt: session.principal.expiresAt,
    }),
  );
  return { id, cookieValue, absoluteExpiresAt };
}

/** A live session found by its cookie, with its token decrypted. */
export interface LiveSession {
  readonly id: string;
  readonly tenantId: string;
  readonly objectId: string;
  readonly token: string;
  readonly tokenExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  /** What the session recorded of its client at sign-in (bounded as stored): where its actions came from. */
  readonly clientAddress: string;
  readonly userAgent: string;
}

const live = (now: Date) => and(isNull(consoleSessions.endedAt), gt(consoleSessions.idleExpiresAt, now), gt(consoleSessions.absoluteExpiresAt, now));

/** `live(now)` for a row in hand. */
const isLive = (row: ConsoleSessionRow, now: Date) =>
  row.endedAt === null && row.idleExpiresAt.getTime() > now.getTime() && row.absoluteExpiresAt.getTime() > now.getTime();

/**
 * The live-session lookup, built once per database (every request makes it): `hash` is the cookie's hash, `now` the
 * request's time as ISO text. Unnamed on PostgreSQL (an empty name): only the SQL text is kept, no server-side
 * statement, which a transaction-mode connection pooler in front of the server would not keep per client.
 */
const liveSessionLookup = oncePerDatabase((db: Database) => {
  const now = sql.placeholder("now");
  return db
    .select()
    .from(consoleSessions)
    .where(
      and(
        eq(consoleSessions.cookieHash, sql.placeholder("hash")),
        isNull(consoleSessions.endedAt),
        gt(consoleSessions.idleExpiresAt, now),
        gt(consoleSessions.absoluteExpiresAt, now),
      ),
    )
    .limit(1)
    .prepare("");
});

/**
 * The live session a cookie names, or undefined: unknown, ended, idle or past its absolute end, or its token does not
 * decrypt with this key. Touches last-seen (and so the idle end) when the last touch is over a minute old. With a
 * `cache` (PGlite only), a row read since the last write to the table is not read again.
 */
export async function findLiveSession(
  db: Database,
  cookieValue: string,
  options: SessionKeyOptions & { readonly lifetimes: SessionLifetimes; readonly cache?: SessionRowCache },
): Promise<LiveSession | undefined> {
  const { key, now, lifetimes, cache } = options;
  const hash = cookieHash(cookieValue);
  let row = cache?.get(hash);
  if (row && !isLive(row, now)) return undefined;
  if (!row) {
    const generation = sessionWriteGeneration();
    [row] = await liveSessionLookup(db).execute({ hash, now: now.toISOString() });
    if (!row) return undefined;
    cache?.set(hash, generation, row);
  }
  const token = decryptToken(key, row.id, row.tokenCiphertext);
  if (token === undefined) return undefined;
  if (now.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    const idleExpiresAt = new Date(Math.min(now.getTime() + lifetimes.idleMs, row.absoluteExpiresAt.getTime()));
    const { id, lastSeenAt } = row;
    // Conditional on the last-seen read: of several requests at once, one writes.
    await writingSessions(() =>
      db
        .update(consoleSessions)
        .set({ lastSeenAt: now, idleExpiresAt })
        .where(and(eq(consoleSessions.id, id), eq(consoleSessions.lastSeenAt, lastSeenAt), isNull(consoleSessions.endedAt))),
    );
  }
  return {
    id: row.id,
    tenantId: row.tenantId,
    objectId: row.objectId,
    token,
    tokenExpiresAt: row.tokenExpiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    clientAddress: row.clientAddress,
    userAgent: row.userAgent,
  };
}

/** Replaces a live session's token (a renewal: same row, same cookie). False when the session is no longer live. */
export async function renewSessionToken(
  db: Database,
  id: string,
  renewal: { readonly token: string; readonly principal: SignedInPrincipal },
  options: SessionKeyOptions,
): Promise<boolean> {
  const { key, now } = options;
  const updated = await writingSessions(() =>
    db
      .update(consoleSessions)
      .set({
        tokenCiphertext: encryptToken(key, id, renewal.token),
        tokenExpiresAt: renewal.principal.expiresAt,
        displayName: renewal.principal.displayName.slice(0, 256),
        userPrincipalName: renewal.principal.userPrincipalName.slice(0, 256),
      })
      .where(and(eq(consoleSessions.id, id), live(now)))
      .returning({ id: consoleSessions.id }),
  );
  return updated.length === 1;
}

export interface SessionEnd {
  /** `<tenant id>/<object id>` of who ended it. */
  readonly endedBy: string;
  readonly reason: SessionEndReason;
  readonly now: Date;
}

/** Ends a session at once; the row that was ended, or undefined when it had already ended (or expired). */
export async function endSession(db: Database | DatabaseTransaction, id: string, end: SessionEnd): Promise<ConsoleSessionRow | undefined> {
  const [row] = await writingSessions(() =>
    db
      .update(consoleSessions)
      .set({ endedAt: end.now, endedBy: end.endedBy.slice(0, 100), endReason: end.reason })
      .where(and(eq(consoleSessions.id, id), live(end.now)))
      .returning(),
  );
  return row;
}

/**
 * The session a cookie names when someone ended it on purpose (its owner or an admin), however long ago: that browser
 * must sign in again, not have a new session made silently from the tokens it still holds.
 */
export async function findDeliberatelyEndedSession(db: Database, cookieValue: string): Promise<ConsoleSessionRow | undefined> {
  const [row] = await db
    .select()
    .from(consoleSessions)
    .where(and(eq(consoleSessions.cookieHash, cookieHash(cookieValue)), inArray(consoleSessions.endReason, ["ended_by_owner", "ended_by_admin"])))
    .limit(1);
  return row;
}

export async function findSessionById(db: Database | DatabaseTransaction, id: string): Promise<ConsoleSessionRow | undefined> {
  const [row] = await db.select().from(consoleSessions).where(eq(consoleSessions.id, id)).limit(1);
  return row;
}

/** What the account page shows of a session: never its cookie hash or token. */
export interface SessionSummary {
  readonly id: string;
  readonly tenantId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly clientAddress: string;
  readonly userAgent: string;
}

const summaryColumns = {
  id: consoleSessions.id,
  tenantId: consoleSessions.tenantId,
  objectId: consoleSessions.objectId,
  displayName: consoleSessions.displayName,
  userPrincipalName: consoleSessions.userPrincipalName,
  createdAt: consoleSessions.createdAt,
  lastSeenAt: consoleSessions.lastSeenAt,
  idleExpiresAt: consoleSessions.idleExpiresAt,
  absoluteExpiresAt: consoleSessions.absoluteExpiresAt,
  clientAddress: consoleSessions.clientAddress,
  userAgent: consoleSessions.userAgent,
};

/** One person's live sessions, the most recently used first. */
export async function listLiveSessionsOf(db: Database, person: { tenantId: string; objectId: string }, now: Date): Promise<SessionSummary[]> {
  return db
    .select(summaryColumns)
    .from(consoleSessions)
    .where(and(eq(consoleSessions.tenantId, person.tenantId), eq(consoleSessions.objectId, person.objectId), live(now)))
    .orderBy(desc(consoleSessions.lastSeenAt), asc(consoleSessions.id));
}

/** Live sessions of people whose UPN or name contains `text` (an admin's search), at most `limit`. */
export async function searchLiveSessions(db: Database, text: string, now: Date, limit = 50): Promise<SessionSummary[]> {
  const pattern = `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  return db
    .select(summaryColumns)
    .from(consoleSessions)
    .where(and(live(now), or(ilike(consoleSessions.userPrincipalName, pattern), ilike(consoleSessions.displayName, pattern))))
    .orderBy(asc(consoleSessions.userPrincipalName), desc(consoleSessions.lastSeenAt))
    .limit(limit);
}

/** Deletes sessions that ended, idled out or reached their absolute end more than the retention ago. */
export async function pruneSessions(db: Database, now: Date, retentionMs = ENDED_SESSION_RETENTION_MS): Promise<number> {
  const before = new Date(now.getTime() - retentionMs);
  const deleted = await writingSessions(() =>
    db
      .delete(consoleSessions)
      .where(or(lt(consoleSessions.endedAt, before), lt(consoleSessions.idleExpiresAt, before), lt(consoleSessions.absoluteExpiresAt, before)))
      .returning({ id: consoleSessions.id }),
  );
  return deleted.length;
}
