import "server-only";

import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";

import type { Database } from "@/lib/db/client";
import { auditEvents } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, type AuditAction, type AuditOutcome, type PrincipalType } from "./events";

/** What the audit page and the export filter by; every field narrows the result (AND). */
export const auditFilterSchema = z.strictObject({
  /** Inclusive. */
  from: z.date().optional(),
  /** Exclusive. */
  to: z.date().optional(),
  actorObjectId: z.guid().optional(),
  /** Start of the actor's UPN or display name, any case. */
  actorText: z.string().trim().min(1).max(256).optional(),
  /** A workspace (or other ARM scope), any case. */
  scope: z.string().trim().min(1).max(1024).optional(),
  principalId: z.string().trim().min(1).max(128).optional(),
  actions: z.array(z.enum(AUDIT_ACTIONS)).min(1).max(AUDIT_ACTIONS.length).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  /** Words that must all appear (as prefixes) in the event's names, ids, reason or details. */
  text: z.string().trim().min(1).max(256).optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

export const MAX_AUDIT_PAGE_SIZE = 200;

export interface AuditPage {
  /** 1 to 200; 50 when omitted. */
  readonly size?: number;
  /** `nextCursor` from the previous page; omitted for the first (newest) page. */
  readonly cursor?: string;
}

/** One stored event as the audit page and the export show it. */
export interface AuditEventRecord {
  readonly id: number;
  readonly occurredAt: Date;
  readonly actor: {
    readonly kind: "user" | "system" | "anonymous";
    readonly tenantId: string | null;
    readonly objectId: string | null;
    readonly displayName: string | null;
    readonly userPrincipalName: string | null;
    readonly appId: string | null;
  };
  /**
   * Where it came from: a person's console session (its row id) and the client address and user agent it recorded,
   * or the job that ran (with the session an admin started it in, if one did). All null on events recorded before
   * these were kept, and on an unidentified caller's.
   */
  readonly origin: {
    readonly sessionId: string | null;
    readonly clientAddress: string | null;
    readonly userAgent: string | null;
    readonly job: string | null;
  };
  readonly action: AuditAction;
  readonly target: {
    readonly scope: string | null;
    readonly principalId: string | null;
    readonly principalType: PrincipalType | null;
    readonly roleDefinitionId: string | null;
    readonly roleName: string | null;
    readonly requestId: string | null;
  };
  readonly outcome: AuditOutcome;
  readonly errorCode: string | null;
  readonly reason: string | null;
  readonly correlation: {
    readonly consoleRequestId: string | null;
    readonly armRequestId: string | null;
    readonly graphRequestId: string | null;
  };
  /** As written under the action's schema at the time (see the banner in events.ts). */
  readonly details: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditEventPage {
  readonly events: readonly AuditEventRecord[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Events matching the filter, newest first, one keyset page at a time (as fast on page 1,000 as on page 1). */
export async function searchAuditEvents(db: Database, filter: AuditFilter, page: AuditPage = {}): Promise<AuditEventPage> {
  const size = page.size ?? 50;
  if (!Number.isInteger(size) || size < 1 || size > MAX_AUDIT_PAGE_SIZE) {
    throw new AppError({
      code: "invalid_input",
      message: `audit page size ${size} is outside 1..${MAX_AUDIT_PAGE_SIZE}`,
      userMessage: `Choose a page size between 1 and ${MAX_AUDIT_PAGE_SIZE}.`,
    });
  }
  const after = page.cursor === undefined ? undefined : decodeAuditCursor(page.cursor);
  const rows = await fetchAuditEventBatch(db, auditFilterQuery(filter), after, size + 1);
  const events = rows.slice(0, size);
  const last = events.at(-1);
  return {
    events,
    nextCursor: rows.length > size && last ? encodeAuditCursor({ occurredAt: last.occurredAt, id: last.id }) : null,
  };
}

/** Where a page ends: the (occurred_at, id) of its oldest row. */
export interface AuditKeyset {
  readonly occurredAt: Date;
  readonly id: number;
}

/** The condition for the rows after a keyset in newest-first order (none for the first batch): one index range. */
export function olderThan(after: AuditKeyset | undefined): SQL[] {
  return after ? [sql`(${auditEvents.occurredAt}, ${auditEvents.id}) < (${after.occurredAt.toISOString()}::timestamptz, ${after.id}::bigint)`] : [];
}

/**
 * Every column an event is read with, by its drizzle field name, in the order the CSV export writes them (the origin
 * columns after the fixed-shape ones: a user agent has commas of its own). The search, both exports and the CSV header
 * are made from this one list.
 */
export const auditEventColumns = {
  id: auditEvents.id,
  occurredAt: auditEvents.occurredAt,
  actorKind: auditEvents.actorKind,
  actorTenantId: auditEvents.actorTenantId,
  actorObjectId: auditEvents.actorObjectId,
  actorDisplayName: auditEvents.actorDisplayName,
  actorUpn: auditEvents.actorUpn,
  actorAppId: auditEvents.actorAppId,
  action: auditEvents.action,
  outcome: auditEvents.outcome,
  errorCode: auditEvents.errorCode,
  targetScope: auditEvents.targetScope,
  targetPrincipalId: auditEvents.targetPrincipalId,
  targetPrincipalType: auditEvents.targetPrincipalType,
  targetRoleDefinitionId: auditEvents.targetRoleDefinitionId,
  targetRoleName: auditEvents.targetRoleName,
  targetRequestId: auditEvents.targetRequestId,
  reason: auditEvents.reason,
  consoleRequestId: auditEvents.consoleRequestId,
  armRequestId: auditEvents.armRequestId,
  graphRequestId: auditEvents.graphRequestId,
  actorSessionId: auditEvents.actorSessionId,
  actorClientAddress: auditEvents.actorClientAddress,
  actorUserAgent: auditEvents.actorUserAgent,
  actorJob: auditEvents.actorJob,
  details: auditEvents.details,
  prevHash: auditEvents.prevHash,
  hash: auditEvents.hash,
};

const cursorSchema = z.tuple([z.iso.datetime(), z.number().int().positive()]);

export function encodeAuditCursor(keyset: AuditKeyset): string {
  return Buffer.from(JSON.stringify([keyset.occurredAt.toISOString(), keyset.id])).toString("base64url");
}

export function decodeAuditCursor(cursor: string): AuditKeyset {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) {
    throw new AppError({
      code: "invalid_input",
      message: "malformed audit cursor",
      userMessage: "That page link is no longer valid. Start again from the first page.",
    });
  }
  return { occurredAt: new Date(parsed.data[0]), id: parsed.data[1] };
}

/**
 * A filter as SQL: the conditions the ordinary indexes serve, and the free-text match kept apart (as its tsquery) so
 * `fetchAuditEventBatch` can choose how to find it. Validated first, so a caller's stray field is refused, not ignored.
 */
export interface AuditQuery {
  readonly conditions: readonly SQL[];
  /** The free-text filter as a `to_tsquery('simple', …)` argument; undefined when there is none. */
  readonly textQuery?: string;
}

export function auditFilterQuery(filter: AuditFilter): AuditQuery {
  const valid = auditFilterSchema.parse(filter);
  const conditions: SQL[] = [];
  if (valid.from) conditions.push(gte(auditEvents.occurredAt, valid.from));
  if (valid.to) conditions.push(lt(auditEvents.occurredAt, valid.to));
  if (valid.actorObjectId) conditions.push(eq(auditEvents.actorObjectId, valid.actorObjectId.toLowerCase()));
  if (valid.actorText) {
    const prefix = `${escapeLikePattern(valid.actorText.toLowerCase())}%`;
    const byText = or(sql`lower(${auditEvents.actorUpn}) like ${prefix}`, sql`lower(${auditEvents.actorDisplayName}) like ${prefix}`);
    if (byText) conditions.push(byText);
  }
  if (valid.scope) conditions.push(sql`lower(${auditEvents.targetScope}) = ${valid.scope.toLowerCase()}`);
  if (valid.principalId) conditions.push(eq(auditEvents.targetPrincipalId, valid.principalId));
  if (valid.actions) conditions.push(inArray(auditEvents.action, valid.actions));
  if (valid.outcome) conditions.push(eq(auditEvents.outcome, valid.outcome));
  const textQuery = valid.text ? prefixTsQuery(valid.text) : undefined;
  return textQuery ? { conditions, textQuery } : { conditions };
}

/** Every condition of a query as one list, free text included (for a reader that walks all matches anyway). */
export function allAuditConditions(query: AuditQuery): SQL[] {
  return query.textQuery === undefined
    ? [...query.conditions]
    : [...query.conditions, sql`${auditEvents.searchVector} @@ to_tsquery('simple', ${query.textQuery})`];
}

/**
 * Rows a free-text search first looks at: the newest this many (after the other filters), walked in the
 * `(occurred_at, id)` index. A word in at least one event in 100 fills a page of 50 from them; rarer words go to the
 * GIN index instead. The planner cannot choose between the two itself: it guesses about 2% for any prefix term, so a
 * rare word would walk the whole trail and a common one would sort every match.
 */
export const RECENT_WINDOW_ROWS = 5000;

/** Up to `limit` matching events older than `after` (all of them when it is undefined), newest first. */
export async function fetchAuditEventBatch(db: Database, query: AuditQuery, after: AuditKeyset | undefined, limit: number): Promise<AuditEventRecord[]> {
  const where = and(...query.conditions, ...olderThan(after));
  if (query.textQuery === undefined) return selectEvents(db, where, limit);
  const ids = await matchingTextIds(db, where, query.textQuery, limit);
  return ids.length === 0 ? [] : selectEvents(db, inArray(auditEvents.id, ids), limit);
}

async function matchingTextIds(db: Database, where: SQL | undefined, textQuery: string, limit: number): Promise<number[]> {
  const statements = textSearchStatements(where, textQuery, limit);
  const recent = (await db.execute(statements.recent)) as { rows: { id: string | number }[] };
  if (recent.rows.length >= limit) return recent.rows.map((row) => Number(row.id));
  const all = (await db.execute(statements.everyMatch)) as { rows: { id: string | number }[] };
  return all.rows.map((row) => Number(row.id));
}

/** The two queries of a free-text search (exported for the test that checks their plans). */
export function textSearchStatements(where: SQL | undefined, textQuery: string, limit: number): { recent: SQL; everyMatch: SQL } {
  const filter = where ?? sql`true`;
  return {
    // The recent window, walked newest first: the subquery's ORDER BY and LIMIT keep the planner on that index.
    recent: sql`select id from (select ${auditEvents.id} as id, ${auditEvents.occurredAt} as occurred_at, ${auditEvents.searchVector} as search_vector from ${auditEvents} where ${filter} order by ${auditEvents.occurredAt} desc, ${auditEvents.id} desc limit ${RECENT_WINDOW_ROWS}) recent where search_vector @@ to_tsquery('simple', ${textQuery}) order by occurred_at desc, id desc limit ${limit}`,
    // A rarer word: every match through the GIN index, then the newest. MATERIALIZED keeps the LIMIT from turning this
    // back into a walk of the whole trail. When the window held every remaining row this reads no more than it did.
    everyMatch: sql`with hits as materialized (select ${auditEvents.id} as id, ${auditEvents.occurredAt} as occurred_at from ${auditEvents} where ${filter} and ${auditEvents.searchVector} @@ to_tsquery('simple', ${textQuery})) select id from hits order by occurred_at desc, id desc limit ${limit}`,
  };
}

/** The tsquery a free-text filter searches with (exported for the plan test); undefined when it has no words. */
export function auditTextQuery(text: string): string | undefined {
  return prefixTsQuery(text);
}

async function selectEvents(db: Database, where: SQL | undefined, limit: number): Promise<AuditEventRecord[]> {
  const rows = await db.select(auditEventColumns).from(auditEvents).where(where).orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id)).limit(limit);
  return rows.map((row) => toAuditEventRecord(row));
}

/** A stored row, by its drizzle field names, as the record the page and the export show. */
export type AuditEventRow = Omit<AuditEventRecord, "actor" | "origin" | "target" | "correlation" | "action" | "outcome"> & {
  readonly actorKind: string;
  readonly actorTenantId: string | null;
  readonly actorObjectId: string | null;
  readonly actorDisplayName: string | null;
  readonly actorUpn: string | null;
  readonly actorAppId: string | null;
  readonly actorSessionId: string | null;
  readonly actorClientAddress: string | null;
  readonly actorUserAgent: string | null;
  readonly actorJob: string | null;
  readonly action: string;
  readonly targetScope: string | null;
  readonly targetPrincipalId: string | null;
  readonly targetPrincipalType: string | null;
  readonly targetRoleDefinitionId: string | null;
  readonly targetRoleName: string | null;
  readonly targetRequestId: string | null;
  readonly outcome: string;
  readonly consoleRequestId: string | null;
  readonly armRequestId: string | null;
  readonly graphRequestId: string | null;
};

export function toAuditEventRecord(row: AuditEventRow): AuditEventRecord {
  return {
    id: row.id,
    occurredAt: row.occurredAt,
    // The writer only stores values from the catalogue's enums, so these narrowings hold for every stored row.
    actor: {
      kind: row.actorKind as AuditEventRecord["actor"]["kind"],
      tenantId: row.actorTenantId,
      objectId: row.actorObjectId,
      displayName: row.actorDisplayName,
      userPrincipalName: row.actorUpn,
      appId: row.actorAppId,
    },
    origin: { sessionId: row.actorSessionId, clientAddress: row.actorClientAddress, userAgent: row.actorUserAgent, job: row.actorJob },
    action: row.action as AuditAction,
    target: {
      scope: row.targetScope,
      principalId: row.targetPrincipalId,
      principalType: row.targetPrincipalType as PrincipalType | null,
      roleDefinitionId: row.targetRoleDefinitionId,
      roleName: row.targetRoleName,
      requestId: row.targetRequestId,
    },
    outcome: row.outcome as AuditOutcome,
    errorCode: row.errorCode,
    reason: row.reason,
    correlation: {
      consoleRequestId: row.consoleRequestId,
      armRequestId: row.armRequestId,
      graphRequestId: row.graphRequestId,
    },
    details: row.details,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

function escapeLikePattern(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * A tsquery where every word must match as a prefix (`'alice':* & 'contoso':*`). Each word is quoted, so tsquery
 * operators in the input are plain characters; PostgreSQL's parser then splits it the way it split the indexed text.
 */
function prefixTsQuery(text: string): string | undefined {
  const words = text
    .split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}@._-]/gu, ""))
    .filter((word) => /[\p{L}\p{N}]/u.test(word));
  if (words.length === 0) return undefined;
  return words.map((word) => `'${word}':*`).join(" & ");
}
