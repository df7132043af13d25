import "server-only";

import { lt, sql } from "drizzle-orm";

import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import { getDatabase } from "@/lib/db";
import { oncePerDatabase } from "@/lib/db/once-per-database";
import { describeError, log } from "@/lib/log";
import { rateLimitBuckets } from "./schema";

/**
 * Rate limits kept in the database, so every console instance counts in the same row. Fixed one-minute windows: one
 * atomic upsert per call (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, as in lib/db/job-leases.ts) both counts the
 * call and answers whether it is over the limit. A fixed window lets at most twice the limit through around a window's
 * edge, which is enough to stop floods and costs one row per subject and minute.
 *
 * On PGlite (embedded) the console's process is by construction the database's only client, so the same windows are
 * counted in its memory instead (`InProcessRateLimits`): the same limits and answers without a database write per
 * call. A restart starts the current windows afresh.
 *
 * - `sign-in`:   `POST /api/session`, per client address.
 * - `anonymous`: calls refused for want of a session, and CSP reports, per client address.
 * - `actions`:   every server action and read, per person (tenant + object id).
 * - `expensive`: audit verify, credential refresh, exports, mapping import, per person, on top of `actions`.
 */
export type RateLimitKind = "sign-in" | "anonymous" | "actions" | "expensive";

export const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Calls counted in this window, this one included. */
  readonly count: number;
  readonly limit: number;
  /** Whole seconds until the window ends (at least 1): the `Retry-After` value. */
  readonly retryAfterSeconds: number;
  /** The first call refused in this window: the one to audit, so a flood writes one event per window. */
  readonly firstRefusal: boolean;
}

/**
 * The upsert, built once per database (every call on PostgreSQL makes it). Unnamed (an empty name): only the SQL text
 * is kept, no server-side statement, which a transaction-mode connection pooler would not keep per client.
 */
const upsert = oncePerDatabase((db: Database) =>
  db
    .insert(rateLimitBuckets)
    .values({ kind: sql.placeholder("kind"), subject: sql.placeholder("subject"), windowStart: sql.placeholder("windowStart"), count: 1 })
    .onConflictDoUpdate({
      target: [rateLimitBuckets.kind, rateLimitBuckets.subject, rateLimitBuckets.windowStart],
      set: { count: sql`${rateLimitBuckets.count} + 1` },
    })
    .returning({ count: rateLimitBuckets.count })
    .prepare(""),
);

/** Counts one call of `subject` against `kind`'s limit and says whether it may go on. */
export async function consumeRateLimit(
  db: Database,
  kind: RateLimitKind,
  subject: string,
  options: { readonly limit: number; readonly now?: Date; readonly windowMs?: number },
): Promise<RateLimitDecision> {
  const { limit, now = new Date(), windowMs = RATE_LIMIT_WINDOW_MS } = options;
  const windowStart = windowStartOf(now, windowMs);
  const [row] = await upsert(db).execute({ kind, subject, windowStart: new Date(windowStart) });
  if (!row) throw new Error("the rate-limit upsert returned no row");
  return decisionOf(row.count, limit, windowStart, windowMs, now);
}

function windowStartOf(now: Date, windowMs: number): number {
  return Math.floor(now.getTime() / windowMs) * windowMs;
}

function decisionOf(count: number, limit: number, windowStart: number, windowMs: number, now: Date): RateLimitDecision {
  return {
    allowed: count <= limit,
    count,
    limit,
    retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now.getTime()) / 1000)),
    firstRefusal: count === limit + 1,
  };
}

/**
 * `consumeRateLimit`'s windows in this process's memory, for a database no other process can write (PGlite). Windows
 * that ended more than a window ago are dropped when a later window is first counted, as the job prunes the table.
 */
export class InProcessRateLimits {
  /** Count per window, by window start, then by kind and subject. */
  private readonly windows = new Map<number, Map<string, number>>();

  /**
   * `maxSubjectsPerWindow` bounds the memory a flood from many client addresses can take: past it, a new subject's
   * calls are not counted here (`undefined`) and the caller counts them in the table, as with PostgreSQL.
   */
  constructor(private readonly maxSubjectsPerWindow = 50_000) {}

  consume(
    kind: RateLimitKind,
    subject: string,
    options: { readonly limit: number; readonly now?: Date; readonly windowMs?: number },
  ): RateLimitDecision | undefined {
    const { limit, now = new Date(), windowMs = RATE_LIMIT_WINDOW_MS } = options;
    const windowStart = windowStartOf(now, windowMs);
    let counts = this.windows.get(windowStart);
    if (!counts) {
      counts = new Map();
      this.windows.set(windowStart, counts);
      this.prune(now, windowMs);
    }
    // A NUL cannot occur in a kind, and separates it from any subject.
    const key = `${kind}\u0000${subject}`;
    const previous = counts.get(key);
    if (previous === undefined && counts.size >= this.maxSubjectsPerWindow) return undefined;
    const count = (previous ?? 0) + 1;
    counts.set(key, count);
    return decisionOf(count, limit, windowStart, windowMs, now);
  }

  /** Drops windows that ended more than a window before `now`. */
  private prune(now: Date, windowMs: number): void {
    for (const windowStart of this.windows.keys()) if (windowStart < now.getTime() - 2 * windowMs) this.windows.delete(windowStart);
  }
}

// On globalThis, as the database handle is: a module reloaded in development must keep counting in the same windows.
const globalForLimits = globalThis as typeof globalThis & { gatehouseRateLimits?: InProcessRateLimits };

/** The console's in-process windows (used only when its database is PGlite). */
export function inProcessRateLimits(): InProcessRateLimits {
  return (globalForLimits.gatehouseRateLimits ??= new InProcessRateLimits());
}

/** The configured limit for `kind`, per minute. */
export function rateLimitFor(kind: RateLimitKind): number {
  const { perMinute } = getConfig().limits;
  return { "sign-in": perMinute.signIn, anonymous: perMinute.anonymous, actions: perMinute.actions, expensive: perMinute.expensive }[kind];
}

/**
 * `consumeRateLimit` against the console's database and configured limit (in this process's memory when the database
 * is PGlite). A limiter that cannot count lets the call through (logged): the database the call needs anyway is then
 * the problem, and refusing everyone would not help.
 */
export async function checkRateLimit(kind: RateLimitKind, subject: string): Promise<RateLimitDecision> {
  const limit = rateLimitFor(kind);
  const inProcess = getConfig().database.kind === "pglite" ? inProcessRateLimits().consume(kind, subject, { limit }) : undefined;
  if (inProcess) return inProcess;
  try {
    return await consumeRateLimit(await getDatabase(), kind, subject, { limit });
  } catch (error) {
    log("error", "security", "rate limit could not be counted", { kind, error: describeError(error) });
    return { allowed: true, count: 0, limit, retryAfterSeconds: 1, firstRefusal: false };
  }
}

/** What a throttled person reads. */
export function tooManyRequestsMessage(retryAfterSeconds: number): string {
  return `Too many requests — try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}.`;
}

/** The route handlers' answer to a throttled call: 429 with `Retry-After` (RFC 9110 §10.2.3, RFC 6585 §4). */
export function tooManyRequestsResponse(decision: RateLimitDecision): Response {
  return Response.json(
    { error: { code: "rate_limited", message: tooManyRequestsMessage(decision.retryAfterSeconds) } },
    { status: 429, headers: { "Cache-Control": "no-store", "Retry-After": String(decision.retryAfterSeconds) } },
  );
}

/** Deletes windows that ended more than a window ago; returns how many. Run by the abuse-limits job. */
export async function pruneRateLimitBuckets(db: Database, now: Date, windowMs = RATE_LIMIT_WINDOW_MS): Promise<number> {
  const deleted = await db
    .delete(rateLimitBuckets)
    .where(lt(rateLimitBuckets.windowStart, new Date(now.getTime() - 2 * windowMs)))
    .returning({ kind: rateLimitBuckets.kind });
  return deleted.length;
}
