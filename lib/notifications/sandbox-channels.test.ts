/**
 * A sandbox console's default chat channels reach the sandbox tenant's webhooks (sandbox/chat/receivers.ts) through
 * the real delivery path: the Adaptive Card and the Block Kit message Gatehouse renders are accepted as posted, and a
 * refusal comes back as the webhook words it.
 */
import { afterEach, describe, expect, it } from "vitest";

import { testSandbox } from "@/test/support/sandbox-control";
import { exportToWorkers } from "@/test/support/test-env";
import type { NotificationMessage } from "./message";

// The console's defaults, not the test setup's single channel (test/support/worker-setup.ts).
exportToWorkers({ GATEHOUSE_NOTIFICATION_CHANNELS: "" });
const { getConfig } = await import("@/lib/config");
const { ChatDeliveryError, postToChannel } = await import("./post-chat");

const control = testSandbox();

const message: NotificationMessage = {
  title: "Access request: AzureML Data Scientist on mlw-fraud-prod",
  summary: "Avery Admin asks for AzureML Data Scientist for Noah No-Role.",
  facts: [
    { name: "Object id", value: "c0ffee00-0000-4000-8000-000000000005" },
    { name: "Workspace", value: "mlw-fraud-prod" },
  ],
  quote: { by: "Avery Admin", text: "Reviews the *fraud* model <this week>." },
  link: { label: "Open the request", url: "http://localhost:3000/requests/0c0a5e11-0000-4000-8000-0000000000aa" },
};

/** This file's posts: the shared sandbox serves other files too. */
async function postsWith(channel: string, marker: string) {
  return (await control.chat.list({ channel })).filter((post) => JSON.stringify(post.payload).includes(marker));
}

afterEach(async () => {
  await control.chat.setChannelState("ml-platform", "active");
});

describe("the sandbox's chat channels", () => {
  it("are the console's channels when none are configured", () => {
    const { channels, digestChannel } = getConfig().notifications;
    expect(Object.entries(channels).map(([name, channel]) => [name, channel.kind, channel.host])).toEqual([
      ["fraud-team", "teams", "localhost"],
      ["default", "slack", "localhost"],
    ]);
    expect(digestChannel).toBe("default");
  });

  it("accept the console's Adaptive Card (fraud-team) and Block Kit message (default → ml-platform)", async () => {
    // Letters and digits only: the cards escape markdown punctuation.
    const marker = `marker${Date.now()}`;
    await postToChannel("fraud-team", { ...message, summary: `${message.summary} ${marker}` });
    await postToChannel("default", { ...message, summary: `${message.summary} ${marker}` });
    const [card] = await postsWith("fraud-team", marker);
    expect(card).toMatchObject({ kind: "teams", status: 202, outcome: "accepted", reason: null });
    const [blocks] = await postsWith("ml-platform", marker);
    expect(blocks).toMatchObject({ kind: "slack", status: 200, outcome: "accepted", reason: null });
  });

  it("refuse as the webhook does, and the console reports it without retrying", async () => {
    await control.chat.setChannelState("ml-platform", "archived");
    const failure = await postToChannel("default", message).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ChatDeliveryError);
    expect((failure as InstanceType<typeof ChatDeliveryError>).message).toBe(
      "Slack channel default answered 410 (channel_is_archived): the channel is gone or archived",
    );
    expect((failure as InstanceType<typeof ChatDeliveryError>).retry).toBe(false);
  });
});
