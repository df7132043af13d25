/**
 * The notification outbox: what queueing writes, delivery through the sandbox tenant's real Graph `sendMail` and an
 * HTTPS incoming-webhook receiver, claims under racing runs, `ids` and `limit`, back-off and giving up.
 *
 * The tenant is this file's own (faults on sendMail must not reach other files' mail), and the webhook receiver
 * serves the tenant's CA-signed localhost certificate, which the worker already trusts. Both are up before the
 * console code first reads its configuration, so the webhook URL is part of it.
 */
import { randomBytes } from "node:crypto";

import { asc, eq, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import type { Database, DatabaseHandle } from "@/lib/db/client";
import { adaptiveCardValidator } from "@/test/support/adaptive-card-schema";
import { slackWebhookMessage } from "@/test/support/block-kit";
import { storageEngines } from "@/test/support/databases";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { exportToWorkers } from "@/test/support/test-env";
import { startWebhookReceiver } from "@/test/support/webhook-receiver";
import type { NotificationMessage } from "./message";
import { notificationOutbox } from "./schema";
import { ADAPTIVE_CARD_VERSION, escapeTeamsText } from "./teams-card";

// --- the incoming-webhook receiver -----------------------------------------------------------------------------

/**
 * `accept`: 202. `refuse`: 500 with a body holding a secret. `drop`: the connection is cut before any answer.
 * `redirect`: 307 to another path of the receiver, which would accept the post if it were followed.
 */
let receiverMode: "accept" | "refuse" | "drop" | "redirect" = "accept";
/** Webhook URLs are capabilities: the path (Teams Workflows: the query's `sig`) is the secret. */
const WEBHOOK_SECRET = randomBytes(16).toString("hex");
const TEAMS_SECRET = randomBytes(16).toString("hex");
const SLACK_SECRET = randomBytes(16).toString("hex");
/** What a refusing receiver answers with; it must not end up in the outbox or the logs. */
const RECEIVER_SECRET = `receiver-${randomBytes(16).toString("hex")}`;

const tenant = await startPrivateSandbox();
const receiver = await startWebhookReceiver({ cert: tenant.sandbox.tls.serverCertPem, key: tenant.sandbox.tls.serverKeyPem });
const applyMode = () => {
  receiver.setDefault(
    receiverMode === "drop"
      ? "drop"
      : receiverMode === "redirect"
        ? { status: 307, headers: { location: "/elsewhere" } }
        : receiverMode === "refuse"
          ? { status: 500, body: `Webhook is down; correlation ${RECEIVER_SECRET}` }
          : { status: 202 },
  );
};
const posts = receiver.posts;
/** What a 500 from the legacy webhook (the channel default, a Teams one) is recorded as. */
const SERVER_FAILED = "Teams channel default answered 500: the service failed";
const WEBHOOK_PATH = `/webhookb2/${WEBHOOK_SECRET}`;
const TEAMS_PATH = `/workflows/approvals/triggers/manual/paths/invoke?sig=${TEAMS_SECRET}`;
const SLACK_PATH = `/services/T0/B0/${SLACK_SECRET}`;
// The receiver is local: its host joins the allow-list (the default names Teams, Power Automate and Slack only).
// The legacy single webhook is the channel `default` (a Teams one: its host is not Slack's).
exportToWorkers({
  GATEHOUSE_NOTIFICATION_WEBHOOK_URL: receiver.url(WEBHOOK_PATH),
  GATEHOUSE_NOTIFICATION_CHANNELS: JSON.stringify({
    "ml-platform": { kind: "teams", url: receiver.url(TEAMS_PATH) },
    fraud: { kind: "slack", url: receiver.url(SLACK_PATH) },
  }),
  GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: "127.0.0.1",
});

const {
  deliverNotifications,
  MAX_NOTIFICATION_ATTEMPTS,
  pruneSentNotifications,
  queueMessage,
  queueNotification,
  queueNotificationBatch,
  retryDelayMs,
  sendMessage,
  sendNotification,
} = await import("./send-notification");
const { notificationDeliveryJob } = await import("./job");
const { getDatabase } = await import("@/lib/db");
const { getConfig } = await import("@/lib/config");
const validateCard = adaptiveCardValidator(ADAPTIVE_CARD_VERSION);

afterAll(async () => {
  exportToWorkers({ GATEHOUSE_NOTIFICATION_WEBHOOK_URL: "", GATEHOUSE_NOTIFICATION_CHANNELS: "", GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: "" });
  await receiver.close();
  await tenant.close();
});

/** The Teams card a post carried. */
function cardOf(body: unknown): Record<string, unknown> {
  return (body as { attachments: { content: Record<string, unknown> }[] }).attachments[0]!.content;
}

// --- helpers ---------------------------------------------------------------------------------------------------

/** The sandbox's default notification sender (the admin persona's mailbox). */
const SENDER = "admin@contosoml.onmicrosoft.com";
/** A persona named by object id: delivery looks its mail address up in Graph. */
const SECURITY = { objectId: "c0ffee00-0000-4000-8000-000000000004", mail: "security@contosoml.onmicrosoft.com" };
/** An object id the tenant does not know: Graph answers 404 to the address lookup. */
const NOBODY = "00000000-0000-4000-8000-0000000000ee";
const NONE = { mailed: 0, posted: 0, failed: 0, gaveUp: 0 };

/** Mails the sandbox tenant accepted through sendMail. */
const sentMails = () => tenant.sandbox.tenant.outbox;
const mailsWithSubject = (subject: string) => sentMails().filter((mail) => mail.subject === subject);
const unique = (label: string) => `${label} ${randomBytes(4).toString("hex")}`;

async function outboxRows(db: Database, ids?: readonly number[]) {
  return db
    .select()
    .from(notificationOutbox)
    .where(ids ? inArray(notificationOutbox.id, [...ids]) : undefined)
    .orderBy(asc(notificationOutbox.id));
}

async function outboxRow(db: Database, id: number) {
  const [row] = await db.select().from(notificationOutbox).where(eq(notificationOutbox.id, id));
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

/** Log lines of the notifications module (warn and error go to stderr), parsed. */
function captureNotificationLogs(): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => {
    if (typeof line !== "string" || !line.startsWith("{")) return;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (entry.source === "notifications") lines.push({ ...entry, raw: line });
  });
  return lines;
}

beforeEach(() => {
  receiverMode = "accept";
  receiver.reset();
  applyMode();
  sentMails().length = 0;
  tenant.sandbox.faults.clear();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// --- tests -----------------------------------------------------------------------------------------------------

describe("retry schedule", () => {
  it("retryDelayMs doubles from one minute and stops at an hour; MAX_NOTIFICATION_ATTEMPTS is five", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(retryDelayMs)).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
    expect(retryDelayMs(0)).toBe(60_000);
    expect(MAX_NOTIFICATION_ATTEMPTS).toBe(5);
  });
});

describe.each(storageEngines())("notification outbox on $name", (engine) => {
  let handle: DatabaseHandle;
  let db: Database;
  beforeAll(async () => {
    handle = await engine.open();
    db = handle.db;
  });
  afterAll(async () => {
    await handle?.close();
  });
  beforeEach(async () => {
    await db.delete(notificationOutbox);
  });

  describe("queueing", () => {
    it("queueNotification writes one pending mail row per distinct recipient (lower-cased) and one webhook row with the summary", async () => {
      const ids = await queueNotification(db, {
        to: ["Lee.Lead@Contoso.test", "lee.lead@contoso.test", SECURITY.objectId.toUpperCase()],
        subject: "Access request: Owner on mlw-test",
        text: "Lee asks for Owner.\n\nDecide: http://localhost:3000/requests/1",
        webhookSummary: "Lee requests Owner on mlw-test",
      });
      const rows = await outboxRows(db);
      expect(rows.map((row) => row.id)).toEqual(ids);
      const pending = { status: "pending", attempts: 0, claimedUntil: null, lastError: null, sentAt: null };
      expect(rows).toEqual([
        expect.objectContaining({
          ...pending,
          channel: "mail",
          recipient: "lee.lead@contoso.test",
          subject: "Access request: Owner on mlw-test",
          body: "Lee asks for Owner.\n\nDecide: http://localhost:3000/requests/1",
        }),
        expect.objectContaining({ ...pending, channel: "mail", recipient: SECURITY.objectId, subject: "Access request: Owner on mlw-test" }),
        // The legacy webhook is the channel `default`; the row names it (never its URL) and keeps what to render.
        expect.objectContaining({
          ...pending,
          channel: "chat",
          recipient: "default",
          subject: "Access request: Owner on mlw-test",
          body: "Lee requests Owner on mlw-test",
          message: { title: "Access request: Owner on mlw-test", summary: "Lee requests Owner on mlw-test", facts: [] },
        }),
      ]);
      // Queueing only writes: nothing is sent until a delivery run.
      expect(sentMails()).toHaveLength(0);
      expect(posts).toHaveLength(0);
    });

    it("queueNotification: the webhook row falls back to the subject; no recipients queue nothing, not even the webhook", async () => {
      const ids = await queueNotification(db, { to: ["someone@contoso.test"], subject: "Your access request was granted", text: "Granted." });
      expect(await outboxRows(db, ids)).toEqual([
        expect.objectContaining({ channel: "mail", recipient: "someone@contoso.test", body: "Granted." }),
        expect.objectContaining({ channel: "chat", recipient: "default", subject: "Your access request was granted", body: "Your access request was granted" }),
      ]);
      expect(await queueNotification(db, { to: [], subject: "Nobody to tell", text: "Nothing." })).toEqual([]);
      expect(await outboxRows(db)).toHaveLength(2);
    });

    it("queueNotificationBatch writes each mail with its own text and one webhook row for the whole batch, past one 500-row insert", async () => {
      const mails = Array.from({ length: 501 }, (_, index) => ({
        to: `Owner${index}@Contoso.test`,
        subject: "Credentials expire soon",
        text: `Your ${index} credentials`,
      }));
      const ids = await queueNotificationBatch(db, { mails, webhook: { title: "Credentials expire soon", summary: "501 owners told" } });
      expect(ids).toHaveLength(502);
      const rows = await outboxRows(db);
      expect(rows.map((row) => row.id)).toEqual(ids);
      expect(rows.slice(0, 501).map((row) => [row.channel, row.recipient, row.body])).toEqual(
        mails.map((mail, index) => ["mail", `owner${index}@contoso.test`, `Your ${index} credentials`]),
      );
      expect(rows[501]).toMatchObject({
        channel: "chat",
        recipient: "default",
        subject: "Credentials expire soon",
        body: "501 owners told",
        status: "pending",
        attempts: 0,
      });

      // Without a webhook entry only the mails; without mails nothing, webhook or not.
      await db.delete(notificationOutbox);
      const mailOnly = await queueNotificationBatch(db, { mails: [{ to: "a@contoso.test", subject: "S", text: "T" }] });
      expect((await outboxRows(db, mailOnly)).map((row) => row.channel)).toEqual(["mail"]);
      expect(await queueNotificationBatch(db, { mails: [], webhook: { title: "T", summary: "S" } })).toEqual([]);
      expect(await outboxRows(db)).toHaveLength(1);
    });

    it("queueNotificationBatch commits with the caller's transaction, and an invalid mail writes none of the batch", async () => {
      await expect(
        db.transaction(async (tx) => {
          const ids = await queueNotificationBatch(tx, { mails: [{ to: "a@contoso.test", subject: "S", text: "T" }], webhook: { title: "T", summary: "S" } });
          expect(ids).toHaveLength(2);
          throw new Error("what caused the notification failed");
        }),
      ).rejects.toThrow("what caused the notification failed");
      expect(await outboxRows(db)).toHaveLength(0);

      await expect(
        queueNotificationBatch(db, {
          mails: [
            { to: "a@contoso.test", subject: "S", text: "T" },
            { to: "b@contoso.test", subject: "   ", text: "T" },
          ],
        }),
      ).rejects.toThrow();
      expect(await outboxRows(db)).toHaveLength(0);
    });
  });

  describe("delivery", () => {
    it("sends each due row through Graph sendMail and the webhook, marks it sent, and never sends it again", async () => {
      const subject = unique("Access request: *Owner* on [mlw](test)");
      const ids = await queueNotification(db, {
        to: ["team-lead@contosoml.onmicrosoft.com", SECURITY.objectId],
        subject,
        text: "Lee asks for Owner on mlw-test.",
        webhookSummary: "Lee requests <b>Owner</b> on mlw_test",
      });
      const before = Date.now();
      expect(await deliverNotifications(db, new Date())).toEqual({ mailed: 2, posted: 1, failed: 0, gaveUp: 0 });

      const mails = mailsWithSubject(subject);
      expect(mails.map((mail) => mail.to).sort()).toEqual([[SECURITY.mail], ["team-lead@contosoml.onmicrosoft.com"]]);
      for (const mail of mails) expect(mail).toMatchObject({ fromAddress: SENDER, cc: [], bodyContentType: "text", body: "Lee asks for Owner on mlw-test." });
      expect(sentMails()).toHaveLength(2);

      // One Teams Workflows post (an Adaptive Card) at the default channel's URL; what people wrote is escaped.
      expect(posts.map(({ path, method, contentType }) => ({ path, method, contentType }))).toEqual([
        { path: WEBHOOK_PATH, method: "POST", contentType: "application/json" },
      ]);
      const card = cardOf(posts[0]!.body);
      expect(validateCard(card), JSON.stringify(validateCard.errors)).toBe(true);
      expect(card.body).toEqual([
        expect.objectContaining({ type: "TextBlock", text: escapeTeamsText(subject), weight: "Bolder" }),
        expect.objectContaining({ type: "TextBlock", text: "Lee requests \\<b\\>Owner\\<\\/b\\> on mlw\\_test" }),
      ]);
      expect(escapeTeamsText(subject)).toContain("Access request\\: \\*Owner\\* on \\[mlw\\]\\(test\\)");

      const rows = await outboxRows(db, ids);
      for (const row of rows) {
        expect(row).toMatchObject({ status: "sent", attempts: 1, claimedUntil: null, lastError: null });
        expect(row.sentAt!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      }

      // Sent rows are done: a later run (even much later) finds nothing.
      expect(await deliverNotifications(db, new Date(Date.now() + 24 * 3_600_000))).toEqual(NONE);
      expect(await deliverNotifications(db, new Date(Date.now() + 24 * 3_600_000), ids)).toEqual(NONE);
      expect(sentMails()).toHaveLength(2);
      expect(posts).toHaveLength(1);
    });

    it("two runs racing over the same due rows deliver every row exactly once", async () => {
      const subject = unique("Race");
      const recipients = Array.from({ length: 12 }, (_, index) => `race${index}@contoso.test`);
      const ids = await queueNotificationBatch(db, {
        mails: recipients.map((to) => ({ to, subject, text: "Once." })),
        webhook: { title: subject, summary: "Once." },
      });
      const now = new Date();
      const runs = await Promise.all([
        deliverNotifications(db, now),
        deliverNotifications(db, now),
        deliverNotifications(db, now, ids),
        deliverNotifications(db, now, ids),
      ]);

      const total = runs.reduce(
        (sum, run) => ({ mailed: sum.mailed + run.mailed, posted: sum.posted + run.posted, failed: sum.failed + run.failed, gaveUp: sum.gaveUp + run.gaveUp }),
        NONE,
      );
      expect(total).toEqual({ mailed: 12, posted: 1, failed: 0, gaveUp: 0 });
      expect(
        mailsWithSubject(subject)
          .flatMap((mail) => mail.to)
          .sort(),
      ).toEqual([...recipients].sort());
      expect(posts).toHaveLength(1);
      // One claim per row: a second claim would have counted a second attempt.
      expect((await outboxRows(db, ids)).map((row) => [row.status, row.attempts])).toEqual(ids.map(() => ["sent", 1]));
    });

    it("claims a long run's rows a chunk at a time while the first ones are sent, and sends each exactly once", async () => {
      const subject = unique("Chunks");
      const recipients = Array.from({ length: 150 }, (_, index) => `chunk${index}@contoso.test`);
      const ids = await queueNotificationBatch(db, { mails: recipients.map((to) => ({ to, subject, text: "C" })) });
      // Slow sends, so the run is still early when its first mails arrive.
      tenant.sandbox.faults.add({ method: "POST", pathRegex: "/sendMail$", latencyMs: 60 });
      const run = deliverNotifications(db, new Date(), ids);
      while (mailsWithSubject(subject).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const early = await outboxRows(db, ids);
      // The rows far down the list are not claimed yet: they get a claim of their own, when their turn is near.
      expect(early.filter((row) => row.attempts === 0).length).toBeGreaterThan(0);
      expect(early.filter((row) => row.claimedUntil !== null).length).toBeLessThan(ids.length);

      expect(await run).toEqual({ mailed: 150, posted: 0, failed: 0, gaveUp: 0 });
      expect(
        mailsWithSubject(subject)
          .flatMap((mail) => mail.to)
          .sort(),
      ).toEqual([...recipients].sort());
      expect((await outboxRows(db, ids)).map((row) => [row.status, row.attempts, row.claimedUntil])).toEqual(ids.map(() => ["sent", 1, null]));
    });

    it("runs racing over more rows than one claim takes deliver every row exactly once", async () => {
      const subject = unique("Race in chunks");
      const recipients = Array.from({ length: 260 }, (_, index) => `chunkrace${index}@contoso.test`);
      const ids = await queueNotificationBatch(db, { mails: recipients.map((to) => ({ to, subject, text: "Once." })) });
      const now = new Date();
      const runs = await Promise.all([
        deliverNotifications(db, now, undefined, 1000),
        deliverNotifications(db, now, [...ids].reverse()),
        deliverNotifications(db, now, ids),
        deliverNotifications(db, now, undefined, 150),
      ]);
      expect(runs.reduce((sum, run) => sum + run.mailed, 0)).toBe(260);
      expect(runs.reduce((sum, run) => sum + run.failed, 0)).toBe(0);
      expect(
        mailsWithSubject(subject)
          .flatMap((mail) => mail.to)
          .sort(),
      ).toEqual([...recipients].sort());
      expect((await outboxRows(db, ids)).map((row) => [row.status, row.attempts])).toEqual(ids.map(() => ["sent", 1]));
    });

    it("a run's limit holds across its claims: the oldest rows up to the limit, the rest left pending", async () => {
      const subject = unique("Limit in chunks");
      const ids = await queueNotificationBatch(db, {
        mails: Array.from({ length: 130 }, (_, index) => ({ to: `chunklimit${index}@contoso.test`, subject, text: "L" })),
      });
      expect(await deliverNotifications(db, new Date(), undefined, 120)).toEqual({ mailed: 120, posted: 0, failed: 0, gaveUp: 0 });
      expect((await outboxRows(db, ids)).map((row) => row.status)).toEqual([...ids.slice(0, 120).map(() => "sent"), ...ids.slice(120).map(() => "pending")]);
    });

    it("delivers only the given ids, and nothing at all for an empty list", async () => {
      const first = await queueNotification(db, { to: ["first@contoso.test"], subject: unique("First"), text: "First." });
      const second = await queueNotification(db, { to: ["second@contoso.test"], subject: unique("Second"), text: "Second." });
      const now = new Date();

      expect(await deliverNotifications(db, now, [])).toEqual(NONE);
      expect((await outboxRows(db)).map((row) => [row.status, row.attempts])).toEqual([...first, ...second].map(() => ["pending", 0]));

      expect(await deliverNotifications(db, now, [first[0]!])).toEqual({ mailed: 1, posted: 0, failed: 0, gaveUp: 0 });
      expect(sentMails().map((mail) => mail.to)).toEqual([["first@contoso.test"]]);
      expect((await outboxRows(db)).map((row) => row.status)).toEqual(["sent", "pending", "pending", "pending"]);

      expect(await deliverNotifications(db, now, second)).toEqual({ mailed: 1, posted: 1, failed: 0, gaveUp: 0 });
      expect((await outboxRows(db)).map((row) => row.status)).toEqual(["sent", "pending", "sent", "sent"]);
      expect(sentMails().map((mail) => mail.to)).toEqual([["first@contoso.test"], ["second@contoso.test"]]);
    });

    it("limit caps the rows one run claims, oldest first", async () => {
      const subject = unique("Limit");
      const ids = await queueNotificationBatch(db, {
        mails: Array.from({ length: 5 }, (_, index) => ({ to: `limit${index}@contoso.test`, subject, text: "L" })),
      });
      const now = new Date();
      const sentIds = async () => (await outboxRows(db)).filter((row) => row.status === "sent").map((row) => row.id);
      /** Who the last run mailed (one run's rows go out concurrently, in no particular order). */
      const takeMailed = () => {
        const recipients = mailsWithSubject(subject)
          .flatMap((mail) => mail.to)
          .sort();
        sentMails().length = 0;
        return recipients;
      };

      expect(await deliverNotifications(db, now, undefined, 2)).toEqual({ mailed: 2, posted: 0, failed: 0, gaveUp: 0 });
      expect(await sentIds()).toEqual(ids.slice(0, 2));
      expect(takeMailed()).toEqual(["limit0@contoso.test", "limit1@contoso.test"]);
      expect(await deliverNotifications(db, now, undefined, 2)).toEqual({ mailed: 2, posted: 0, failed: 0, gaveUp: 0 });
      expect(await sentIds()).toEqual(ids.slice(0, 4));
      expect(takeMailed()).toEqual(["limit2@contoso.test", "limit3@contoso.test"]);
      expect(await deliverNotifications(db, now, undefined, 2)).toEqual({ mailed: 1, posted: 0, failed: 0, gaveUp: 0 });
      expect(await sentIds()).toEqual(ids);
      expect(takeMailed()).toEqual(["limit4@contoso.test"]);
    });

    it("a run right after queueing finds the new rows due: their due time is this process's clock, not the database's", async () => {
      for (let round = 0; round < 20; round++) {
        const ids = await queueNotification(db, { to: [`due${round}@contoso.test`], subject: unique("Due"), text: "D" });
        expect(await deliverNotifications(db, new Date(), ids)).toEqual({ mailed: 1, posted: 1, failed: 0, gaveUp: 0 });
      }
    });

    it("rows another run holds do not use up the limit: the run takes the next rows nobody holds", async () => {
      const subject = unique("Skip held");
      const ids = await queueNotificationBatch(db, {
        mails: Array.from({ length: 4 }, (_, index) => ({ to: `skip${index}@contoso.test`, subject, text: "S" })),
      });
      const now = new Date();
      await db
        .update(notificationOutbox)
        .set({ claimedUntil: new Date(now.getTime() + 60_000) })
        .where(inArray(notificationOutbox.id, ids.slice(0, 2)));
      expect(await deliverNotifications(db, now, undefined, 2)).toEqual({ mailed: 2, posted: 0, failed: 0, gaveUp: 0 });
      expect(
        mailsWithSubject(subject)
          .flatMap((mail) => mail.to)
          .sort(),
      ).toEqual(["skip2@contoso.test", "skip3@contoso.test"]);
    });

    it("a retry is scheduled from the run's `now`, not from the wall clock", async () => {
      receiverMode = "refuse";
      applyMode();
      captureNotificationLogs();
      const ids = await queueNotification(db, { to: ["later@contoso.test"], subject: unique("Run clock"), text: "T", webhookSummary: "S" });
      const webhookId = ids[1]!;
      const tomorrow = new Date(Date.now() + 24 * 3_600_000);
      expect(await deliverNotifications(db, tomorrow, [webhookId])).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 0 });
      expect((await outboxRow(db, webhookId)).nextAttemptAt.getTime()).toBe(tomorrow.getTime() + retryDelayMs(1));
      // A second run at the same moment finds it not yet due.
      expect(await deliverNotifications(db, tomorrow, [webhookId])).toEqual(NONE);
      expect(posts).toHaveLength(1);
    });

    it("leaves a row another run still holds alone until its claim lapses, and rows not yet due are not attempted", async () => {
      const ids = await queueNotification(db, { to: ["held@contoso.test"], subject: unique("Held"), text: "Held." });
      const now = new Date();
      await db
        .update(notificationOutbox)
        .set({ claimedUntil: new Date(now.getTime() + 60_000) })
        .where(inArray(notificationOutbox.id, ids));
      expect(await deliverNotifications(db, now)).toEqual(NONE);
      expect(await deliverNotifications(db, now, ids)).toEqual(NONE);
      expect((await outboxRows(db, ids)).map((row) => row.attempts)).toEqual([0, 0]);

      await db
        .update(notificationOutbox)
        .set({ nextAttemptAt: new Date(now.getTime() + 120_000) })
        .where(eq(notificationOutbox.id, ids[1]!));
      // The claim has lapsed (the holder died); the webhook row is not due yet.
      expect(await deliverNotifications(db, new Date(now.getTime() + 60_000))).toEqual({ mailed: 1, posted: 0, failed: 0, gaveUp: 0 });
      expect(await deliverNotifications(db, new Date(now.getTime() + 120_000))).toEqual({ mailed: 0, posted: 1, failed: 0, gaveUp: 0 });
      expect(sentMails()).toHaveLength(1);
      expect(posts).toHaveLength(1);
    });
  });

  describe("failures", () => {
    it("a failing webhook is retried per retryDelayMs, never before it is due, then given up after MAX_NOTIFICATION_ATTEMPTS, logged each time", async () => {
      receiverMode = "refuse";
      applyMode();
      const logs = captureNotificationLogs();
      const ids = await queueNotification(db, { to: ["bystander@contoso.test"], subject: unique("Webhook down"), text: "T", webhookSummary: "S" });
      const [mailId, webhookId] = ids as [number, number];

      // The module's own clock (Date) is moved with the `now` each run is given; the rows were written before it.
      let clock = Date.now() + 1_000;
      // The bystanding mail row is left to a later run; every run here but the "not due" ones names the webhook row.
      await db
        .update(notificationOutbox)
        .set({ nextAttemptAt: new Date(clock + 10 * 24 * 3_600_000) })
        .where(eq(notificationOutbox.id, mailId));
      vi.useFakeTimers({ toFake: ["Date"], now: clock });
      for (let attempt = 1; attempt <= MAX_NOTIFICATION_ATTEMPTS; attempt++) {
        const last = attempt === MAX_NOTIFICATION_ATTEMPTS;
        expect(await deliverNotifications(db, new Date(), [webhookId])).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: last ? 1 : 0 });
        expect(posts).toHaveLength(attempt);
        const row = await outboxRow(db, webhookId);
        expect(row).toMatchObject({
          status: last ? "failed" : "pending",
          attempts: attempt,
          claimedUntil: null,
          sentAt: null,
          lastError: last ? `${SERVER_FAILED}; given up after 5 attempts` : SERVER_FAILED,
        });
        expect(row.nextAttemptAt.getTime() - clock).toBe(retryDelayMs(attempt));
        expect(row.nextAttemptAt.getTime() - clock).toBe([1, 2, 4, 8, 16][attempt - 1]! * 60_000);
        if (last) break;

        // Not due a millisecond early, even when asked for by id; due at the time.
        clock = row.nextAttemptAt.getTime();
        vi.setSystemTime(clock - 1);
        expect(await deliverNotifications(db, new Date(), [webhookId])).toEqual(NONE);
        expect(await deliverNotifications(db, new Date())).toEqual(NONE);
        expect(posts).toHaveLength(attempt);
        vi.setSystemTime(clock);
      }

      // Given up: no run tries it again, however late.
      vi.setSystemTime(clock + 7 * 24 * 3_600_000);
      expect(await deliverNotifications(db, new Date(), [webhookId])).toEqual(NONE);
      expect(posts).toHaveLength(MAX_NOTIFICATION_ATTEMPTS);
      expect(await outboxRow(db, mailId)).toMatchObject({ status: "pending", attempts: 0 });

      const failures = logs.map(({ level, message, id, channel, attempts, error }) => ({ level, message, id, channel, attempts, error }));
      expect(logs.every((line) => line.chatChannel === "default")).toBe(true);
      expect(failures).toEqual([
        ...[1, 2, 3, 4].map((attempts) => ({
          level: "warn",
          message: "notification failed; will retry",
          id: webhookId,
          channel: "chat",
          attempts,
          error: SERVER_FAILED,
        })),
        { level: "error", message: "notification given up", id: webhookId, channel: "chat", attempts: 5, error: `${SERVER_FAILED}; given up after 5 attempts` },
      ]);
      // Neither what the receiver answered nor the webhook URL (a capability) is stored or logged.
      for (const line of logs) expect(line.raw).not.toMatch(new RegExp(`${RECEIVER_SECRET}|${WEBHOOK_SECRET}`));
    });

    it("a webhook that cannot be reached is recorded as failed without its URL", async () => {
      receiverMode = "drop";
      applyMode();
      const logs = captureNotificationLogs();
      const ids = await queueNotification(db, { to: ["bystander@contoso.test"], subject: unique("Webhook gone"), text: "T" });
      const webhookId = ids[1]!;
      expect(await deliverNotifications(db, new Date(), [webhookId])).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 0 });
      expect(posts.length).toBeGreaterThanOrEqual(1);
      const row = await outboxRow(db, webhookId);
      expect(row).toMatchObject({ status: "pending", attempts: 1, lastError: expect.any(String) as string });
      for (const text of [row.lastError!, ...logs.map((line) => String(line.raw))]) {
        expect(text).not.toContain(WEBHOOK_SECRET);
        expect(text).not.toContain(`:${receiver.port}`);
      }
      expect(row.lastError).toMatch(/^Teams channel default: could not reach 127\.0\.0\.1( \([A-Z_]+\))?$/);
      expect(logs).toHaveLength(1);
    });

    it("a webhook that answers with a redirect is given up at once: the post is never sent on to where it points", async () => {
      receiverMode = "redirect";
      applyMode();
      const ids = await queueNotification(db, { to: ["bystander@contoso.test"], subject: unique("Webhook moved"), text: "T" });
      const webhookId = ids[1]!;
      const before = posts.length;
      expect(await deliverNotifications(db, new Date(), [webhookId])).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 1 });
      expect(posts.slice(before).map((post) => post.path)).toEqual([WEBHOOK_PATH]);
      expect(await outboxRow(db, webhookId)).toMatchObject({
        status: "failed",
        attempts: 1,
        lastError: "Teams channel default answered with a redirect, which is not followed (check the webhook URL); not retried",
      });
    });

    it("a mail Graph refuses stays pending with the failure recorded while the rest of the run goes out, and a later success clears it", async () => {
      const subject = unique("Partly");
      const ids = await queueNotificationBatch(db, {
        mails: [
          { to: NOBODY, subject, text: "To nobody." },
          { to: "somebody@contoso.test", subject, text: "To somebody." },
        ],
      });
      const before = Date.now();
      const now = new Date();
      expect(await deliverNotifications(db, now)).toEqual({ mailed: 1, posted: 0, failed: 1, gaveUp: 0 });
      expect(mailsWithSubject(subject).map((mail) => mail.to)).toEqual([["somebody@contoso.test"]]);
      const [nobody, somebody] = await outboxRows(db, ids);
      expect(somebody).toMatchObject({ status: "sent", lastError: null });
      expect(nobody).toMatchObject({ status: "pending", attempts: 1, claimedUntil: null, sentAt: null, lastError: expect.any(String) as string });
      expect(nobody!.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + retryDelayMs(1));
      expect(nobody!.nextAttemptAt.getTime()).toBeLessThanOrEqual(now.getTime() + retryDelayMs(1));

      // sendMail itself refused once (400: not retried by the Graph client), then accepted.
      const retried = await queueNotification(db, { to: ["flaky@contoso.test"], subject: unique("Flaky"), text: "Flaky." });
      tenant.sandbox.faults.add({ method: "POST", pathRegex: "/sendMail$", status: 400, times: 1 });
      expect(await deliverNotifications(db, new Date(), [retried[0]!])).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 0 });
      const failed = await outboxRow(db, retried[0]!);
      expect(failed).toMatchObject({ status: "pending", attempts: 1, lastError: expect.any(String) as string });
      expect(await deliverNotifications(db, failed.nextAttemptAt, [retried[0]!])).toEqual({ mailed: 1, posted: 0, failed: 0, gaveUp: 0 });
      expect(await outboxRow(db, retried[0]!)).toMatchObject({ status: "sent", attempts: 2, lastError: null });
    });
  });

  describe("pruning", () => {
    it("deletes sent rows older than the retention, past one chunk; keeps recent sent, pending and given-up rows whatever their age", async () => {
      const now = new Date("2026-12-06T12:00:00Z");
      const retentionMs = getConfig().notifications.sentRetentionMs;
      expect(retentionMs).toBe(30 * 86_400_000);
      const before = (ms: number) => new Date(now.getTime() - ms);
      const row = (recipient: string, extra: Partial<typeof notificationOutbox.$inferInsert>) => ({
        channel: "mail",
        recipient,
        subject: "S",
        body: "B",
        createdAt: before(retentionMs * 2),
        ...extra,
      });
      // More than one delete chunk (1,000) of old sent rows.
      const old = Array.from({ length: 1_203 }, (_, index) =>
        row(`old-${index}@contoso.test`, { status: "sent", sentAt: before(retentionMs + 60_000 + index) }),
      );
      await db.insert(notificationOutbox).values(old);
      const kept = await db
        .insert(notificationOutbox)
        .values([
          row("recent@contoso.test", { status: "sent", sentAt: before(retentionMs - 60_000) }),
          row("pending@contoso.test", { status: "pending", attempts: 2, nextAttemptAt: before(retentionMs * 2) }),
          row("given-up@contoso.test", { status: "failed", attempts: 5, lastError: "Graph refused", lastAttemptAt: before(retentionMs * 2) }),
        ])
        .returning({ id: notificationOutbox.id });

      expect(await pruneSentNotifications(db, now)).toBe(1_203);
      expect((await outboxRows(db)).map((left) => [left.id, left.recipient, left.status])).toEqual([
        [kept[0]!.id, "recent@contoso.test", "sent"],
        [kept[1]!.id, "pending@contoso.test", "pending"],
        [kept[2]!.id, "given-up@contoso.test", "failed"],
      ]);
      expect(await pruneSentNotifications(db, now)).toBe(0);
    });

    it("stops after maxRows in one run, oldest first; the next run takes the rest", async () => {
      const now = new Date("2026-12-06T12:00:00Z");
      const long = new Date(now.getTime() - getConfig().notifications.sentRetentionMs - 86_400_000);
      const ids = await db
        .insert(notificationOutbox)
        .values(
          Array.from({ length: 5 }, (_, index) => ({
            channel: "mail",
            recipient: `r${index}@contoso.test`,
            subject: "S",
            body: "B",
            status: "sent",
            sentAt: long,
          })),
        )
        .returning({ id: notificationOutbox.id });
      expect(await pruneSentNotifications(db, now, 3)).toBe(3);
      expect((await outboxRows(db)).map((left) => left.id)).toEqual(ids.slice(3).map((id) => id.id));
      expect(await pruneSentNotifications(db, now, 3)).toBe(2);
      expect(await outboxRows(db)).toEqual([]);
    });
  });
});

describe("sendNotification and the delivery job (the console's database)", () => {
  it("the notification-delivery job delivers what is due, then prunes sent rows past the retention", async () => {
    const db = await getDatabase();
    const subject = unique("Queued for the job");
    const ids = await queueNotification(db, { to: ["job@contoso.test"], subject, text: "From the job." });
    const sentLongAgo = new Date(Date.now() - getConfig().notifications.sentRetentionMs - 60_000);
    const [stale] = await db
      .insert(notificationOutbox)
      .values({ channel: "mail", recipient: "stale@contoso.test", subject: unique("Sent long ago"), body: "B", status: "sent", sentAt: sentLongAgo })
      .returning({ id: notificationOutbox.id });
    const job = notificationDeliveryJob();
    expect(job).toMatchObject({ name: "notification-delivery", intervalMs: 60_000 });
    expect(await job.run()).toEqual({ mailed: 1, posted: 1, failed: 0, gaveUp: 0, sentPruned: 1 });
    expect(await outboxRows(db, [stale!.id])).toEqual([]);
    expect((await outboxRows(db, ids)).map((row) => row.status)).toEqual(["sent", "sent"]);
    expect(mailsWithSubject(subject).map((mail) => mail.to)).toEqual([["job@contoso.test"]]);
  });

  it("queues and delivers at once: one mail per distinct recipient and one webhook post", async () => {
    const subject = unique("Your access request was granted");
    const result = await sendNotification({
      to: ["Team-Lead@contosoml.onmicrosoft.com", "team-lead@contosoml.onmicrosoft.com", SECURITY.objectId],
      subject,
      text: "Granted.",
      webhookSummary: "Granted",
    });
    expect(result).toEqual({ mailed: 2, failed: 0 });
    expect(
      mailsWithSubject(subject)
        .map((mail) => mail.to)
        .sort(),
    ).toEqual([[SECURITY.mail], ["team-lead@contosoml.onmicrosoft.com"]]);
    expect(posts.map((post) => (cardOf(post.body).body as { text: string }[])[1]!.text)).toEqual(["Granted"]);
    const rows = (await outboxRows(await getDatabase())).filter((row) => row.subject === subject);
    expect(rows.map((row) => [row.channel, row.status])).toEqual([
      ["mail", "sent"],
      ["mail", "sent"],
      ["chat", "sent"],
    ]);
  });

  it("counts what failed now and leaves it pending for the job", async () => {
    const subject = unique("For nobody");
    expect(await sendNotification({ to: [NOBODY], subject, text: "T" })).toEqual({ mailed: 0, failed: 1 });
    const rows = (await outboxRows(await getDatabase())).filter((row) => row.subject === subject);
    expect(rows.map((row) => [row.channel, row.status, row.attempts])).toEqual([
      ["mail", "pending", 1],
      ["chat", "sent", 1],
    ]);
  });

  it("never throws: invalid input is logged, counted as failed and queues nothing; no recipients is a no-op", async () => {
    const logs = captureNotificationLogs();
    const db = await getDatabase();
    const before = (await outboxRows(db)).length;
    expect(await sendNotification({ to: ["a@contoso.test", "b@contoso.test"], subject: "   ", text: "T" })).toEqual({ mailed: 0, failed: 2 });
    expect(logs.map((line) => [line.level, line.message])).toEqual([["error", "could not queue a notification"]]);
    expect(await sendNotification({ to: [], subject: "Nobody", text: "T" })).toEqual({ mailed: 0, failed: 0 });
    expect(await outboxRows(db)).toHaveLength(before);
    expect(sentMails()).toHaveLength(0);
    expect(posts).toHaveLength(0);
  });
});

describe.each(storageEngines())("named chat channels on $name", (engine) => {
  let handle: DatabaseHandle;
  let db: Database;
  beforeAll(async () => {
    handle = await engine.open();
    db = handle.db;
  });
  afterAll(async () => {
    await handle?.close();
  });
  beforeEach(async () => {
    await db.delete(notificationOutbox);
  });

  /** What a requester might write to forge a mention, a channel ping, a link or markup. */
  const HOSTILE = "<!channel> [click](https://evil.example) **bold** @everyone <at>Lee</at> <@U123|lee> _it_";
  const message = (title = unique("Access request: Owner on mlw-prod")): NotificationMessage => ({
    title,
    summary: "Lee Lead asks for Owner on mlw-prod for 7 days.",
    facts: [
      { name: "Workspace", value: "mlw-prod" },
      { name: "Ticket", value: HOSTILE },
    ],
    quote: { by: "Why (the requester's words)", text: HOSTILE },
    link: { label: "Review in Gatehouse", url: `${getConfig().publicOrigin}/requests/42` },
  });
  const postsTo = (path: string) => posts.filter((post) => post.path === path);

  it("queueMessage writes a mail per person (its plain text) and a chat row per configured channel, naming the channel, never its URL", async () => {
    const logs = captureNotificationLogs();
    const sent = message();
    const ids = await queueMessage(
      db,
      { people: ["Lee@Contoso.test", "lee@contoso.test"], channels: ["ml-platform", "fraud", "ml-platform", "nowhere"] },
      sent,
    );
    const rows = await outboxRows(db, ids);
    expect(rows.map((row) => [row.channel, row.recipient])).toEqual([
      ["mail", "lee@contoso.test"],
      ["chat", "ml-platform"],
      ["chat", "fraud"],
    ]);
    expect(rows[0]).toMatchObject({ subject: sent.title, message: sent, status: "pending" });
    expect(rows[0]!.body).toContain("Why (the requester's words) wrote: <!channel>");
    for (const row of rows.slice(1)) expect(row).toMatchObject({ subject: sent.title, body: sent.summary, message: sent });
    expect(JSON.stringify(rows)).not.toMatch(new RegExp(`${TEAMS_SECRET}|${SLACK_SECRET}|127\\.0\\.0\\.1`));
    // An unknown channel is skipped and said so, never thrown.
    expect(logs.map(({ level, message: text, channel }) => [level, text, channel])).toEqual([["warn", "no such chat channel; skipped", "nowhere"]]);
    expect(posts).toHaveLength(0);

    // A button leads into the console only; a malformed message queues nothing.
    await expect(
      queueMessage(db, { people: ["a@contoso.test"], channels: [] }, { ...sent, link: { label: "Go", url: "https://evil.example/x" } }),
    ).rejects.toThrow("a notification's link must be a console page");
    await expect(queueMessage(db, { people: ["a@contoso.test"], channels: [] }, { ...sent, title: " " })).rejects.toThrow();
    expect(await outboxRows(db)).toHaveLength(3);
  });

  it("posts an Adaptive Card to a Teams channel and Block Kit to a Slack channel, requester text escaped in each", async () => {
    const sent = message();
    const ids = await queueMessage(db, { people: [], channels: ["ml-platform", "fraud"] }, sent);
    expect(await deliverNotifications(db, new Date(), ids)).toEqual({ mailed: 0, posted: 2, failed: 0, gaveUp: 0 });

    const [teams] = postsTo(TEAMS_PATH);
    expect(teams).toMatchObject({ method: "POST", contentType: "application/json" });
    expect(teams!.body).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null }] });
    const card = cardOf(teams!.body);
    expect(validateCard(card), JSON.stringify(validateCard.errors)).toBe(true);
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "Review in Gatehouse", url: sent.link!.url }]);
    const teamsText = JSON.stringify(card.body);
    expect(teamsText).toContain(JSON.stringify(escapeTeamsText(HOSTILE)).slice(1, -1));
    expect(teamsText).not.toMatch(/<!channel>|\[click\]\(|\*\*bold\*\*|<at>|https:\/\/evil/);

    const [slack] = postsTo(SLACK_PATH);
    const parsed = slackWebhookMessage.safeParse(slack!.body);
    expect(parsed.error).toBeUndefined();
    const slackText = JSON.stringify(slack!.body);
    expect(slackText).toContain("&lt;!channel&gt;");
    expect(slackText).toContain("&lt;@U123|lee&gt;");
    expect(slackText).not.toMatch(/<!channel>|<@U123|<at>|https:\/\/evil/);
    expect(slackText).toContain(JSON.stringify(sent.link!.url));
    expect((await outboxRows(db, ids)).map((row) => row.status)).toEqual(["sent", "sent"]);
  });

  it("a throttled post waits what Retry-After asks when that is longer than the back-off (at most an hour), then goes out the same", async () => {
    const ids = await queueMessage(db, { people: [], channels: ["fraud"] }, message());
    const id = ids[0]!;
    const now = new Date();
    receiver.script(SLACK_PATH, { status: 429, headers: { "retry-after": "600" }, body: "rate_limited" });
    expect(await deliverNotifications(db, now, ids)).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 0 });
    let row = await outboxRow(db, id);
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastError: "Slack channel fraud answered 429 (rate_limited): throttled" });
    expect(row.nextAttemptAt.getTime() - now.getTime()).toBe(600_000);

    // An HTTP date; then one sooner than the back-off (the back-off wins); then one beyond an hour (capped).
    // (The date is read against the wall clock; the wait is counted from the run's own `now`.)
    receiver.script(SLACK_PATH, { status: 429, headers: { "retry-after": new Date(Date.now() + 900_000).toUTCString() } });
    expect(await deliverNotifications(db, row.nextAttemptAt, ids)).toMatchObject({ failed: 1, gaveUp: 0 });
    const second = await outboxRow(db, id);
    expect(second.nextAttemptAt.getTime() - row.nextAttemptAt.getTime()).toBeGreaterThan(895_000);
    expect(second.nextAttemptAt.getTime() - row.nextAttemptAt.getTime()).toBeLessThanOrEqual(900_000);
    row = second;
    receiver.script(SLACK_PATH, { status: 429, headers: { "retry-after": "5" } });
    expect(await deliverNotifications(db, row.nextAttemptAt, ids)).toMatchObject({ failed: 1 });
    const third = await outboxRow(db, id);
    expect(third.nextAttemptAt.getTime() - row.nextAttemptAt.getTime()).toBe(retryDelayMs(3));
    receiver.script(SLACK_PATH, { status: 429, headers: { "retry-after": "86400" } });
    expect(await deliverNotifications(db, third.nextAttemptAt, ids)).toMatchObject({ failed: 1 });
    const fourth = await outboxRow(db, id);
    expect(fourth.nextAttemptAt.getTime() - third.nextAttemptAt.getTime()).toBe(3_600_000);

    // Then accepted: the fifth attempt posts the very same payload, rendered again from the stored message.
    expect(await deliverNotifications(db, fourth.nextAttemptAt, ids)).toEqual({ mailed: 0, posted: 1, failed: 0, gaveUp: 0 });
    const bodies = postsTo(SLACK_PATH).map((post) => JSON.stringify(post.body));
    expect(bodies).toHaveLength(5);
    expect(new Set(bodies).size).toBe(1);
    expect(await outboxRow(db, id)).toMatchObject({ status: "sent", attempts: 5, lastError: null });
  });

  it("5xx and 408 are retried with the back-off; after MAX_NOTIFICATION_ATTEMPTS the post is given up", async () => {
    const logs = captureNotificationLogs();
    const ids = await queueMessage(db, { people: [], channels: ["ml-platform"] }, message());
    const id = ids[0]!;
    receiver.script(
      TEAMS_PATH,
      { status: 503 },
      { status: 408 },
      { status: 502 },
      { status: 500, body: RECEIVER_SECRET },
      { status: 500, body: RECEIVER_SECRET },
    );
    let now = new Date();
    const seen: string[] = [];
    for (let attempt = 1; attempt <= MAX_NOTIFICATION_ATTEMPTS; attempt++) {
      const last = attempt === MAX_NOTIFICATION_ATTEMPTS;
      expect(await deliverNotifications(db, now, ids)).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: last ? 1 : 0 });
      const row = await outboxRow(db, id);
      expect(row).toMatchObject({ status: last ? "failed" : "pending", attempts: attempt });
      expect(row.nextAttemptAt.getTime() - now.getTime()).toBe(retryDelayMs(attempt));
      seen.push(row.lastError!);
      now = row.nextAttemptAt;
    }
    expect(seen).toEqual([
      "Teams channel ml-platform answered 503: the service failed",
      "Teams channel ml-platform answered 408: timed out",
      "Teams channel ml-platform answered 502: the service failed",
      "Teams channel ml-platform answered 500: the service failed",
      "Teams channel ml-platform answered 500: the service failed; given up after 5 attempts",
    ]);
    expect(await deliverNotifications(db, new Date(now.getTime() + 7 * 24 * 3_600_000), ids)).toEqual(NONE);
    expect(postsTo(TEAMS_PATH)).toHaveLength(MAX_NOTIFICATION_ATTEMPTS);
    for (const line of logs) expect(line.raw).not.toMatch(new RegExp(`${RECEIVER_SECRET}|${TEAMS_SECRET}`));
  });

  it("a refusal retrying cannot help (400, 403, 404, 410) is given up at once, saying why, without the URL or the body", async () => {
    const logs = captureNotificationLogs();
    const cases = [
      {
        path: SLACK_PATH,
        channel: "fraud",
        answer: { status: 404, body: "channel_not_found" },
        error: "Slack channel fraud answered 404 (channel_not_found): the webhook was not found (deleted or its URL changed); not retried",
      },
      {
        path: SLACK_PATH,
        channel: "fraud",
        answer: { status: 410, body: "channel_is_archived" },
        error: "Slack channel fraud answered 410 (channel_is_archived): the channel is gone or archived; not retried",
      },
      {
        path: SLACK_PATH,
        channel: "fraud",
        answer: { status: 400, body: "invalid_blocks" },
        error: "Slack channel fraud answered 400 (invalid_blocks): the message was refused as invalid; not retried",
      },
      {
        path: TEAMS_PATH,
        channel: "ml-platform",
        answer: { status: 400, body: `{"error":{"message":"${RECEIVER_SECRET}"}}` },
        error: "Teams channel ml-platform answered 400: the message was refused as invalid; not retried",
      },
      {
        path: TEAMS_PATH,
        channel: "ml-platform",
        answer: { status: 403, body: RECEIVER_SECRET },
        error: "Teams channel ml-platform answered 403: the webhook refused the post (disabled, or posting is not allowed); not retried",
      },
    ];
    for (const { path, channel, answer, error } of cases) {
      const ids = await queueMessage(db, { people: [], channels: [channel] }, message());
      receiver.script(path, answer);
      expect(await deliverNotifications(db, new Date(), ids)).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 1 });
      expect(await outboxRow(db, ids[0]!)).toMatchObject({ status: "failed", attempts: 1, lastError: error });
    }
    expect(logs.map((line) => line.level)).toEqual(["error", "error", "error", "error", "error"]);
    for (const line of logs) expect(line.raw).not.toMatch(new RegExp(`${RECEIVER_SECRET}|${TEAMS_SECRET}|${SLACK_SECRET}`));
  });

  it("a redirect is not followed: the post is given up and where it points receives nothing", async () => {
    const ids = await queueMessage(db, { people: [], channels: ["fraud"] }, message());
    receiver.script(SLACK_PATH, { status: 302, headers: { location: receiver.url("/captured") } });
    expect(await deliverNotifications(db, new Date(), ids)).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 1 });
    expect(posts.map((post) => post.path)).toEqual([SLACK_PATH]);
    expect(await outboxRow(db, ids[0]!)).toMatchObject({
      status: "failed",
      lastError: "Slack channel fraud answered with a redirect, which is not followed (check the webhook URL); not retried",
    });
  });

  it("a row whose channel is no longer configured is given up at once", async () => {
    const [row] = await db
      .insert(notificationOutbox)
      .values({ channel: "chat", recipient: "retired", subject: "T", body: "S", message: { title: "T", summary: "S", facts: [] }, nextAttemptAt: new Date() })
      .returning();
    expect(await deliverNotifications(db, new Date(), [row!.id])).toEqual({ mailed: 0, posted: 0, failed: 1, gaveUp: 1 });
    expect(await outboxRow(db, row!.id)).toMatchObject({ status: "failed", lastError: "no chat channel named retired is configured; not retried" });
    expect(posts).toHaveLength(0);
  });
});

describe("sendMessage (the console's database)", () => {
  it("mails the people and posts to the channels at once, and never throws", async () => {
    const logs = captureNotificationLogs();
    const title = unique("Your access request was granted");
    const link = { label: "Open", url: `${getConfig().publicOrigin}/requests/7` };
    expect(
      await sendMessage({ people: ["team-lead@contosoml.onmicrosoft.com"], channels: ["fraud"] }, { title, summary: "Granted.", facts: [], link }),
    ).toEqual({
      mailed: 1,
      failed: 0,
    });
    expect(mailsWithSubject(title)).toHaveLength(1);
    expect(posts.map((post) => post.path)).toEqual([SLACK_PATH]);
    // A message that cannot be queued is logged and counted, not thrown.
    expect(
      await sendMessage(
        { people: ["a@contoso.test"], channels: ["fraud"] },
        { title, summary: "x", facts: [], link: { label: "x", url: "javascript:alert(1)" } },
      ),
    ).toEqual({
      mailed: 0,
      failed: 2,
    });
    expect(logs.map((line) => line.message)).toEqual(["could not queue a message"]);
  });
});
