/**
 * The database schema. Migrations under `lib/db/migrations` are generated from it with `npm run db:generate`
 * and checked in; they must run on PostgreSQL 15 (CI, Azure) and PGlite (PostgreSQL 18) alike.
 */
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per scheduled job (drift check, credential refresh, access expiry). An instance runs a job only after
 * winning the row for that interval, so several console instances sharing a database run each job once.
 */
export const jobLeases = pgTable("job_leases", {
  jobName: text("job_name").primaryKey(),
  holder: text("holder").notNull(),
  lastStartedAt: timestamp("last_started_at", { withTimezone: true, mode: "date" }).notNull(),
  lastFinishedAt: timestamp("last_finished_at", { withTimezone: true, mode: "date" }),
  leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }).notNull(),
});
