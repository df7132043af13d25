/**
 * Digests posted to the digest channel after scheduled jobs: what each kind last said and when, so the same news is
 * posted once a day rather than after every run.
 */
import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const notificationDigests = pgTable("notification_digests", {
  /** `drift` or `credentials`. */
  kind: text("kind").primaryKey(),
  /** A digest of what the post said (the items it counted); a different one is news. */
  fingerprint: text("fingerprint").notNull(),
  postedAt: timestamp("posted_at", { withTimezone: true, mode: "date", precision: 3 }).notNull(),
});
