/** The Block Kit schema lives with the sandbox's Slack receiver (sandbox/chat/block-kit.ts), which refuses what breaks it. */
export { slackBlocks, slackWebhookMessage } from "@/sandbox/chat/block-kit";
