import "server-only";

import { hostname } from "node:os";

import { auditShippingJob } from "@/lib/audit/shipping-job";
import { systemActor } from "@/lib/auth/audit-actor";
import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { claimJobRun, finishJobRun, pruneAbandonedLocks } from "@/lib/db/job-leases";
import { credentialInventoryJob } from "@/lib/credentials/job";
import { describeError, log } from "@/lib/log";
import { driftCheckJob } from "@/lib/mappings/drift-job";
import { notificationDeliveryJob } from "@/lib/notifications/job";
import { requestExpiryJob } from "@/lib/requests/jobs";
import { abuseLimitsJob } from "@/lib/security/job";
import { reconcilePendingIntents } from "@/lib/workspaces/reconcile-intents";
import { REVOKE_GUARD_LOCK_PREFIX } from "@/lib/workspaces/revoke-workspace-roles";

/** Identifies this instance in job leases and logs. */
const HOLDER = `${hostname()}:${process.pid}`;

/** A removal-guard lock whose lease ran out this long ago was left by a crashed instance. */
const ABANDONED_LOCK_GRACE_MS = 60 * 60_000;

export interface Job {
  readonly name: string;
  readonly intervalMs: number;
  run(): Promise<Record<string, number>>;
}

/** Every scheduled job with its interval (exported for the two-instance test, which drives them itself). */
export function jobs(): Job[] {
  const config = getConfig();
  return [
    {
      name: "reconcile-intents",
      intervalMs: config.jobs.reconcileIntervalMs,
      // Also what a crash left behind in the lease table: removal-guard locks that were never released.
      run: async () => {
        const db = await getDatabase();
        const reconciled = await reconcilePendingIntents(db, systemActor("reconcile-intents"));
        return { ...reconciled, abandonedLocksPruned: await pruneAbandonedLocks(db, REVOKE_GUARD_LOCK_PREFIX, new Date(), ABANDONED_LOCK_GRACE_MS) };
      },
    },
    driftCheckJob(),
    requestExpiryJob(),
    notificationDeliveryJob(),
    credentialInventoryJob(),
    auditShippingJob(),
    abuseLimitsJob(),
  ];
}

/** Runs one job if this instance wins this interval's lease; every instance may call it, one runs it. */
export async function runJobIfDue(job: Job, now: Date = new Date()): Promise<boolean> {
  const db = await getDatabase();
  // The lease outlives any sane run, so a crashed holder's run is taken over only after it.
  if (!(await claimJobRun(db, { jobName: job.name, holder: HOLDER, intervalMs: job.intervalMs, leaseMs: job.intervalMs * 5, now }))) {
    return false;
  }
  try {
    const result = await job.run();
    log("info", "jobs", `${job.name} finished`, result);
  } catch (error) {
    log("error", "jobs", `${job.name} failed`, { error: describeError(error) });
  } finally {
    await finishJobRun(db, job.name, HOLDER, new Date());
  }
  return true;
}

let started = false;

/** Starts the timers (once per process). Called from instrumentation.ts when the server starts. */
export function startScheduler(): void {
  if (started || !getConfig().jobs.enabled) return;
  started = true;
  for (const job of jobs()) {
    // Ticks more often than the interval; the lease decides whether a run is due, across all instances.
    const tick = Math.max(5_000, Math.min(job.intervalMs / 4, 60_000));
    const timer = setInterval(() => {
      void runJobIfDue(job).catch((error: unknown) => log("error", "jobs", `${job.name} could not be scheduled`, { error: describeError(error) }));
    }, tick);
    timer.unref();
  }
}
