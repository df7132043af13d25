/**
 * The sandbox's chat webhooks answer as Teams Workflows and Slack do (sandbox/chat/receivers.ts), record every post,
 * and the control API lists, clears and marks them. (That the console's own posts are accepted is tested from the
 * console's side: lib/notifications/sandbox-channels.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { SANDBOX_SLACK_CHANNEL, SANDBOX_TEAMS_CHANNEL, WORKFLOWS_TRIGGER_QUERY } from "../contract";
import { type ControlTransport, type SandboxControl, sandboxControl } from "../control/client";
import { call, postJson, tempDataDir } from "../entra/test-support";
import { type RunningSandbox, startSandbox } from "../server";

let sandbox: RunningSandbox;
let control: SandboxControl;

const TEAMS = `${SANDBOX_TEAMS_CHANNEL.path}?${WORKFLOWS_TRIGGER_QUERY}&sig=${SANDBOX_TEAMS_CHANNEL.sig}`;
const SLACK = SANDBOX_SLACK_CHANNEL.path;

/** A message as the console's Teams renderer makes it (lib/notifications/teams-card.ts). */
const teamsMessage = {
  type: "message",
  attachments: [
    {
      contentType: "application/vnd.microsoft.card.adaptive",
      contentUrl: null,
      content: {
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        version: "1.2",
        body: [
          { type: "TextBlock", text: "Access request on mlw-fraud-prod", size: "Medium", weight: "Bolder", wrap: true },
          { type: "FactSet", facts: [{ title: "Workspace", value: "mlw-fraud-prod" }] },
          { type: "TextBlock", text: "Model review <b>this week</b>", wrap: true },
        ],
        actions: [{ type: "Action.OpenUrl", title: "Open the request", url: "http://localhost:3000/requests/42" }],
      },
    },
  ],
};
/** And as its Slack renderer makes it (lib/notifications/slack-blocks.ts). */
const slackMessage = {
  text: "Access request on mlw-fraud-prod",
  blocks: [
    { type: "header", text: { type: "plain_text", text: "Access request on mlw-fraud-prod", emoji: false } },
    { type: "section", fields: [{ type: "mrkdwn", text: "*Workspace*\nmlw-fraud-prod" }] },
    { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open the request" }, url: "http://localhost:3000/requests/42" }] },
  ],
};

const card = (version: string) => ({
  type: "message",
  attachments: [
    { contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard", version, body: [{ type: "TextBlock", text: "Hi" }] } },
  ],
});

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  const transport: ControlTransport = async ({ method, url, body, headers }) => {
    const { pathname, search } = new URL(url);
    const response = await call(sandbox, `${pathname}${search}`, {
      method,
      body,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    });
    return { status: response.status, body: response.text };
  };
  control = sandboxControl(sandbox.origin, { token: sandbox.controlToken, transport });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await control.reset();
  await control.chat.clear();
});

describe("the Teams Workflows webhook", () => {
  it("answers 202 with an empty body and posts an Adaptive Card to fraud-team", async () => {
    const response = await postJson(sandbox, TEAMS, teamsMessage);
    expect(response.status).toBe(202);
    expect(response.text).toBe("");
    expect(response.header("x-ms-workflow-run-id")).toMatch(/^[0-9A-F]{32}$/);
    const [post] = await control.chat.list({ channel: "fraud-team" });
    expect(post).toMatchObject({ channel: "fraud-team", kind: "teams", status: 202, outcome: "accepted", reason: null });
    expect(JSON.stringify(post?.payload)).toContain("mlw-fraud-prod");
  });

  it("checks the trigger URL's signature as Logic Apps does: none or a wrong one is 401, and nothing is posted", async () => {
    const missing = await postJson(sandbox, `${SANDBOX_TEAMS_CHANNEL.path}?${WORKFLOWS_TRIGGER_QUERY}`, card("1.2"));
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({ error: { code: "DirectApiAuthorizationRequired", message: expect.any(String) as string } });
    const wrong = await postJson(sandbox, `${SANDBOX_TEAMS_CHANNEL.path}?${WORKFLOWS_TRIGGER_QUERY}&sig=${SANDBOX_TEAMS_CHANNEL.sig}x`, card("1.2"));
    expect(wrong.status).toBe(401);
    expect(wrong.json<{ error: { code: string } }>().error.code).toBe("DirectApiInvalidAuthorizationSignature");
    // The signature is never echoed.
    expect(wrong.text).not.toContain(SANDBOX_TEAMS_CHANNEL.sig);
    const posts = await control.chat.list();
    expect(posts.map((post) => [post.status, post.outcome])).toEqual([
      [401, "rejected"],
      [401, "rejected"],
    ]);
    // Nor is it kept in the journal.
    const journal = await control.journal.list({ system: "chat" });
    expect(journal.entries.map((entry) => entry.query).join(" ")).not.toContain(SANDBOX_TEAMS_CHANNEL.sig);
  });

  it("needs the api-version, and knows no other workflow", async () => {
    const noVersion = await postJson(sandbox, `${SANDBOX_TEAMS_CHANNEL.path}?sig=${SANDBOX_TEAMS_CHANNEL.sig}`, card("1.2"));
    expect(noVersion.status).toBe(400);
    expect(noVersion.json<{ error: { code: string } }>().error.code).toBe("MissingApiVersionParameter");
    const other = await postJson(sandbox, `/workflows/0000/triggers/manual/paths/invoke?${WORKFLOWS_TRIGGER_QUERY}&sig=x`, card("1.2"));
    expect(other.status).toBe(404);
    expect(other.json<{ error: { code: string } }>().error.code).toBe("WorkflowNotFound");
  });

  it("accepts what the flow cannot post (202) but records it rejected with the reason the run fails with", async () => {
    const legacy = {
      "@type": "MessageCard",
      "@context": "https://schema.org/extensions",
      summary: "Access request",
      sections: [{ activityTitle: "Access request" }],
    };
    const cases: [unknown, RegExp][] = [
      [legacy, /legacy MessageCard/],
      [{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.teams.card.o365connector", content: {} }] }, /legacy MessageCard/],
      [card("1.6"), /Adaptive Card 1\.6; Teams renders versions up to 1\.5/],
      [{ ...card("1.2"), type: "event" }, /not "message"/],
      [{ type: "message", attachments: [] }, /no attachments/],
      [
        { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "AdaptiveCard" } }] },
        /no Adaptive Card version/,
      ],
      [{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: { type: "Hero" } }] }, /not an AdaptiveCard/],
      [{ ...card("1.2"), padding: "x".repeat(29 * 1024) }, /28 KB/],
    ];
    for (const [body] of cases) expect((await postJson(sandbox, TEAMS, body)).status).toBe(202);
    expect((await call(sandbox, TEAMS, { method: "POST", body: "not json" })).status).toBe(202);
    const posts = await control.chat.list({ channel: "fraud-team" });
    expect(posts).toHaveLength(cases.length + 1);
    cases.forEach(([, reason], index) => {
      expect(posts[index]?.outcome).toBe("rejected");
      expect(posts[index]?.reason).toMatch(reason);
    });
    expect(posts.at(-1)).toMatchObject({ outcome: "rejected", payload: "not json" });
    expect(posts.at(-1)?.reason).toMatch(/not JSON/);
    // 1.5 is the newest Teams renders.
    await postJson(sandbox, TEAMS, card("1.5"));
    expect((await control.chat.list()).at(-1)?.outcome).toBe("accepted");
  });

  it("answers 404 once the workflow is removed, and may be throttled by a fault rule with Retry-After", async () => {
    await control.chat.setChannelState("fraud-team", "removed");
    expect((await postJson(sandbox, TEAMS, card("1.2"))).status).toBe(404);
    await control.chat.setChannelState("fraud-team", "active");
    await control.faults.add({ method: "POST", path: "/workflows/**", status: 429, retryAfterSeconds: 7, times: 1 });
    const throttled = await postJson(sandbox, TEAMS, card("1.2"));
    expect(throttled.status).toBe(429);
    expect(throttled.header("retry-after")).toBe("7");
    expect((await postJson(sandbox, TEAMS, card("1.2"))).status).toBe(202);
    await expect(control.chat.setChannelState("fraud-team", "archived")).rejects.toThrow(/400/);
  });
});

describe("the Slack incoming webhook", () => {
  it("answers 200 ok (text/plain) and posts a Block Kit message to ml-platform", async () => {
    const response = await postJson(sandbox, SLACK, slackMessage);
    expect([response.status, response.text, response.header("content-type")]).toEqual([200, "ok", "text/plain; charset=utf-8"]);
    expect(await control.chat.list({ channel: "ml-platform" })).toEqual([
      expect.objectContaining({ channel: "ml-platform", kind: "slack", status: 200, outcome: "accepted", reason: null }),
    ]);
    // Slack's legacy form encoding, with the JSON in `payload`.
    const form = await call(sandbox, SLACK, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ payload: JSON.stringify({ text: "plain" }) }).toString(),
    });
    expect([form.status, form.text]).toEqual([200, "ok"]);
  });

  it("refuses with Slack's own codes", async () => {
    const answers = async (body: string) => {
      const response = await call(sandbox, SLACK, { method: "POST", headers: { "content-type": "application/json" }, body });
      return [response.status, response.text];
    };
    expect(await answers("{not json")).toEqual([400, "invalid_payload"]);
    expect(await answers("[1]")).toEqual([400, "invalid_payload"]);
    expect(await answers(JSON.stringify({ text: "   " }))).toEqual([400, "no_text"]);
    expect(await answers(JSON.stringify({ username: "x" }))).toEqual([400, "no_text"]);
    const header = { type: "header", text: { type: "plain_text", text: "x".repeat(151) } };
    expect(await answers(JSON.stringify({ text: "t", blocks: [header] }))).toEqual([400, "invalid_blocks"]);
    expect(await answers(JSON.stringify({ text: "t", blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) }))).toEqual([400, "invalid_blocks"]);
    expect(await answers(JSON.stringify({ text: "t", blocks: [{ type: "section" }] }))).toEqual([400, "invalid_blocks"]);
    const posts = await control.chat.list();
    expect(posts.map((post) => post.reason)).toEqual([
      "invalid_payload",
      "invalid_payload",
      "no_text",
      "no_text",
      "invalid_blocks",
      "invalid_blocks",
      "invalid_blocks",
    ]);
    expect(posts.every((post) => post.outcome === "rejected")).toBe(true);

    const wrongToken = await postJson(sandbox, `${SLACK}x`, { text: "t" });
    expect([wrongToken.status, wrongToken.text]).toEqual([403, "invalid_token"]);
    const unknown = await postJson(sandbox, "/services/T1/B1/abc", { text: "t" });
    expect([unknown.status, unknown.text]).toEqual([404, "no_service"]);
  });

  it("answers for channels the control API marks: archived 410, prohibited 403, removed 404", async () => {
    const post = async () => {
      const response = await postJson(sandbox, SLACK, { text: "hello" });
      return [response.status, response.text];
    };
    expect((await control.chat.setChannelState("ml-platform", "archived")).state).toBe("archived");
    expect(await post()).toEqual([410, "channel_is_archived"]);
    await control.chat.setChannelState("ml-platform", "prohibited");
    expect(await post()).toEqual([403, "action_prohibited"]);
    await control.chat.setChannelState("ml-platform", "removed");
    expect(await post()).toEqual([404, "no_service"]);
    await control.chat.setChannelState("ml-platform", "active");
    expect(await post()).toEqual([200, "ok"]);
    // A reset restores the seeded state.
    await control.chat.setChannelState("ml-platform", "archived");
    await control.reset();
    expect(await post()).toEqual([200, "ok"]);
  });
});

describe("the control API", () => {
  it("lists the channels with their URLs, lists and clears the posts, and shows them as HTML with everything escaped", async () => {
    const channels = await control.chat.channels();
    expect(channels).toEqual([
      { name: "fraud-team", kind: "teams", state: "active", url: `${sandbox.origin}${TEAMS}` },
      { name: "ml-platform", kind: "slack", state: "active", url: `${sandbox.origin}${SLACK}` },
    ]);
    await postJson(sandbox, TEAMS, teamsMessage);
    await postJson(sandbox, SLACK, {
      text: "<script>alert(1)</script>",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "<img src=x onerror=alert(1)>" } }],
    });
    const html = await call(sandbox, "/_sandbox/chat.html");
    expect(html.status).toBe(200);
    expect(html.text).toContain("<p>Workspace: mlw-fraud-prod</p>");
    expect(html.text).toContain("<p>[Open the request] http://localhost:3000/requests/42</p>");
    expect(html.text).toContain("<p>&#60;img src=x onerror=alert(1)&#62;</p>");
    expect(html.text).toContain("<p>Model review &#60;b&#62;this week&#60;/b&#62;</p>");
    expect(html.text).not.toContain("<b>");
    expect(html.text).not.toContain("<script>alert");
    expect(html.text).not.toContain("<img src=x");
    expect((await call(sandbox, "/")).text).toContain('href="/_sandbox/chat.html"');

    expect(await control.chat.list()).toHaveLength(2);
    expect(await control.chat.list({ channel: "ml-platform" })).toHaveLength(1);
    await control.chat.clear();
    expect(await control.chat.list()).toEqual([]);
    await expect(control.chat.setChannelState("nope", "active")).rejects.toThrow(/404/);
  });

  it("keeps the posts and channel states across a restart from state.json", async () => {
    await postJson(sandbox, SLACK, { text: "kept" });
    await control.chat.setChannelState("ml-platform", "archived");
    await control.persist();
    const second = await startSandbox({ port: 0, dataDir: sandbox.dataDir, persist: true, log: () => {} });
    try {
      expect(second.tenant.chatPosts.map((post) => post.payload)).toEqual([{ text: "kept" }]);
      expect(second.tenant.chatChannels.get("ml-platform")?.state).toBe("archived");
    } finally {
      await second.close();
    }
  });
});
