/**
 * Tables of the abuse limits: rate-limit counters and the tallies of anonymous refusals awaiting their aggregate audit
 * event. Both are small and short-lived (pruned or flushed within minutes); neither is part of the audit trail.
 */
import { sql } from "drizzle-orm";
import { check, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One fixed window of one rate limit: `kind` (sign-in, anonymous, actions, expensive), `subject` (a client address or
 * a person's tenant/object id) and the window's start. Every instance counts in the same row with one atomic upsert,
 * so a limit holds across instances.
 */
export const rateLimitBuckets = pgTable(
  "rate_limit_buckets",
  {
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.kind, table.subject, table.windowStart] }), check("rate_limit_buckets_count", sql`${table.count} > 0`)],
);

/**
 * Refusals of unidentified callers (rejected tokens, anonymous action posts), counted per source address, reason and
 * minute instead of chained one by one; a job turns each source's minute into one `security.refusals_counted` event.
 */
export const refusalTallies = pgTable(
  "refusal_tallies",
  {
    minute: timestamp("minute", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
    source: text("source").notNull(),
    reason: text("reason").notNull(),
    count: integer("count").notNull(),
  },
  (table) => [primaryKey({ columns: [table.minute, table.source, table.reason] }), check("refusal_tallies_count", sql`${table.count} > 0`)],
);
