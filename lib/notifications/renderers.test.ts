/**
 * The chat renderers: the Teams Workflows body and its Adaptive Card checked against the official Adaptive Card
 * schema of the version the card declares (test/fixtures, from microsoft/AdaptiveCards), the Slack body against the
 * Block Kit schema in test/support/block-kit.ts; what a requester wrote shows as typed and forges nothing in either.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { adaptiveCardValidator } from "@/test/support/adaptive-card-schema";
import { slackWebhookMessage } from "@/test/support/block-kit";
import type { NotificationMessage } from "./message";
import { escapeSlackText, renderSlackMessage, SLACK_LIMITS } from "./slack-blocks";
import { ADAPTIVE_CARD_VERSION, escapeTeamsText, renderAdaptiveCard, renderTeamsMessage } from "./teams-card";

const validateCard = adaptiveCardValidator(ADAPTIVE_CARD_VERSION);

/** What a requester might write to forge mentions, links and markup in a chat message. */
const HOSTILE =
  "<!channel> [click](https://evil.example) **bold** @everyone <at>Lee</at> _it_ ~gone~ `code` <https://evil.example|Approve> &amp; # Heading\n- item";

const message: NotificationMessage = {
  title: "Access request: Owner on mlw-prod",
  summary: "Lee Lead asks for Owner on mlw-prod for Data Scientists for 7 days.",
  facts: [
    { name: "For", value: "Data Scientists (group, object id 2b0f…)" },
    { name: "Workspace", value: "mlw-prod" },
    { name: "Ticket", value: HOSTILE },
  ],
  quote: { by: "Why (the requester's words)", text: HOSTILE },
  link: { label: "Review in Gatehouse", url: "https://gatehouse.contoso.com/requests/42" },
};

/** Every text a Teams client renders as Markdown. */
function teamsTexts(card: Record<string, unknown>): string[] {
  const body = card.body as { type: string; text?: string; facts?: { title: string; value: string }[] }[];
  return body.flatMap((element) => (element.type === "FactSet" ? element.facts!.flatMap((fact) => [fact.title, fact.value]) : [element.text!]));
}

/** What a CommonMark renderer shows for an escaped text: the backslash escapes resolved, the zero-width spaces invisible. */
function shownByTeams(text: string): string {
  return text
    .replace(/\\([!-/:-@[-`{-~])/g, "$1")
    .replace(/\n\n/g, "\n")
    .replace(/\u200B/g, "");
}

function shownBySlack(text: string): string {
  return text
    .replace(/\u200B/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

describe("Teams: Workflows webhook body with an Adaptive Card", () => {
  it("is a message with one Adaptive Card attachment that the official schema accepts", () => {
    const body = renderTeamsMessage(message);
    expect(body).toMatchObject({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null }] });
    const card = (body.attachments as { content: Record<string, unknown> }[])[0]!.content;
    expect(validateCard(card), JSON.stringify(validateCard.errors)).toBe(true);
    expect(card).toMatchObject({ type: "AdaptiveCard", version: "1.2", fallbackText: message.title });
    // The title, the summary, the facts, the attributed quote, and one button into the console; nothing else acts.
    expect((card.body as { type: string }[]).map((element) => element.type)).toEqual(["TextBlock", "TextBlock", "FactSet", "TextBlock", "TextBlock"]);
    expect(card.actions).toEqual([{ type: "Action.OpenUrl", title: "Review in Gatehouse", url: "https://gatehouse.contoso.com/requests/42" }]);
    expect(shownByTeams(teamsTexts(card)[8]!)).toBe("Why (the requester's words):");
  });

  it("shows requester text as typed: no link, emphasis, heading, list, tag or mention can be written with it", () => {
    const card = renderAdaptiveCard(message);
    const texts = teamsTexts(card);
    for (const text of texts) {
      // Every ASCII punctuation character is escaped; so no `[..](..)`, `**`, `<at>`, `#`, `- ` reaches the renderer raw.
      expect(text.replace(/\\[!-/:-@[-`{-~]/g, "")).not.toMatch(/[!-/:-@[-`{-~]/);
      expect(text).not.toContain("https://");
    }
    const quote = texts.at(-1)!;
    expect(shownByTeams(quote)).toBe(HOSTILE);
    expect(card).not.toHaveProperty("msteams");
  });

  it("escapes any text so that it reads back as typed, with nothing unescaped left", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        const escaped = escapeTeamsText(text);
        expect(escaped.replace(/\\[!-/:-@[-`{-~]/g, "")).not.toMatch(/[!-/:-@[-`{-~]/);
        expect(shownByTeams(escaped)).toBe(text.replace(/\r\n?/g, "\n"));
      }),
    );
  });

  it("stays schema-valid with no facts, quote or link, and cuts very long text", () => {
    const bare = renderAdaptiveCard({ title: "T".repeat(5_000), summary: "S", facts: [] });
    expect(validateCard(bare), JSON.stringify(validateCard.errors)).toBe(true);
    expect(bare).not.toHaveProperty("actions");
    expect((bare.body as unknown[]).length).toBe(2);
    expect(teamsTexts(bare)[0]!.length).toBeLessThanOrEqual(2_000);
    expect(teamsTexts(bare)[0]!.endsWith("…")).toBe(true);
    expect(
      JSON.stringify(renderTeamsMessage({ ...message, facts: Array.from({ length: 50 }, () => ({ name: "N", value: "&".repeat(2_000) })) })).length,
    ).toBeLessThan(28_000 * 2);
  });
});

describe("Slack: incoming webhook body with Block Kit", () => {
  it("is text plus header, summary, fields, the quote and a button, valid against the Block Kit schema", () => {
    const body = renderSlackMessage(message);
    expect(slackWebhookMessage.safeParse(body).error).toBeUndefined();
    expect(body.blocks.map((block) => block.type)).toEqual(["header", "section", "section", "divider", "section", "actions"]);
    expect(body.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: message.title, emoji: false } });
    expect(body.blocks.at(-1)).toEqual({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Review in Gatehouse", emoji: false }, url: "https://gatehouse.contoso.com/requests/42" }],
    });
  });

  it("escapes &, < and > so no mention, channel ping or link can be forged, and breaks up mrkdwn markers", () => {
    const body = renderSlackMessage(message);
    const quote = (body.blocks[4] as { text: { text: string } }).text.text;
    expect(quote.startsWith("&gt; Why (the requester's words):\n&gt; ")).toBe(true);
    const mrkdwnTexts = [body.text, quote, ...(body.blocks[2] as { fields: { text: string }[] }).fields.map((field) => field.text)];
    for (const text of mrkdwnTexts) {
      expect(text).not.toMatch(/[<>]/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
      // No two-character pairing markers: each is preceded by a zero-width space.
      expect(text).not.toMatch(/(^|[^\u200B])[_~`]/);
      expect(text).not.toContain("https://");
    }
    expect(quote).toContain("&lt;!channel&gt;");
    expect(quote).toContain("&lt;https:\u200B//evil.example|Approve&gt;");
    expect(
      shownBySlack(
        quote
          .split("\n")
          .slice(1)
          .map((line) => line.slice("&gt; ".length))
          .join("\n"),
      ),
    ).toBe(HOSTILE.replace(/:\/\//g, ":\u200B//").replace(/\u200B/g, ""));
  });

  it("any text escapes to entities and reads back as typed", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        const escaped = escapeSlackText(text);
        expect(escaped).not.toMatch(/[<>]/);
        expect(escaped).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(escaped).not.toMatch(/(^|\n)&gt;/);
        expect(shownBySlack(escaped)).toBe(text);
      }),
    );
  });

  it("keeps to Block Kit's limits by cutting with … (never splitting an entity), however long the message", () => {
    const long: NotificationMessage = {
      title: "T".repeat(500),
      summary: "<&>".repeat(3_000),
      facts: Array.from({ length: 45 }, (_, index) => ({ name: `Fact ${index} ${"n".repeat(90)}`, value: "&".repeat(2_000) })),
      quote: { by: "Requester", text: "line\n".repeat(2_000) },
      link: { label: "L".repeat(100), url: "https://gatehouse.contoso.com/requests/42" },
    };
    const body = renderSlackMessage(long);
    expect(slackWebhookMessage.safeParse(body).error).toBeUndefined();
    const header = (body.blocks[0] as { text: { text: string } }).text.text;
    expect(header).toHaveLength(SLACK_LIMITS.headerText);
    expect(header.endsWith("…")).toBe(true);
    const summary = (body.blocks[1] as { text: { text: string } }).text.text;
    expect(summary.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(summary).toMatch(/^(&lt;&amp;&gt;)+(&lt;|&lt;&amp;)?…$/);
    // 30 facts shown in sections of ten, then a line saying how many more.
    const fieldSections = body.blocks.filter((block) => block.type === "section" && "fields" in block) as { fields: { text: string }[] }[];
    expect(fieldSections.map((block) => block.fields.length)).toEqual([10, 10, 10]);
    expect(body.blocks.find((block) => block.type === "context")).toEqual({
      type: "context",
      elements: [{ type: "plain_text", text: "… and 15 more", emoji: false }],
    });
    for (const field of fieldSections.flatMap((block) => block.fields)) expect(field.text).toMatch(/&amp;…$/);
    const button = (body.blocks.at(-1) as { elements: { text: { text: string } }[] }).elements[0]!.text.text;
    expect(button).toHaveLength(SLACK_LIMITS.buttonText);
  });
});
