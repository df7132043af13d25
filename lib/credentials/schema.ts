/**
 * Credentials dashboard tables. A snapshot is one inventory run (its time, progress, counts per bucket); its items are
 * the dashboard's rows. Snapshots are kept so trends can be shown; notifications remember which credential was told
 * about in which window so an owner hears about it at most once per window.
 */
import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const credentialSnapshots = pgTable(
  "credential_snapshots",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    status: text("status").notNull(),
    trigger: text("trigger").notNull(),
    /** Object id of the person who pressed Refresh; null for the scheduled job. */
    requestedBy: text("requested_by"),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** The time credentials were classified against. */
    asOf: timestamp("as_of", { withTimezone: true, mode: "date" }).notNull(),
    windowsDays: jsonb("windows_days").$type<[number, number, number]>().notNull(),
    counts: jsonb("counts").$type<Record<string, number>>().notNull().default({}),
    progress: jsonb("progress").$type<{ phase: string; done: number; total: number }>().notNull(),
    graphCalls: integer("graph_calls").notNull().default(0),
    armCalls: integer("arm_calls").notNull().default(0),
    warnings: jsonb("warnings").$type<string[]>().notNull().default([]),
    errorMessage: text("error_message"),
  },
  (table) => [
    check("credential_snapshots_status", sql`${table.status} in ('running', 'complete', 'failed')`),
    check("credential_snapshots_trigger", sql`${table.trigger} in ('manual', 'scheduled')`),
    index("credential_snapshots_status_started").on(table.status, table.startedAt),
  ],
);

export const credentialSnapshotItems = pgTable(
  "credential_snapshot_items",
  {
    snapshotId: bigint("snapshot_id", { mode: "number" })
      .notNull()
      .references(() => credentialSnapshots.id, { onDelete: "cascade" }),
    rowId: text("row_id").notNull(),
    identityKey: text("identity_key").notNull(),
    bucket: text("bucket").notNull(),
    risk: integer("risk").notNull(),
    endDateTime: timestamp("end_date_time", { withTimezone: true, mode: "date" }),
    /** The row as the page shows it (`CredentialRow`): names, dates, owners, roles. Never a secret value. */
    row: jsonb("row").notNull(),
  },
  (table) => [
    uniqueIndex("credential_snapshot_items_row").on(table.snapshotId, table.rowId),
    index("credential_snapshot_items_identity").on(table.snapshotId, table.identityKey),
  ],
);

/** Per identity extras the drawer needs (federated credentials), one row per identity per snapshot. */
export const credentialSnapshotIdentities = pgTable(
  "credential_snapshot_identities",
  {
    snapshotId: bigint("snapshot_id", { mode: "number" })
      .notNull()
      .references(() => credentialSnapshots.id, { onDelete: "cascade" }),
    identityKey: text("identity_key").notNull(),
    details: jsonb("details").notNull(),
  },
  (table) => [uniqueIndex("credential_snapshot_identities_key").on(table.snapshotId, table.identityKey)],
);

/** One row per credential per window an owner notification was sent (or attempted) for: at most once per window. */
export const credentialNotifications = pgTable(
  "credential_notifications",
  {
    rowId: text("row_id").notNull(),
    bucket: text("bucket").notNull(),
    /** The credential's end date when notified: a rotated credential (new key id) is a new row anyway. */
    endDateTime: timestamp("end_date_time", { withTimezone: true, mode: "date" }),
    notifiedAt: timestamp("notified_at", { withTimezone: true, mode: "date" }).notNull(),
    recipients: integer("recipients").notNull(),
  },
  (table) => [uniqueIndex("credential_notifications_once").on(table.rowId, table.bucket)],
);
