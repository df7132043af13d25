import "server-only";

import { clip, defangUrls } from "./chat-text";
import type { NotificationMessage } from "./message";

/**
 * The Adaptive Card version the card declares. Teams renders Adaptive Cards up to 1.5 ("Teams is also limited to
 * version 1.5": https://learn.microsoft.com/microsoft-copilot-studio/guidance/adaptive-cards-overview), and its mobile
 * clients lag behind the desktop and web ones (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-reference);
 * the card uses only TextBlock, FactSet and Action.OpenUrl, all from 1.0, so it declares 1.2, which every Teams client
 * renders, rather than a version some client would replace with its fallback text. Checked against the official 1.2
 * schema (test/fixtures/adaptive-card-1.2.schema.json).
 */
export const ADAPTIVE_CARD_VERSION = "1.2";

/** Teams accepts a webhook message of at most 28 KB; these keep a card well below it whatever the requester wrote. */
const TEXT_MAX = 2_000;
const FACT_MAX = 500;
const FACTS_MAX = 30;

/**
 * The body a Teams Workflows webhook ("Post to a channel when a webhook request is received") takes: a message with
 * one Adaptive Card attachment (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
 * Office 365 connectors and their MessageCards are retired; Workflows accept Adaptive Cards only.
 */
export function renderTeamsMessage(message: NotificationMessage): Record<string, unknown> {
  return {
    type: "message",
    attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: renderAdaptiveCard(message) }],
  };
}

/**
 * The card: title, summary, the facts, the requester's words as their own attributed block, and a button to the
 * console page where the reader acts (approval always happens there, as the approver; the card carries no action).
 */
export function renderAdaptiveCard(message: NotificationMessage): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", text: teamsText(message.title, TEXT_MAX), size: "Medium", weight: "Bolder", wrap: true },
    { type: "TextBlock", text: teamsText(message.summary, TEXT_MAX), wrap: true },
  ];
  if (message.facts.length > 0) {
    body.push({
      type: "FactSet",
      facts: message.facts.slice(0, FACTS_MAX).map((fact) => ({ title: teamsText(fact.name, FACT_MAX), value: teamsText(fact.value, FACT_MAX) })),
    });
  }
  if (message.quote) {
    body.push(
      { type: "TextBlock", text: teamsText(`${message.quote.by}:`, FACT_MAX), isSubtle: true, wrap: true, separator: true },
      { type: "TextBlock", text: teamsText(message.quote.text, TEXT_MAX), wrap: true },
    );
  }
  return {
    type: "AdaptiveCard",
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    version: ADAPTIVE_CARD_VERSION,
    // What a client that cannot render the card (or a notification preview) shows: plain text, no Markdown.
    fallbackText: clip(message.title, 300),
    body,
    ...(message.link ? { actions: [{ type: "Action.OpenUrl", title: clip(message.link.label, 60), url: message.link.url }] } : {}),
  };
}

/**
 * Text for a TextBlock or a fact: Teams renders these as Markdown (bold, italic, lists, links). Every ASCII
 * punctuation character is backslash-escaped (CommonMark lets any be), so no emphasis, list, heading, link or
 * `<at>` tag can be written with it; `://` is broken up so no bare URL turns into a link; single line breaks are kept
 * as Markdown paragraph breaks. A mention needs the card's `msteams.entities`, which this card never has.
 */
export function escapeTeamsText(text: string): string {
  return defangUrls(text)
    .replace(/[!-/:-@[-`{-~]/g, (character) => `\\${character}`)
    .replace(/\r\n?|\n/g, "\n\n");
}

function teamsText(text: string, max: number): string {
  return escapeTeamsText(clip(text, max));
}
