import "server-only";

import { z } from "zod";

/**
 * One notification, as structured facts rather than text, so that each channel can render it in its own format:
 * a plain-text mail, a Teams Adaptive Card, a Slack Block Kit message. Everything here is text, never markup; each
 * renderer escapes it for its format.
 */
export interface NotificationMessage {
  /** What happened, in one line: a mail's subject, a card's title. */
  readonly title: string;
  /** A sentence or two saying what happened and what is asked of the reader. */
  readonly summary: string;
  /** Verified facts (from Graph, ARM or the database), shown as name and value. */
  readonly facts: readonly NotificationFact[];
  /** Words a person wrote (a justification, a denial's comment): shown quoted and attributed, never as the console's words. */
  readonly quote?: { readonly by: string; readonly text: string } | undefined;
  /** The console page where the reader acts; approval always happens there, as the approver. */
  readonly link?: { readonly label: string; readonly url: string } | undefined;
}

export interface NotificationFact {
  readonly name: string;
  readonly value: string;
}

/**
 * Who hears of a message: people by mail (user object ids or UPNs, duplicates sent once) and named chat channels
 * (GATEHOUSE_NOTIFICATION_CHANNELS; one post per channel).
 */
export interface NotificationAudience {
  readonly people: readonly string[];
  readonly channels: readonly string[];
}

/** The message as a plain-text mail body: summary, facts, the quoted words, then the link. */
export function renderPlainText(message: NotificationMessage): string {
  const lines = [message.summary, ""];
  for (const fact of message.facts) lines.push(`${fact.name}: ${fact.value}`);
  if (message.quote) lines.push("", `${message.quote.by} wrote: ${message.quote.text}`);
  if (message.link) lines.push("", `${message.link.label}: ${message.link.url}`);
  return lines.join("\n");
}

/**
 * A message as stored in the outbox and checked before it is queued: bounded, so one message cannot swell the table
 * or a card (each renderer cuts further to its format's limits).
 */
export const notificationMessageSchema = z.strictObject({
  title: z.string().trim().min(1).max(255),
  summary: z.string().trim().min(1).max(4_000),
  facts: z.array(z.strictObject({ name: z.string().trim().min(1).max(100), value: z.string().max(2_000) })).max(50),
  quote: z.strictObject({ by: z.string().trim().min(1).max(200), text: z.string().max(4_000) }).optional(),
  link: z.strictObject({ label: z.string().trim().min(1).max(100), url: z.url({ protocol: /^https?$/ }).max(3_000) }).optional(),
});
