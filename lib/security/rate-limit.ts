import "server-only";

import { lt, sql } from "drizzle-orm";

import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import { getDatabase } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import { rateLimitBuckets } from "./schema";

/**
 * Rate limits kept in the database, so every console instance counts in the same row. Fixed one-minute windows: one
 * atomic upsert per call (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, as in lib/db/job-leases.ts) both counts the
 * call and answers whether it is over the limit. A fixed window lets at most twice the limit through around a window's
 * edge, which is enough to stop floods and costs one row per subject and minute.
 *
 * - `sign-in`:   `POST /api/session`, per client address.
 * - `anonymous`: calls refused for want of a session, and CSP reports, per client address.
 * - `actions`:   every server action, per person (tenant + object id).
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

/** Counts one call of `subject` against `kind`'s limit and says whether it may go on. */
export async function consumeRateLimit(
  db: Database,
  kind: RateLimitKind,
  subject: string,
  options: { readonly limit: number; readonly now?: Date; readonly windowMs?: number },
): Promise<RateLimitDecision> {
  const { limit, now = new Date(), windowMs = RATE_LIMIT_WINDOW_MS } = options;
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const [row] = await db
    .insert(rateLimitBuckets)
    .values({ kind, subject, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: [rateLimitBuckets.kind, rateLimitBuckets.subject, rateLimitBuckets.windowStart],
      set: { count: sql`${rateLimitBuckets.count} + 1` },
    })
    .returning({ count: rateLimitBuckets.count });
  if (!row) throw new Error("the rate-limit upsert returned no row");
  const { count } = row;
  return {
    allowed: count <= limit,
    count,
    limit,
    retryAfterSeconds: Math.max(1, Math.ceil((windowStart.getTime() + windowMs - now.getTime()) / 1000)),
    firstRefusal: count === limit + 1,
  };
}

/** The configured limit for `kind`, per minute. */
export function rateLimitFor(kind: RateLimitKind): number {
  const { perMinute } = getConfig().limits;
  return { "sign-in": perMinute.signIn, anonymous: perMinute.anonymous, actions: perMinute.actions, expensive: perMinute.expensive }[kind];
}

/**
 * `consumeRateLimit` against the console's database and configured limit. A limiter that cannot count lets the call
 * through (logged): the database the call needs anyway is then the problem, and refusing everyone would not help.
 */
export async function checkRateLimit(kind: RateLimitKind, subject: string): Promise<RateLimitDecision> {
  const limit = rateLimitFor(kind);
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
