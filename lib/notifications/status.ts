import "server-only";

import { desc, eq, gte, isNotNull, ne, or, sql } from "drizzle-orm";

import type { Session } from "@/lib/auth/session";
import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import { refusal } from "@/lib/errors";
import { isAllowed } from "@/lib/shared/permissions";
import { configuredChannels } from "./channels";
import { notificationOutbox } from "./schema";

/** How one way of notifying is doing: a chat channel (by name, kind and host; never its URL) or mail. */
export interface DeliveryHealth {
  /** The channel's name, or `mail`. */
  readonly name: string;
  readonly kind: "teams" | "slack" | "mail";
  /** The webhook host, or the mail sender; null when the channel is no longer configured (or mail is off). */
  readonly host: string | null;
  readonly configured: boolean;
  readonly pending: number;
  readonly sentLast24h: number;
  readonly gaveUp: number;
  /** The latest failed attempt (retried or given up) and what it was told. */
  readonly lastFailureAt: Date | null;
  readonly lastFailure: string | null;
}

export interface GivenUpNotification {
  readonly id: number;
  /** The channel's name, or `mail`. */
  readonly via: string;
  /** For mail, the recipient (an object id or address); for chat, empty (the channel names it). */
  readonly recipient: string;
  readonly subject: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastAttemptAt: Date | null;
  readonly createdAt: Date;
}

export interface NotificationHealth {
  readonly channels: readonly DeliveryHealth[];
  readonly mail: DeliveryHealth;
  readonly recentGivenUp: readonly GivenUpNotification[];
}

const RECENT_GIVEN_UP = 20;

/**
 * What the notifications page shows a Console.Admin: per chat channel and for mail, what is pending, what was sent in
 * the last 24 hours, what was given up, and the latest failure; then the latest given-up notifications. Read-only.
 * Authorizes itself (viewNotifications), whoever calls it.
 */
export async function notificationHealth(db: Database, session: Session, now = new Date()): Promise<NotificationHealth> {
  if (!isAllowed("viewNotifications", session.principal.roles)) {
    throw refusal("forbidden", "viewNotifications", "Your Gatehouse role does not allow this. Ask an admin if you need it.");
  }
  const { notifications } = getConfig();
  // Mail is one line whoever it went to; each chat channel its own.
  const via = sql<string>`case when ${notificationOutbox.channel} = 'mail' then 'mail' else ${notificationOutbox.recipient} end`;
  const since = new Date(now.getTime() - 24 * 3_600_000);
  // Sent rows older than a day count for nothing here: left out in the WHERE, so the aggregate reads what is in flight,
  // given up or sent today, however many older sent rows the outbox still holds within its retention.
  const counts = await db
    .select({
      channel: notificationOutbox.channel,
      via,
      pending: sql<number>`count(*) filter (where ${notificationOutbox.status} = 'pending')::int`,
      sent: sql<number>`count(*) filter (where ${notificationOutbox.status} = 'sent' and ${notificationOutbox.sentAt} >= ${since})::int`,
      gaveUp: sql<number>`count(*) filter (where ${notificationOutbox.status} = 'failed')::int`,
    })
    .from(notificationOutbox)
    .where(or(ne(notificationOutbox.status, "sent"), gte(notificationOutbox.sentAt, since)))
    .groupBy(notificationOutbox.channel, via);
  const failures = await db
    .selectDistinctOn([notificationOutbox.channel, via], {
      channel: notificationOutbox.channel,
      via,
      lastError: notificationOutbox.lastError,
      lastAttemptAt: notificationOutbox.lastAttemptAt,
    })
    .from(notificationOutbox)
    .where(isNotNull(notificationOutbox.lastError))
    .orderBy(notificationOutbox.channel, via, sql`${notificationOutbox.lastAttemptAt} desc nulls last`, desc(notificationOutbox.id));

  const key = (channel: string, name: string) => `${channel === "mail" ? "mail" : "chat"}:${name}`;
  const countsBy = new Map(counts.map((row) => [key(row.channel, row.via), row]));
  const failureBy = new Map(failures.map((row) => [key(row.channel, row.via), row]));
  const health = (channel: "mail" | "chat", name: string, kind: DeliveryHealth["kind"], host: string | null, configured: boolean): DeliveryHealth => {
    const count = countsBy.get(key(channel, name));
    const failure = failureBy.get(key(channel, name));
    return {
      name,
      kind,
      host,
      configured,
      pending: count?.pending ?? 0,
      sentLast24h: count?.sent ?? 0,
      gaveUp: count?.gaveUp ?? 0,
      lastFailureAt: failure?.lastAttemptAt ?? null,
      lastFailure: failure?.lastError ?? null,
    };
  };

  const configured = configuredChannels();
  const known = new Set(configured.map((channel) => channel.name));
  // A channel removed from the settings still shows while the outbox holds its rows in flight, given up or sent today.
  const retired = counts.filter((row) => row.channel !== "mail" && !known.has(row.via)).map((row) => row.via);
  const channels = [
    ...configured.map((channel) => health("chat", channel.name, channel.kind, channel.host, true)),
    ...[...new Set(retired)].sort().map((name) => health("chat", name, "teams", null, false)),
  ];

  const givenUp = await db
    .select()
    .from(notificationOutbox)
    .where(eq(notificationOutbox.status, "failed"))
    .orderBy(sql`${notificationOutbox.lastAttemptAt} desc nulls last`, desc(notificationOutbox.id))
    .limit(RECENT_GIVEN_UP);

  return {
    channels,
    mail: health("mail", "mail", "mail", notifications.sender, notifications.sender !== null),
    recentGivenUp: givenUp.map((row) => ({
      id: row.id,
      via: row.channel === "mail" ? "mail" : row.recipient,
      recipient: row.channel === "mail" ? row.recipient : "",
      subject: row.subject,
      attempts: row.attempts,
      lastError: row.lastError,
      lastAttemptAt: row.lastAttemptAt,
      createdAt: row.createdAt,
    })),
  };
}
