import "server-only";

import { getConfig } from "@/lib/config";

import { hostname } from "node:os";

import { desc, lt } from "drizzle-orm";

import type { Database } from "@/lib/db";
import { getDatabase } from "@/lib/db";
import { postDriftDigest } from "@/lib/digests/drift-digest";
import { appGraphClient } from "@/lib/graph/client";
import { collectDrift, type DriftReport } from "./collect";
import { mappingDriftReports } from "./schema";

/**
 * The scheduled drift check: the console's own identity (client credentials; Reader on subscriptions, Graph
 * directory read), read-only, once per interval across instances (the job lease decides, see lib/db/job-leases.ts).
 * It stores the report with its time; the mappings page shows the latest.
 */
export const DRIFT_CHECK_JOB = "mapping-drift-check";
const KEEP_REPORTS = 20;
const HOLDER = `${hostname()}:${process.pid}`;

export interface StoredDriftReport {
  readonly checkedAt: string;
  readonly holder: string;
  readonly report: DriftReport;
}

export async function runScheduledDriftCheck(db: Database, now: () => Date = () => new Date()): Promise<Record<string, number>> {
  const report = await collectDrift(db, { kind: "app" }, appGraphClient());
  const checkedAt = now();
  await db.insert(mappingDriftReports).values({ checkedAt, holder: HOLDER, report });
  await postDriftDigest(db, report, checkedAt);
  const [keep] = await db
    .select({ id: mappingDriftReports.id })
    .from(mappingDriftReports)
    .orderBy(desc(mappingDriftReports.id))
    .offset(KEEP_REPORTS - 1)
    .limit(1);
  if (keep) await db.delete(mappingDriftReports).where(lt(mappingDriftReports.id, keep.id));
  return {
    workspaces: report.workspaces.length,
    items: report.workspaces.reduce((sum, workspace) => sum + workspace.items.length, 0),
    unreadable: report.workspaces.filter((workspace) => workspace.error !== null).length,
  };
}

export async function latestDriftReport(db: Database): Promise<StoredDriftReport | null> {
  const [row] = await db.select().from(mappingDriftReports).orderBy(desc(mappingDriftReports.id)).limit(1);
  return row ? { checkedAt: row.checkedAt.toISOString(), holder: row.holder, report: row.report as DriftReport } : null;
}

/** The job as lib/jobs/scheduler.ts runs it. */
export function driftCheckJob(intervalMs = getConfig().jobs.driftCheckIntervalMs) {
  return {
    name: DRIFT_CHECK_JOB,
    intervalMs,
    run: async () => runScheduledDriftCheck(await getDatabase()),
  };
}
