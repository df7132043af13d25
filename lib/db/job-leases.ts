import "server-only";

import { and, eq, like, lt, sql } from "drizzle-orm";

import type { Database } from "./client";
import { jobLeases } from "./schema";

export interface ClaimJobRunOptions {
  readonly jobName: string;
  /** Identifies this console instance (host + pid), shown when diagnosing who ran a job. */
  readonly holder: string;
  /** A job runs at most once per interval across all instances. */
  readonly intervalMs: number;
  /** After this long without `finishJobRun`, a crashed holder's run may be taken over. */
  readonly leaseMs: number;
  readonly now: Date;
}

/**
 * Tries to claim this interval's run of a scheduled job. Returns true for exactly one caller per interval, however
 * many instances ask at once: the upsert's conflict branch locks the row, and a loser re-evaluates the WHERE against
 * the winner's update and so changes nothing.
 */
export async function claimJobRun(db: Database, options: ClaimJobRunOptions): Promise<boolean> {
  const { jobName, holder, intervalMs, leaseMs, now } = options;
  const leaseExpiresAt = new Date(now.getTime() + leaseMs);
  const dueBefore = new Date(now.getTime() - intervalMs);
  const claimed = await db
    .insert(jobLeases)
    .values({ jobName, holder, lastStartedAt: now, leaseExpiresAt })
    .onConflictDoUpdate({
      target: jobLeases.jobName,
      set: { holder, lastStartedAt: now, lastFinishedAt: null, leaseExpiresAt },
      setWhere: and(
        sql`${jobLeases.lastStartedAt} <= ${dueBefore}`,
        // The previous run finished, or its holder stopped renewing (crashed) and the lease ran out.
        sql`(${jobLeases.lastFinishedAt} is not null or ${jobLeases.leaseExpiresAt} <= ${now})`,
      ),
    })
    .returning({ jobName: jobLeases.jobName });
  return claimed.length === 1;
}

/** Marks the holder's run as finished so the next interval can start. */
export async function finishJobRun(db: Database, jobName: string, holder: string, now: Date): Promise<void> {
  await db
    .update(jobLeases)
    .set({ lastFinishedAt: now })
    .where(and(eq(jobLeases.jobName, jobName), eq(jobLeases.holder, holder)));
}

/**
 * Ends a one-off lock taken with `claimJobRun` (`intervalMs: 0`) by deleting its row, so locks named after a person or
 * a resource do not pile up. Only the holder's own row is deleted: a lease taken over after this holder stalled stays.
 */
export async function releaseLock(db: Database, lockName: string, holder: string): Promise<void> {
  await db.delete(jobLeases).where(and(eq(jobLeases.jobName, lockName), eq(jobLeases.holder, holder)));
}

/**
 * Deletes one-off locks under `prefix` whose holder crashed (never released them) and whose lease ran out more than
 * `graceMs` ago. Scheduled jobs' rows are never matched: they are named without the prefix. Returns how many.
 */
export async function pruneAbandonedLocks(db: Database, prefix: string, now: Date, graceMs: number): Promise<number> {
  const pattern = `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
  const deleted = await db
    .delete(jobLeases)
    .where(and(like(jobLeases.jobName, pattern), lt(jobLeases.leaseExpiresAt, new Date(now.getTime() - graceMs))))
    .returning({ jobName: jobLeases.jobName });
  return deleted.length;
}
