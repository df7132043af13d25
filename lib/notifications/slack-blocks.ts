import "server-only";

import { clip, clipEscaped, defangUrls } from "./chat-text";
import type { NotificationMessage } from "./message";

/**
 * Block Kit limits (https://api.slack.com/reference/block-kit/blocks, …/composition-objects#text,
 * …/block-elements#button): text beyond them gets the whole message refused (`invalid_blocks`), so text is cut with
 * "…" instead.
 */
export const SLACK_LIMITS = Object.freeze({
  blocks: 50,
  headerText: 150,
  sectionText: 3_000,
  fields: 10,
  fieldText: 2_000,
  buttonText: 75,
  buttonUrl: 3_000,
  /** The top-level `text`, the notification's fallback; Slack truncates beyond 40,000 and advises 4,000. */
  fallbackText: 4_000,
});
/** Facts shown (one section per ten, as fields); beyond, a line says how many more there were. */
const FACTS_MAX = 30;

/**
 * The body a Slack incoming webhook takes (https://api.slack.com/messaging/webhooks): `text` (the notification and
 * fallback) and `blocks`: a header, the summary, the facts as fields, the quoted words, a button to the console.
 */
export function renderSlackMessage(message: NotificationMessage): { text: string; blocks: Record<string, unknown>[] } {
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: plainText(message.title, SLACK_LIMITS.headerText), emoji: false } },
    { type: "section", text: { type: "mrkdwn", text: clipEscaped(message.summary, SLACK_LIMITS.sectionText, escapeSlackText) } },
  ];
  const facts = message.facts.slice(0, FACTS_MAX);
  for (let start = 0; start < facts.length; start += SLACK_LIMITS.fields) {
    blocks.push({
      type: "section",
      fields: facts.slice(start, start + SLACK_LIMITS.fields).map((fact) => ({
        type: "mrkdwn",
        // The name is bold by the console's own markup; both parts are escaped.
        text: `*${clipEscaped(fact.name, 200, escapeSlackText)}*\n${clipEscaped(fact.value, SLACK_LIMITS.fieldText - 210, escapeSlackText)}`,
      })),
    });
  }
  if (message.facts.length > FACTS_MAX) {
    blocks.push({ type: "context", elements: [{ type: "plain_text", text: `… and ${message.facts.length - FACTS_MAX} more`, emoji: false }] });
  }
  if (message.quote) {
    blocks.push(
      { type: "divider" },
      {
        type: "section",
        text: {
          type: "mrkdwn",
          // Slack's quote markup on each line, so the words read as quoted, not as the console's.
          text: clipEscaped(`${message.quote.by}:\n${message.quote.text}`, SLACK_LIMITS.sectionText, escapeSlackQuote),
        },
      },
    );
  }
  if (message.link && message.link.url.length <= SLACK_LIMITS.buttonUrl) {
    blocks.push({
      type: "actions",
      elements: [
        { type: "button", text: { type: "plain_text", text: plainText(message.link.label, SLACK_LIMITS.buttonText), emoji: false }, url: message.link.url },
      ],
    });
  }
  return {
    text: clipEscaped(`${message.title}: ${message.summary}`, SLACK_LIMITS.fallbackText, escapeSlackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  };
}

/**
 * Text for a `mrkdwn` object. `&`, `<` and `>` become entities, as Slack's formatting guide asks
 * (https://api.slack.com/reference/surfaces/formatting#escaping): with them goes every control sequence —
 * `<!channel>`, `<@U…>`, `<#C…>`, `<https://…|text>`. Slack's mrkdwn has no backslash escape, so a zero-width space
 * before `*`, `_`, `~` and `` ` `` keeps them from pairing into bold, italic, strike or code, and before a `>` that
 * starts a line from quoting it; `://` is broken up so no bare URL becomes a link. The text reads as typed.
 */
export function escapeSlackText(text: string): string {
  return (
    defangUrls(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/[*_~`]/g, (character) => `\u200B${character}`)
      // A line starting with `>` (sent as `&gt;`) would be Slack's quote markup.
      .replace(/(^|\n)&gt;/g, "$1\u200B&gt;")
  );
}

function escapeSlackQuote(text: string): string {
  return escapeSlackText(text)
    .split(/\r\n?|\n/)
    .map((line) => `&gt; ${line}`)
    .join("\n");
}

/** Text for a `plain_text` object: Slack renders it as is (no mrkdwn, no mentions); only URLs are broken up. */
function plainText(text: string, max: number): string {
  return clip(defangUrls(text), max);
}
