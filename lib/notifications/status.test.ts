/**
 * The notifications page's data: per channel (name, kind, host; never the URL) and for mail, what is pending, sent in
 * the last day and given up, with the latest failure; the latest given-up rows; and only for Console.Admin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import type { Session } from "@/lib/auth/session";
import type { Database, DatabaseHandle } from "@/lib/db/client";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import { storageEngines } from "@/test/support/databases";
import { exportToWorkers } from "@/test/support/test-env";
import { notificationOutbox } from "./schema";

const SIGNATURE = "sig=0123456789abcdef";
exportToWorkers({
  GATEHOUSE_NOTIFICATION_CHANNELS: JSON.stringify({
    "ml-platform": { kind: "teams", url: `https://prod-23.westeurope.logic.azure.com/workflows/a/triggers/manual/paths/invoke?${SIGNATURE}` },
    fraud: { kind: "slack", url: "https://hooks.slack.com/services/T0/B0/0123456789abcdef" },
  }),
});
const { notificationHealth } = await import("./status");

afterAll(() => {
  exportToWorkers({ GATEHOUSE_NOTIFICATION_CHANNELS: "" });
});

const sessionWith = (roles: ConsoleRole[]) =>
  ({
    sessionId: "s",
    principal: { tenantId: "t", objectId: "o", displayName: "Ada", userPrincipalName: "ada@contoso.test", roles, authContexts: [], expiresAt: new Date() },
    clientAddress: "127.0.0.1",
    userAgent: "test",
  }) as unknown as Session;
const ADMIN = sessionWith(["Console.Admin"]);

describe.each(storageEngines())("notification health on $name", (engine) => {
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

  it("counts per channel and for mail, names the latest failure, and lists what was given up, newest first", async () => {
    const now = new Date("2026-12-06T12:00:00Z");
    const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
    const message = { title: "T", summary: "S", facts: [] };
    const chat = (recipient: string, extra: Partial<typeof notificationOutbox.$inferInsert>) => ({
      channel: "chat",
      recipient,
      subject: "Chat",
      body: "S",
      message,
      ...extra,
    });
    const mail = (extra: Partial<typeof notificationOutbox.$inferInsert>) => ({
      channel: "mail",
      recipient: "lee@contoso.test",
      subject: "Mail",
      body: "B",
      ...extra,
    });
    await db.insert(notificationOutbox).values([
      chat("ml-platform", { status: "sent", sentAt: ago(10), lastAttemptAt: ago(10) }),
      chat("ml-platform", { status: "sent", sentAt: ago(25 * 60), lastAttemptAt: ago(25 * 60) }),
      chat("ml-platform", { status: "pending", attempts: 2, lastError: "Teams channel ml-platform answered 500: the service failed", lastAttemptAt: ago(5) }),
      chat("fraud", {
        status: "failed",
        attempts: 1,
        lastError: "Slack channel fraud answered 404 (channel_not_found): gone; not retried",
        lastAttemptAt: ago(30),
        subject: "Old",
      }),
      chat("fraud", {
        status: "failed",
        attempts: 1,
        lastError: "Slack channel fraud answered 410 (channel_is_archived): archived; not retried",
        lastAttemptAt: ago(3),
        subject: "New",
      }),
      chat("retired", { status: "pending" }),
      mail({ status: "sent", sentAt: ago(1) }),
      mail({ status: "failed", attempts: 5, lastError: "Graph refused", lastAttemptAt: ago(60), subject: "Mail given up" }),
    ]);

    const health = await notificationHealth(db, ADMIN, now);
    expect(health.channels).toEqual([
      {
        name: "fraud",
        kind: "slack",
        host: "hooks.slack.com",
        configured: true,
        pending: 0,
        sentLast24h: 0,
        gaveUp: 2,
        lastFailureAt: ago(3),
        lastFailure: "Slack channel fraud answered 410 (channel_is_archived): archived; not retried",
      },
      {
        name: "ml-platform",
        kind: "teams",
        host: "prod-23.westeurope.logic.azure.com",
        configured: true,
        pending: 1,
        sentLast24h: 1,
        gaveUp: 0,
        lastFailureAt: ago(5),
        lastFailure: "Teams channel ml-platform answered 500: the service failed",
      },
      { name: "retired", kind: "teams", host: null, configured: false, pending: 1, sentLast24h: 0, gaveUp: 0, lastFailureAt: null, lastFailure: null },
    ]);
    expect(health.mail).toEqual({
      name: "mail",
      kind: "mail",
      host: "admin@contosoml.onmicrosoft.com",
      configured: true,
      pending: 0,
      sentLast24h: 1,
      gaveUp: 1,
      lastFailureAt: ago(60),
      lastFailure: "Graph refused",
    });
    expect(health.recentGivenUp.map((row) => [row.via, row.recipient, row.subject])).toEqual([
      ["fraud", "", "New"],
      ["fraud", "", "Old"],
      ["mail", "lee@contoso.test", "Mail given up"],
    ]);
    expect(JSON.stringify(health)).not.toContain("0123456789abcdef");
  });

  it("reads only what is in flight, given up or sent today: older sent rows count for nothing, and the given-up list stops at 20", async () => {
    const now = new Date("2026-12-06T12:00:00Z");
    const ago = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
    const mail = (extra: Partial<typeof notificationOutbox.$inferInsert>) => ({
      channel: "mail",
      recipient: "lee@contoso.test",
      subject: "Mail",
      body: "B",
      ...extra,
    });
    await db.insert(notificationOutbox).values([
      ...Array.from({ length: 50 }, (_, index) => mail({ status: "sent", sentAt: ago(25 + index) })),
      // A channel removed from the settings whose rows were all sent days ago is no longer listed.
      { channel: "chat", recipient: "retired", subject: "Chat", body: "S", status: "sent", sentAt: ago(48) },
      mail({ status: "sent", sentAt: ago(23) }),
      ...Array.from({ length: 25 }, (_, index) =>
        mail({ status: "failed", attempts: 5, lastError: `refused ${index}`, lastAttemptAt: ago(100 - index), subject: `Given up ${index}` }),
      ),
    ]);
    const health = await notificationHealth(db, ADMIN, now);
    expect(health.channels.map((channel) => channel.name)).toEqual(["fraud", "ml-platform"]);
    expect(health.mail).toMatchObject({ pending: 0, sentLast24h: 1, gaveUp: 25, lastFailure: "refused 24", lastFailureAt: ago(76) });
    expect(health.recentGivenUp.map((row) => row.subject)).toEqual(Array.from({ length: 20 }, (_, index) => `Given up ${24 - index}`));
  });

  it("is for Console.Admin only, whoever calls it", async () => {
    for (const roles of [["Console.SecurityReader"], ["Console.Requester"], []] as ConsoleRole[][]) {
      await expect(notificationHealth(db, sessionWith(roles))).rejects.toMatchObject({ code: "forbidden" });
    }
  });
});
