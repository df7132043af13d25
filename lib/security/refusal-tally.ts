import "server-only";

import { lt, sql } from "drizzle-orm";

import { type AuditEventInput, recordAuditEvents } from "@/lib/audit";
import type { Database } from "@/lib/db";
import { getDatabase } from "@/lib/db";
import { describeError, log, type LogFields } from "@/lib/log";
import { currentRequestSource } from "./client-address";
import { refusalTallies } from "./schema";

/**
 * Refusals of unidentified callers — a rejected token, an action or route called without a session — are not chained
 * one by one: anyone can send them, and each chained event would hold the chain head's lock and stay forever. Each is
 * counted per (source address, reason, minute) with one upsert, and `flushRefusalTallies` (the abuse-limits job)
 * turns every source's finished minute into one `security.refusals_counted` event with the counts. A signed-in
 * person's refusals stay individual events (`authz.denied`): they name someone, and matter for review.
 */

const MINUTE_MS = 60_000;
/** Sources given an event of their own per minute; the rest are added up under "other", so a minute writes ≤ 101 events. */
export const MAX_SOURCES_PER_MINUTE = 100;
/** Reasons listed per event; the rest are added up under "other". */
export const MAX_REASONS_PER_EVENT = 32;
/** Refusal log lines per minute per process; the rest are counted and the count logged once. */
export const REFUSAL_LOG_LINES_PER_MINUTE = 20;

export interface Refusal {
  readonly source: string;
  /** What was refused and why, e.g. `auth.token_rejected/session-cookie/expired`, `authz.denied/no_session/listMappings`. */
  readonly reason: string;
}

/** Counts one refusal in its minute. */
export async function tallyRefusal(db: Database, refusal: Refusal, now = new Date()): Promise<void> {
  const minute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  await db
    .insert(refusalTallies)
    .values({ minute, source: refusal.source.slice(0, 64), reason: refusal.reason.slice(0, 120), count: 1 })
    .onConflictDoUpdate({
      target: [refusalTallies.minute, refusalTallies.source, refusalTallies.reason],
      set: { count: sql`${refusalTallies.count} + 1` },
    });
}

let logWindowStart = 0;
let loggedInWindow = 0;
let suppressedInWindow = 0;

/** A refusal log line, at most `REFUSAL_LOG_LINES_PER_MINUTE` a minute per process; the rest are counted. */
export function logRefusal(message: string, fields: LogFields, now = Date.now()): void {
  if (now - logWindowStart >= MINUTE_MS) {
    if (suppressedInWindow > 0) log("warn", "security", "refusal log lines suppressed", { count: suppressedInWindow });
    logWindowStart = now;
    loggedInWindow = 0;
    suppressedInWindow = 0;
  }
  if (loggedInWindow >= REFUSAL_LOG_LINES_PER_MINUTE) {
    suppressedInWindow += 1;
    return;
  }
  loggedInWindow += 1;
  log("warn", "security", message, fields);
}

/**
 * Counts a refusal of an unidentified caller of the current request (its address by the trusted proxy hops). Never
 * throws: the caller is refused either way, and a failed count is logged.
 */
export async function recordAnonymousRefusal(reason: string): Promise<void> {
  try {
    await tallyRefusal(await getDatabase(), { source: await currentRequestSource(), reason });
  } catch (error) {
    logRefusal("could not count a refusal", { reason, error: describeError(error) });
  }
}

/**
 * Turns every finished minute's tallies into audit events — one per source and minute, `MAX_SOURCES_PER_MINUTE` at most
 * (the sources with fewest refusals are added up under "other") — and removes them, in one transaction: the rows are
 * deleted with RETURNING first, so two instances flushing at once never write a minute twice.
 */
export async function flushRefusalTallies(db: Database, now = new Date()): Promise<{ events: number; refusals: number }> {
  const currentMinute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
  return db.transaction(async (tx) => {
    const rows = await tx.delete(refusalTallies).where(lt(refusalTallies.minute, currentMinute)).returning();
    const byMinute = new Map<number, Map<string, Map<string, number>>>();
    for (const row of rows) {
      const sources = byMinute.get(row.minute.getTime()) ?? new Map<string, Map<string, number>>();
      byMinute.set(row.minute.getTime(), sources);
      const reasons = sources.get(row.source) ?? new Map<string, number>();
      sources.set(row.source, reasons);
      reasons.set(row.reason, (reasons.get(row.reason) ?? 0) + row.count);
    }
    const events: AuditEventInput[] = [];
    let refusals = 0;
    for (const [minute, sources] of [...byMinute].sort(([a], [b]) => a - b)) {
      const ranked = [...sources].sort(([, a], [, b]) => total(b) - total(a));
      const kept = ranked.slice(0, MAX_SOURCES_PER_MINUTE);
      const rest = ranked.slice(MAX_SOURCES_PER_MINUTE);
      if (rest.length > 0) kept.push(["other", merge(rest.map(([, reasons]) => reasons))]);
      for (const [source, reasons] of kept) {
        const count = total(reasons);
        refusals += count;
        events.push({
          action: "security.refusals_counted",
          outcome: "denied",
          actor: { kind: "anonymous" },
          target: {},
          details: { source, minute: new Date(minute).toISOString(), count, reasons: topReasons(reasons) },
        });
      }
    }
    await recordAuditEvents(tx, events);
    return { events: events.length, refusals };
  });
}

function total(reasons: Map<string, number>): number {
  let sum = 0;
  for (const count of reasons.values()) sum += count;
  return sum;
}

function merge(all: Map<string, number>[]): Map<string, number> {
  const merged = new Map<string, number>();
  for (const reasons of all) for (const [reason, count] of reasons) merged.set(reason, (merged.get(reason) ?? 0) + count);
  return merged;
}

function topReasons(reasons: Map<string, number>): { reason: string; count: number }[] {
  const ranked = [...reasons].sort(([ra, a], [rb, b]) => b - a || ra.localeCompare(rb)).map(([reason, count]) => ({ reason, count }));
  if (ranked.length <= MAX_REASONS_PER_EVENT) return ranked;
  const rest = ranked.slice(MAX_REASONS_PER_EVENT - 1).reduce((sum, entry) => sum + entry.count, 0);
  return [...ranked.slice(0, MAX_REASONS_PER_EVENT - 1), { reason: "other", count: rest }];
}

/** For tests: start a fresh log window. */
export function resetRefusalLogWindow(): void {
  logWindowStart = 0;
  loggedInWindow = 0;
  suppressedInWindow = 0;
}
