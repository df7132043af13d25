/**
 * The notification outbox: one row per mail recipient or chat-channel post. A notification is written here first and then
 * delivered; a failed delivery stays `pending` with a later `next_attempt_at` and is retried by the `notifications`
 * job a bounded number of times, so a mail problem never blocks or undoes what caused the notification.
 */
import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

import type { NotificationMessage } from "./message";

export const notificationOutbox = pgTable(
  "notification_outbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    /** `mail` (Graph sendMail to `recipient`) or `chat` (a post to the named channel `recipient`). */
    channel: text("channel").notNull(),
    /** A user object id or UPN for mail; the channel's name for chat (never its URL, a secret). */
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    /** A mail's plain text; for chat, the summary (for reading the table). */
    body: text("body").notNull(),
    /** The structured message a chat post is rendered from, at every attempt the same (null for plain mails). */
    message: jsonb("message").$type<NotificationMessage>(),
    /** `pending` → `sent`, or `failed` after the last attempt. */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** While one instance delivers a row, others leave it alone until this passes. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true, mode: "date" }),
    lastError: text("last_error"),
    /** When delivery was last tried (the time of `last_error` when it failed); for the admins' view. */
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    index("notification_outbox_due_idx")
      .on(table.nextAttemptAt)
      .where(sql`${table.status} = 'pending'`),
    // Pruning sent rows past the retention, and the page's count of what was sent today.
    index("notification_outbox_sent_idx")
      .on(table.sentAt)
      .where(sql`${table.status} = 'sent'`),
    // The page's given-up rows: the newest first, and the latest failure per channel.
    index("notification_outbox_failed_idx")
      .on(table.lastAttemptAt.desc(), table.id.desc())
      .where(sql`${table.status} = 'failed'`),
  ],
);
