import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";
import { and, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { z } from "zod";

import { getConfig } from "@/lib/config";
import { getDatabase, type Database } from "@/lib/db";
import { appGraphClientForRun } from "@/lib/graph/client";
import { describeError, log } from "@/lib/log";
import { DEFAULT_CHANNEL } from "./channels";
import { ChatDeliveryError, postToChannel } from "./post-chat";
import { notificationMessageSchema, renderPlainText, type NotificationAudience, type NotificationMessage } from "./message";
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
  /** A one-line summary for the `default` chat channel (when one is configured); defaults to the subject. */
  readonly webhookSummary?: string;
}

export interface NotificationDelivery {
  /** Mails handed to Graph now. */
  readonly mailed: number;
  /** Mails and chat posts that failed now; they stay in the outbox and are retried by the job (or were given up). */
  readonly failed: number;
}

/**
 * Queues a notification in the outbox and tries to deliver it at once: Graph `sendMail` as the console's own identity
 * from the configured sender mailbox, one mail per recipient, plus one post (title and summary) to the `default` chat
 * channel if configured.
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
 * Sends one structured message to its audience: a mail (its plain text) to each person and a post (a card in the
 * channel's format) to each named chat channel, queued in the outbox and tried at once. Never throws, like
 * `sendNotification`: what fails now is retried by the job.
 */
export async function sendMessage(audience: NotificationAudience, message: NotificationMessage): Promise<NotificationDelivery> {
  try {
    const db = await getDatabase();
    const ids = await queueMessage(db, audience, message);
    if (ids.length === 0) return { mailed: 0, failed: 0 };
    const results = await deliverNotifications(db, new Date(), ids);
    return { mailed: results.mailed, failed: results.failed };
  } catch (error) {
    log("error", "notifications", "could not queue a message", { error: describeError(error) });
    return { mailed: 0, failed: audience.people.length + audience.channels.length };
  }
}

const audienceInput = z.strictObject({
  people: z.array(z.string().trim().min(1).max(320)).max(500),
  channels: z.array(z.string().trim().min(1).max(63)).max(50),
});

/**
 * Writes the outbox rows for one message (usable inside a caller's transaction, so what caused it and the promise to
 * send it commit together): a mail per distinct person, a chat post per distinct configured channel. A channel name
 * that is not configured is logged and skipped, never thrown: the policy check at start-up names such channels, and a
 * notification must not undo what caused it. Throws only on a malformed message or audience (a programming error).
 */
export async function queueMessage(db: Pick<Database, "insert">, audience: NotificationAudience, message: NotificationMessage): Promise<number[]> {
  const { notifications, publicOrigin } = getConfig();
  const parsedAudience = audienceInput.parse({ people: [...audience.people], channels: [...audience.channels] });
  const parsed = notificationMessageSchema.parse(message);
  if (parsed.link && new URL(parsed.link.url).origin !== publicOrigin) {
    // A card's button only ever leads into the console.
    throw new Error("a notification's link must be a console page");
  }
  const nextAttemptAt = dueNow();
  const rows: (typeof notificationOutbox.$inferInsert)[] = [];
  if (notifications.sender) {
    const text = renderPlainText(parsed);
    for (const recipient of new Set(parsedAudience.people.map((person) => person.toLowerCase()))) {
      rows.push({ channel: "mail", recipient, subject: parsed.title, body: text, message: parsed, nextAttemptAt });
    }
  }
  for (const name of new Set(parsedAudience.channels)) {
    if (!Object.hasOwn(notifications.channels, name)) {
      log("warn", "notifications", "no such chat channel; skipped", { channel: name.slice(0, 63), title: parsed.title });
      continue;
    }
    rows.push({ channel: "chat", recipient: name, subject: parsed.title, body: parsed.summary, message: parsed, nextAttemptAt });
  }
  if (rows.length === 0) return [];
  const inserted = await db.insert(notificationOutbox).values(rows).returning({ id: notificationOutbox.id });
  return inserted.map((row) => row.id);
}

/** The outbox row of a legacy title-and-summary post to the `default` channel, or none when it is not configured. */
function defaultChannelRow(title: string, summary: string, nextAttemptAt: Date): typeof notificationOutbox.$inferInsert | null {
  if (!Object.hasOwn(getConfig().notifications.channels, DEFAULT_CHANNEL)) return null;
  const message: NotificationMessage = { title, summary, facts: [] };
  return { channel: "chat", recipient: DEFAULT_CHANNEL, subject: title, body: summary, message, nextAttemptAt };
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
  const chat = recipients.length > 0 ? defaultChannelRow(input.subject, input.webhookSummary ?? input.subject, nextAttemptAt) : null;
  if (chat) rows.push(chat);
  if (rows.length === 0) return [];
  const inserted = await db.insert(notificationOutbox).values(rows).returning({ id: notificationOutbox.id });
  return inserted.map((row) => row.id);
}

/** Mails per insert statement (each chunk is one JSON parameter). */
const MAIL_INSERT_CHUNK = 2000;
const mailInput = z.strictObject({
  to: z.string().trim().min(1).max(320),
  subject: z.string().trim().min(1).max(SUBJECT_MAX),
  text: z.string().min(1).max(TEXT_MAX),
});
const webhookInput = z.strictObject({ title: z.string().trim().min(1).max(SUBJECT_MAX), summary: z.string().trim().min(1).max(1000) });

export interface NotificationBatch {
  /** One mail per entry, each with its own text (e.g. one per credential owner). */
  readonly mails: readonly { readonly to: string; readonly subject: string; readonly text: string }[];
  /** One post to the `default` chat channel for the whole batch (when one is configured), not one per mail. */
  readonly webhook?: { readonly title: string; readonly summary: string };
}

/**
 * Queues many notifications in the outbox at once (inside the caller's transaction, so what caused them and the
 * promise to send them commit together). Delivery is left to `deliverNotifications` and the outbox job.
 */
export async function queueNotificationBatch(db: Pick<Database, "insert" | "execute">, batch: NotificationBatch): Promise<number[]> {
  const { notifications } = getConfig();
  const nextAttemptAt = dueNow();
  const mails: { r: string; s: string; b: string }[] = [];
  if (notifications.sender) {
    for (const mail of batch.mails) {
      const parsed = mailInput.parse(mail);
      mails.push({ r: parsed.to.toLowerCase(), s: parsed.subject, b: parsed.text });
    }
  }
  const ids: number[] = [];
  // Thousands of mails go in as one JSON parameter per chunk, unpacked by the database, rather than five bound
  // parameters a row that the ORM would build and the database parse one by one; ids come back in the mails' order.
  for (let start = 0; start < mails.length; start += MAIL_INSERT_CHUNK) {
    const inserted = (await db.execute(sql`
      insert into notification_outbox (channel, recipient, subject, body, next_attempt_at)
      select 'mail', x.value->>'r', x.value->>'s', x.value->>'b', ${nextAttemptAt.toISOString()}::timestamptz
      from jsonb_array_elements(${JSON.stringify(mails.slice(start, start + MAIL_INSERT_CHUNK))}::jsonb) with ordinality as x(value, n)
      order by x.n
      returning id`)) as { rows: { id: string | number }[] };
    ids.push(...inserted.rows.map((row) => Number(row.id)).sort((a, b) => a - b));
  }
  if (batch.webhook && batch.mails.length > 0) {
    const parsed = webhookInput.parse(batch.webhook);
    const chat = defaultChannelRow(parsed.title, parsed.summary, nextAttemptAt);
    if (chat) {
      const [inserted] = await db.insert(notificationOutbox).values(chat).returning({ id: notificationOutbox.id });
      ids.push(inserted!.id);
    }
  }
  return ids;
}

/**
 * Mails at once per run. Graph allows 4 concurrent requests per mailbox (Outlook service limits), and every mail
 * goes out from the one sender mailbox.
 */
const DELIVERY_CONCURRENCY = 4;
/** Rows a run claims first: two sends per worker, so the first mails leave after a small claim. */
const CLAIM_FIRST = 2 * DELIVERY_CONCURRENCY;
/** Rows each later claim takes (the ids are bound parameters), made while the rows before are still being sent. */
const CLAIM_CHUNK = 100;
/** Sent rows marked per UPDATE (the ids are bound parameters). */
const MARK_SENT_CHUNK = 1000;
/** How long sent rows wait to be marked with those sent after them (about ten sends at four at a time). */
const MARK_SENT_EVERY_MS = 100;

export interface DeliveryRun {
  readonly mailed: number;
  readonly posted: number;
  readonly failed: number;
  readonly gaveUp: number;
}

/**
 * Delivers due outbox rows (all due ones, or only `ids`). Each row is claimed with a conditional UPDATE first, so two
 * instances never send the same row at once; the oldest `limit` rows nobody else holds are taken. No transaction is
 * open while Graph or a webhook is called. Retries are scheduled from `now`, the run's own clock: the back-off
 * (`retryDelayMs`), or a later `Retry-After` a throttled webhook asked for (at most an hour). A chat post that cannot
 * succeed however often it is tried (its channel gone, the payload refused, a redirect) is given up at once.
 */
export async function deliverNotifications(db: Database, now: Date, ids?: readonly number[], limit = 100): Promise<DeliveryRun> {
  if (ids?.length === 0) return { mailed: 0, posted: 0, failed: 0, gaveUp: 0 };
  const unclaimed = or(isNull(notificationOutbox.claimedUntil), lte(notificationOutbox.claimedUntil, now));
  const runStarted = Date.now();
  // Rows are claimed a chunk at a time, the next chunk while the rows before it are being sent: the first mails leave
  // after a claim of a few rows rather than of thousands, and no row waits claimed (its claim running out) for long
  // before it is sent. The run's clock moves on while it sends, so a later chunk's claim lasts CLAIM_MS from then.
  const idsToClaim = ids ? [...ids] : undefined;
  let limitLeft = limit;
  const claimChunk = (count: number) =>
    db
      .update(notificationOutbox)
      .set({ claimedUntil: new Date(now.getTime() + (Date.now() - runStarted) + CLAIM_MS), attempts: sql`${notificationOutbox.attempts} + 1` })
      .where(
        and(
          eq(notificationOutbox.status, "pending"),
          lte(notificationOutbox.nextAttemptAt, now),
          unclaimed,
          idsToClaim
            ? inArray(notificationOutbox.id, idsToClaim.splice(0, count))
            : inArray(
                notificationOutbox.id,
                db
                  .select({ id: notificationOutbox.id })
                  .from(notificationOutbox)
                  .where(and(eq(notificationOutbox.status, "pending"), lte(notificationOutbox.nextAttemptAt, now), unclaimed))
                  .orderBy(notificationOutbox.id)
                  .limit(Math.min(count, limitLeft)),
              ),
        ),
      )
      .returning();
  type OutboxRow = Awaited<ReturnType<typeof claimChunk>>[number];
  const ready: OutboxRow[] = [];
  let claimsLeft = true;
  let claiming: Promise<void> | undefined;
  let claimFailure: { error: unknown } | undefined;
  let firstClaim = true;
  // Never rejects: a failed claim is kept for the end of the run.
  const claimMore = async (): Promise<void> => {
    try {
      const size = firstClaim ? CLAIM_FIRST : CLAIM_CHUNK;
      const asked = idsToClaim ? size : Math.min(size, limitLeft);
      firstClaim = false;
      const rows = await claimChunk(asked);
      ready.push(...rows);
      limitLeft -= rows.length;
      // A chunk of ids may come back short (others hold some of them); the queue is done when a chunk comes back short.
      claimsLeft = idsToClaim ? idsToClaim.length > 0 : rows.length === asked && limitLeft > 0;
    } catch (error) {
      // Nothing more is claimed; what was claimed is still sent and marked, then the run throws.
      claimFailure ??= { error };
      claimsLeft = false;
    }
  };
  const nextRow = async (): Promise<OutboxRow | undefined> => {
    for (;;) {
      if (claimsLeft && !claiming && ready.length < CLAIM_CHUNK / 2) {
        claiming = claimMore().finally(() => {
          claiming = undefined;
        });
      }
      if (ready.length > 0) return ready.shift();
      if (!claiming) return undefined;
      await claiming;
    }
  };
  let mailed = 0;
  let posted = 0;
  let failed = 0;
  let gaveUp = 0;
  // Sent rows are marked in one UPDATE per group, written while the next mails are on their way, rather than one
  // UPDATE a mail between its send and the next: on a single-connection database those writes queued behind each
  // other and held every worker up. A group is what was sent in MARK_SENT_EVERY_MS: marking as soon as one mail was
  // sent made an UPDATE of one to four ids per send, whose building and running (PGlite runs on this thread) took
  // more CPU than the sends. A crash before the mark leaves the rows claimed, to be sent again once their claim
  // ends, as a crash between a send and its own mark did.
  // One client for the run: its mails share one app token.
  const graph = appGraphClientForRun();
  const sent: number[] = [];
  let markingSent: Promise<void> | undefined;
  let markTimer: ReturnType<typeof setTimeout> | undefined;
  let markFailure: { error: unknown } | undefined;
  let delivered = false;
  const markSoon = () => {
    if (delivered || markTimer !== undefined || markingSent !== undefined) return;
    markTimer = setTimeout(() => {
      markTimer = undefined;
      markingSent = markSent().finally(() => {
        markingSent = undefined;
        if (sent.length > 0) markSoon();
      });
    }, MARK_SENT_EVERY_MS);
  };
  // Marks what was sent until now; what is sent meanwhile waits for the next group.
  const markSent = async () => {
    const group = sent.splice(0);
    try {
      for (let start = 0; start < group.length; start += MARK_SENT_CHUNK) {
        const ids = group.slice(start, start + MARK_SENT_CHUNK);
        const at = new Date();
        await db
          .update(notificationOutbox)
          .set({ status: "sent", sentAt: at, lastAttemptAt: at, claimedUntil: null, lastError: null })
          .where(inArray(notificationOutbox.id, ids));
      }
    } catch (error) {
      markFailure ??= { error };
    }
  };
  const deliver = async (row: OutboxRow) => {
    try {
      if (row.channel === "mail") {
        await sendMail(graph, row.recipient, row.subject, row.body);
        mailed++;
      } else if (row.channel === "chat") {
        await postToChannel(row.recipient, row.message);
        posted++;
      } else {
        throw new ChatDeliveryError(`unknown outbox channel ${row.channel.slice(0, 20)}`, { retry: false });
      }
      sent.push(row.id);
      markSoon();
    } catch (error) {
      failed++;
      // A chat failure says only what an admin may read (status and a short reason; never the URL or the body).
      const chatFailure = error instanceof ChatDeliveryError ? error : null;
      const reason = chatFailure ? chatFailure.message : describeError(error).slice(0, 1000);
      const hopeless = chatFailure?.retry === false;
      const last = hopeless || row.attempts >= MAX_NOTIFICATION_ATTEMPTS;
      if (last) gaveUp++;
      const lastError = hopeless ? `${reason}; not retried` : last ? `${reason}; given up after ${row.attempts} attempts` : reason;
      log(last ? "error" : "warn", "notifications", last ? "notification given up" : "notification failed; will retry", {
        id: row.id,
        channel: row.channel,
        ...(row.channel === "chat" ? { chatChannel: row.recipient } : {}),
        attempts: row.attempts,
        error: lastError,
      });
      const delay = Math.max(retryDelayMs(row.attempts), Math.min(chatFailure?.retryAfterMs ?? 0, RETRY_AFTER_MAX_MS));
      await db
        .update(notificationOutbox)
        .set({
          status: last ? "failed" : "pending",
          claimedUntil: null,
          lastError,
          lastAttemptAt: new Date(),
          nextAttemptAt: new Date(now.getTime() + delay),
        })
        .where(eq(notificationOutbox.id, row.id));
    }
  };
  const worker = async () => {
    for (let row = await nextRow(); row !== undefined; row = await nextRow()) await deliver(row);
  };
  await Promise.all(Array.from({ length: DELIVERY_CONCURRENCY }, worker));
  // The last group is marked now rather than after the timer.
  delivered = true;
  clearTimeout(markTimer);
  markTimer = undefined;
  await markingSent;
  await markSent();
  if (claimFailure) {
    log("error", "notifications", "outbox rows could not be claimed; the rows claimed before were delivered", { error: describeError(claimFailure.error) });
    throw claimFailure.error;
  }
  if (markFailure) {
    log("error", "notifications", "sent notifications could not be marked; they are sent again when their claim ends", {
      error: describeError(markFailure.error),
    });
    throw markFailure.error;
  }
  return { mailed, posted, failed, gaveUp };
}

/** Rows deleted per statement, so one prune never holds a long lock on the outbox. */
const PRUNE_CHUNK = 1000;

/**
 * Deletes sent outbox rows older than the retention (`notifications.sentRetentionMs`), oldest first, in chunks.
 * Safe because nothing reads a sent row back: the audit trail records what caused each notification, request_audience
 * who was told about a request, and the claims that keep a notification from going out twice live in their own tables
 * (credential_notifications, request_follow_ups, notification_digests). Pending and given-up rows are kept whatever their age: the first still
 * have to go, the second are what the notifications page shows an admin. Returns how many rows were deleted.
 */
export async function pruneSentNotifications(db: Database, now: Date, maxRows = 50_000): Promise<number> {
  const cutoff = new Date(now.getTime() - getConfig().notifications.sentRetentionMs);
  let pruned = 0;
  while (pruned < maxRows) {
    const deleted = await db
      .delete(notificationOutbox)
      .where(
        inArray(
          notificationOutbox.id,
          db
            .select({ id: notificationOutbox.id })
            .from(notificationOutbox)
            .where(and(eq(notificationOutbox.status, "sent"), lt(notificationOutbox.sentAt, cutoff)))
            .orderBy(notificationOutbox.id)
            .limit(Math.min(PRUNE_CHUNK, maxRows - pruned)),
        ),
      )
      .returning({ id: notificationOutbox.id });
    pruned += deleted.length;
    if (deleted.length < PRUNE_CHUNK) break;
  }
  return pruned;
}

/** The longest wait a webhook's `Retry-After` may impose: beyond, the back-off's own longest wait. */
const RETRY_AFTER_MAX_MS = 60 * 60_000;

/** 1, 2, 4, 8 … minutes, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60 * 60_000, 60_000 * 2 ** Math.max(0, attempts - 1));
}

const UserMail = z.object({ mail: z.string().nullable().optional(), userPrincipalName: z.string().nullable().optional() });

async function sendMail(client: Client, recipient: string, subject: string, text: string): Promise<void> {
  const { notifications } = getConfig();
  if (!notifications.sender) throw new Error("no notification sender configured");
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
