import "server-only";

import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";

import { getConfig } from "@/lib/config";
import { getDatabase, type Database } from "@/lib/db";
import { appGraphClient } from "@/lib/graph/client";
import { describeError, log } from "@/lib/log";
import { escapeMarkdown } from "@/lib/shared/markdown";
import { renderPlainText, type NotificationAudience, type NotificationMessage } from "./message";
import { notificationOutbox } from "./schema";

/** After this many failed attempts a notification is given up (`failed`) and stays visible in the outbox table. */
export const MAX_NOTIFICATION_ATTEMPTS = 5;
/** How long one instance may hold a row while delivering it. */
const CLAIM_MS = 2 * 60_000;
const SUBJECT_MAX = 255;
const TEXT_MAX = 20_000;

const notificationInput = z.strictObject({
  to: z.array(z.string().trim().min(1).max(320)).max(500),
  subject: z.string().trim().min(1).max(SUBJECT_MAX),
  text: z.string().min(1).max(TEXT_MAX),
  webhookSummary: z.string().trim().min(1).max(1000).optional(),
});

export interface NotificationInput {
  /** User object ids or UPNs. Duplicates are sent once. */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** A one-line summary for the incoming webhook (when one is configured); defaults to the subject. */
  readonly webhookSummary?: string;
}

export interface NotificationDelivery {
  /** Mails handed to Graph now. */
  readonly mailed: number;
  /** Mails (and the webhook post) that failed now; they stay in the outbox and are retried by the job. */
  readonly failed: number;
}

/**
 * Queues a notification in the outbox and tries to deliver it at once: Graph `sendMail` as the console's own identity
 * from the configured sender mailbox, one mail per recipient, plus one post to the incoming webhook if configured.
 * Never throws: a notification must never block or undo what caused it. Whatever fails now is retried later.
 */
export async function sendNotification(input: NotificationInput): Promise<NotificationDelivery> {
  try {
    const parsed = notificationInput.parse({ ...input, to: [...input.to] });
    const db = await getDatabase();
    const ids = await queueNotification(db, parsed);
    if (ids.length === 0) return { mailed: 0, failed: 0 };
    const results = await deliverNotifications(db, new Date(), ids);
    return { mailed: results.mailed, failed: results.failed };
  } catch (error) {
    log("error", "notifications", "could not queue a notification", { error: describeError(error) });
    return { mailed: 0, failed: input.to.length };
  }
}

/**
 * Sends one structured message to its audience: a mail to each person and a post to the chat channels. Never throws,
 * like `sendNotification`.
 */
export async function sendMessage(audience: NotificationAudience, message: NotificationMessage): Promise<NotificationDelivery> {
  return sendNotification({ to: audience.people, subject: message.title, text: renderPlainText(message), webhookSummary: message.summary.slice(0, 1000) });
}

/**
 * When a new row is due: now by this process's clock, as the delivery runs compare it with. The column's default
 * (`now()` in the database) has microseconds and the database's clock, so a delivery right after queueing could find
 * the row not yet due and leave it to the next job run.
 */
function dueNow(): Date {
  return new Date();
}

/** Writes the outbox rows for one notification; returns their ids. Usable inside a caller's transaction. */
export async function queueNotification(db: Pick<Database, "insert">, input: z.output<typeof notificationInput>): Promise<number[]> {
  const { notifications } = getConfig();
  const recipients = [...new Set(input.to.map((to) => to.toLowerCase()))];
  const nextAttemptAt = dueNow();
  const rows: (typeof notificationOutbox.$inferInsert)[] = [];
  if (notifications.sender) {
    for (const recipient of recipients) rows.push({ channel: "mail", recipient, subject: input.subject, body: input.text, nextAttemptAt });
  }
  if (notifications.webhookUrl && recipients.length > 0) {
    rows.push({ channel: "webhook", recipient: "", subject: input.subject, body: input.webhookSummary ?? input.subject, nextAttemptAt });
  }
  if (rows.length === 0) return [];
  const inserted = await db.insert(notificationOutbox).values(rows).returning({ id: notificationOutbox.id });
  return inserted.map((row) => row.id);
}

const mailInput = z.strictObject({
  to: z.string().trim().min(1).max(320),
  subject: z.string().trim().min(1).max(SUBJECT_MAX),
  text: z.string().min(1).max(TEXT_MAX),
});
const webhookInput = z.strictObject({ title: z.string().trim().min(1).max(SUBJECT_MAX), summary: z.string().trim().min(1).max(1000) });

export interface NotificationBatch {
  /** One mail per entry, each with its own text (e.g. one per credential owner). */
  readonly mails: readonly { readonly to: string; readonly subject: string; readonly text: string }[];
  /** One post to the incoming webhook for the whole batch (when one is configured), not one per mail. */
  readonly webhook?: { readonly title: string; readonly summary: string };
}

/**
 * Queues many notifications in the outbox at once (inside the caller's transaction, so what caused them and the
 * promise to send them commit together). Delivery is left to `deliverNotifications` and the outbox job.
 */
export async function queueNotificationBatch(db: Pick<Database, "insert">, batch: NotificationBatch): Promise<number[]> {
  const { notifications } = getConfig();
  const nextAttemptAt = dueNow();
  const rows: (typeof notificationOutbox.$inferInsert)[] = [];
  if (notifications.sender) {
    for (const mail of batch.mails) {
      const parsed = mailInput.parse(mail);
      rows.push({ channel: "mail", recipient: parsed.to.toLowerCase(), subject: parsed.subject, body: parsed.text, nextAttemptAt });
    }
  }
  if (notifications.webhookUrl && batch.webhook && batch.mails.length > 0) {
    const parsed = webhookInput.parse(batch.webhook);
    rows.push({ channel: "webhook", recipient: "", subject: parsed.title, body: parsed.summary, nextAttemptAt });
  }
  const ids: number[] = [];
  for (let start = 0; start < rows.length; start += 500) {
    const inserted = await db
      .insert(notificationOutbox)
      .values(rows.slice(start, start + 500))
      .returning({ id: notificationOutbox.id });
    ids.push(...inserted.map((row) => row.id));
  }
  return ids;
}

/**
 * Mails at once per run. Graph allows 4 concurrent requests per mailbox (Outlook service limits), and every mail
 * goes out from the one sender mailbox.
 */
const DELIVERY_CONCURRENCY = 4;

export interface DeliveryRun {
  readonly mailed: number;
  readonly posted: number;
  readonly failed: number;
  readonly gaveUp: number;
}

/**
 * Delivers due outbox rows (all due ones, or only `ids`). Each row is claimed with a conditional UPDATE first, so two
 * instances never send the same row at once; the oldest `limit` rows nobody else holds are taken. No transaction is
 * open while Graph or the webhook is called. Retries are scheduled from `now`, the run's own clock.
 */
export async function deliverNotifications(db: Database, now: Date, ids?: readonly number[], limit = 100): Promise<DeliveryRun> {
  if (ids?.length === 0) return { mailed: 0, posted: 0, failed: 0, gaveUp: 0 };
  const unclaimed = or(isNull(notificationOutbox.claimedUntil), lte(notificationOutbox.claimedUntil, now));
  const claimed = await db
    .update(notificationOutbox)
    .set({ claimedUntil: new Date(now.getTime() + CLAIM_MS), attempts: sql`${notificationOutbox.attempts} + 1` })
    .where(
      and(
        eq(notificationOutbox.status, "pending"),
        lte(notificationOutbox.nextAttemptAt, now),
        unclaimed,
        ids
          ? inArray(notificationOutbox.id, [...ids])
          : inArray(
              notificationOutbox.id,
              db
                .select({ id: notificationOutbox.id })
                .from(notificationOutbox)
                .where(and(eq(notificationOutbox.status, "pending"), lte(notificationOutbox.nextAttemptAt, now), unclaimed))
                .orderBy(notificationOutbox.id)
                .limit(limit),
            ),
      ),
    )
    .returning();
  let mailed = 0;
  let posted = 0;
  let failed = 0;
  let gaveUp = 0;
  const deliver = async (row: (typeof claimed)[number]) => {
    try {
      if (row.channel === "mail") {
        await sendMail(row.recipient, row.subject, row.body);
        mailed++;
      } else {
        await postWebhook(row.subject, row.body);
        posted++;
      }
      await db
        .update(notificationOutbox)
        .set({ status: "sent", sentAt: new Date(), claimedUntil: null, lastError: null })
        .where(eq(notificationOutbox.id, row.id));
    } catch (error) {
      failed++;
      const message = describeError(error).slice(0, 1000);
      const last = row.attempts >= MAX_NOTIFICATION_ATTEMPTS;
      if (last) gaveUp++;
      log(last ? "error" : "warn", "notifications", last ? "notification given up" : "notification failed; will retry", {
        id: row.id,
        channel: row.channel,
        attempts: row.attempts,
        error: message,
      });
      await db
        .update(notificationOutbox)
        .set({
          status: last ? "failed" : "pending",
          claimedUntil: null,
          lastError: message,
          nextAttemptAt: new Date(now.getTime() + retryDelayMs(row.attempts)),
        })
        .where(eq(notificationOutbox.id, row.id));
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < claimed.length) await deliver(claimed[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, claimed.length) }, worker));
  return { mailed, posted, failed, gaveUp };
}

/** 1, 2, 4, 8 … minutes, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60 * 60_000, 60_000 * 2 ** Math.max(0, attempts - 1));
}

const UserMail = z.object({ mail: z.string().nullable().optional(), userPrincipalName: z.string().nullable().optional() });

async function sendMail(recipient: string, subject: string, text: string): Promise<void> {
  const { notifications } = getConfig();
  if (!notifications.sender) throw new Error("no notification sender configured");
  const client = appGraphClient();
  let address = recipient;
  if (!recipient.includes("@")) {
    const user = UserMail.parse(
      await client
        .api(`/users/${encodeURIComponent(recipient)}`)
        .select(["mail", "userPrincipalName"])
        .get(),
    );
    address = user.mail ?? user.userPrincipalName ?? "";
    if (!address) throw new Error(`user ${recipient} has no mail address`);
  }
  await client.api(`/users/${encodeURIComponent(notifications.sender)}/sendMail`).post({
    message: {
      subject,
      body: { contentType: "Text", content: text },
      toRecipients: [{ emailAddress: { address } }],
    },
    saveToSentItems: false,
  });
}

async function postWebhook(title: string, summary: string): Promise<void> {
  const { notifications, upstream } = getConfig();
  if (!notifications.webhookUrl) return;
  // A MessageCard: what Teams (and most chat tools' incoming webhooks) accept.
  const response = await fetch(notifications.webhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // The card renders Markdown: everything in it is text (requesters write part of it), never markup.
    body: JSON.stringify({
      "@type": "MessageCard",
      "@context": "https://schema.org/extensions",
      summary: title,
      title: escapeMarkdown(title),
      text: escapeMarkdown(summary),
    }),
    signal: AbortSignal.timeout(upstream.timeoutMs),
    // The host was checked against the allow-list at start-up; a redirect must not take the post anywhere else.
    redirect: "error",
  });
  if (!response.ok) throw new Error(`webhook answered ${response.status}`);
}
