/**
 * Slack Block Kit, as far as Gatehouse uses it, as a zod schema: Slack publishes no JSON schema, so this one is written
 * from the reference, with its limits, and a message that breaks it is what Slack refuses with `invalid_blocks`.
 *  - blocks: https://api.slack.com/reference/block-kit/blocks (≤ 50 per message; header text plain_text ≤ 150;
 *    section text ≤ 3000, ≤ 10 fields each ≤ 2000; context ≤ 10 elements; actions ≤ 25 elements)
 *  - text objects: https://api.slack.com/reference/block-kit/composition-objects#text (type plain_text | mrkdwn,
 *    text ≥ 1 character; `emoji` only on plain_text)
 *  - button: https://api.slack.com/reference/block-kit/block-elements#button (text plain_text ≤ 75, url ≤ 3000)
 *  - incoming webhook body: https://api.slack.com/messaging/webhooks (`text`, the fallback, and `blocks`)
 * It lives in the sandbox so that both the sandbox's Slack receiver (sandbox/chat/receivers.ts) and the unit tests
 * (test/support/block-kit.ts) use the same limits; the sandbox imports nothing from test code.
 */
import { z } from "zod";

const plainText = (max: number) => z.strictObject({ type: z.literal("plain_text"), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const mrkdwn = (max: number) => z.strictObject({ type: z.literal("mrkdwn"), text: z.string().min(1).max(max), verbatim: z.boolean().optional() });

const header = z.strictObject({ type: z.literal("header"), text: plainText(150), block_id: z.string().max(255).optional() });
const section = z
  .strictObject({
    type: z.literal("section"),
    text: z.union([plainText(3000), mrkdwn(3000)]).optional(),
    fields: z
      .array(z.union([plainText(2000), mrkdwn(2000)]))
      .min(1)
      .max(10)
      .optional(),
    block_id: z.string().max(255).optional(),
  })
  .refine((block) => block.text !== undefined || block.fields !== undefined, { error: "a section needs text or fields" });
const divider = z.strictObject({ type: z.literal("divider"), block_id: z.string().max(255).optional() });
const context = z.strictObject({
  type: z.literal("context"),
  elements: z
    .array(z.union([plainText(3000), mrkdwn(3000)]))
    .min(1)
    .max(10),
});
const button = z.strictObject({
  type: z.literal("button"),
  text: plainText(75),
  url: z.url().max(3000).optional(),
  action_id: z.string().max(255).optional(),
  style: z.enum(["primary", "danger"]).optional(),
});
const actions = z.strictObject({ type: z.literal("actions"), elements: z.array(button).min(1).max(25) });

/** A message's `blocks`: what the sandbox's Slack receiver checks before it answers `invalid_blocks`. */
export const slackBlocks = z
  .array(z.union([header, section, divider, context, actions]))
  .min(1)
  .max(50);

/** What Gatehouse posts: the blocks and always a `text` fallback (for notifications and clients that show no blocks). */
export const slackWebhookMessage = z.strictObject({
  text: z.string().min(1).max(40_000),
  blocks: slackBlocks,
});
