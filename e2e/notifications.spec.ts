import { type Browser, expect, type Page, test } from "@playwright/test";

import type { ChatPostRecord } from "../sandbox/control/client";
import { SANDBOX_TEAMS_CHANNEL } from "../sandbox/contract";
import { CONSOLE_ORIGIN } from "./support/env";
import { fileRequestForNoah } from "./support/request-form";
import { sandbox } from "./support/sandbox";
import { signIn } from "./support/sign-in";
import { resumeSignIn, storedSessionPage } from "./support/stored-sessions";

const DATA_SCIENTIST = "AzureML Data Scientist";
const NOAH = "Noah No-Role";
/** Noah No-Role's fixed object id (sandbox/tenant/personas.ts). */
const NOAH_OBJECT_ID = "c0ffee00-0000-4000-8000-000000000005";

test("an admin opens Notifications from the navigation and sees mail's delivery; a security reader is refused it", async ({ browser }) => {
  const admin = await browser.newPage();
  await resumeSignIn(admin, "admin");
  await admin.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Notifications" }).click();
  await admin.waitForURL(/\/notifications$/);
  await expect(admin.getByRole("heading", { level: 1, name: "Notifications" })).toBeVisible();
  // The sandbox mails from the admin persona's mailbox and posts to the sandbox tenant's Teams and Slack webhooks.
  const mail = admin.locator('tr[data-channel="mail"]');
  await expect(mail).toContainText("Mail (Graph)");
  await expect(mail).toContainText("admin@contosoml.onmicrosoft.com");
  const teams = admin.locator('tr[data-channel="fraud-team"]');
  await expect(teams).toContainText("Teams (Workflows)");
  await expect(teams).toContainText("localhost");
  const slack = admin.locator('tr[data-channel="default"]');
  await expect(slack).toContainText("Slack");
  await expect(slack).toContainText("localhost");
  // A channel is shown by name, kind and host: never its URL, whose path and query are the webhook's secret.
  const html = await admin.content();
  expect(html).not.toContain(SANDBOX_TEAMS_CHANNEL.sig);
  expect(html).not.toContain("/services/");
  expect(html).not.toContain("/workflows/");
  await expect(admin.getByRole("heading", { level: 2, name: "Recently given up" })).toBeVisible();
  await admin.close();

  const reader = await browser.newPage();
  await resumeSignIn(reader, "security");
  await expect(reader.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Notifications" })).toHaveCount(0);
  await reader.goto("/notifications");
  await expect(reader.getByRole("heading", { level: 1, name: "You don't have access to this page" })).toBeVisible();
  await reader.close();
});

/** A request for Noah, filed by the team lead; its id. */
/** What a channel received about one request (other specs file requests too), accepted ones only. */
async function postsAbout(channel: string, requestId: string): Promise<ChatPostRecord[]> {
  return (await sandbox.chat.list({ channel })).filter(
    (post) => post.outcome === "accepted" && JSON.stringify(post.payload).includes(`/requests/${requestId}`),
  );
}

interface PostedCard {
  readonly title: string;
  readonly facts: Record<string, string>;
  readonly link: string;
}

/** An Adaptive Card post's title, facts and button, with Teams' markdown escapes undone. */
function cardOf(post: ChatPostRecord): PostedCard {
  const plain = (text: string) => text.replace(/\\([\\`*_{}[\]()#+\-.!<>:|~])/g, "$1");
  const payload = post.payload as { attachments: { content: { body: Record<string, unknown>[]; actions: { url: string }[] } }[] };
  const card = payload.attachments[0]!.content;
  const facts = (card.body.find((element) => element.type === "FactSet")?.facts ?? []) as { title: string; value: string }[];
  return {
    title: plain(String(card.body[0]?.text)),
    facts: Object.fromEntries(facts.map((fact) => [plain(fact.title), plain(fact.value)])),
    link: card.actions[0]!.url,
  };
}

async function fraudOwnerPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, "fraud-owner");
  return page;
}

test("a fraud request posts an Adaptive Card to the fraud-team Teams channel, and its denial follows there; an unrouted one goes to Slack", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const lead = await storedSessionPage(browser, "team-lead");
  // mlw-fraud-dev: the policy's "Fraud workspaces" route (mlw-fraud-*), which names fraud-team; no other spec requests there.
  const fraudId = await fileRequestForNoah(lead, {
    workspace: "mlw-fraud-dev",
    role: DATA_SCIENTIST,
    duration: "1 day",
    justification: "Noah tunes the fraud features in dev.",
  });
  await expect.poll(async () => (await postsAbout("fraud-team", fraudId)).length, { timeout: 30_000 }).toBe(1);
  const [arrival] = await postsAbout("fraud-team", fraudId);
  expect(arrival).toMatchObject({ kind: "teams", status: 202, reason: null });
  const card = cardOf(arrival!);
  expect(card.title).toBe(`Access request: ${DATA_SCIENTIST} on mlw-fraud-dev`);
  expect(card.facts["Role"]).toBe(DATA_SCIENTIST);
  expect(card.facts["For"]).toBe(NOAH);
  expect(card.facts["Object id"]).toBe(NOAH_OBJECT_ID);
  expect(card.facts["Workspace"]).toContain("mlw-fraud-dev");
  expect(card.link).toBe(`${CONSOLE_ORIGIN}/requests/${fraudId}`);
  // A routed request is not also posted to the default channel.
  expect(await postsAbout("ml-platform", fraudId)).toEqual([]);

  // The route's approver (a DS - Fraud owner) denies it: the outcome follows in the same channel.
  const owner = await fraudOwnerPage(browser);
  await owner.goto(`/requests/${fraudId}`);
  await owner.getByRole("button", { name: "Deny", exact: true }).click();
  const deny = owner.getByRole("dialog", { name: "Deny request" });
  await deny.getByLabel("Reason (required; the requester sees it)").fill("Dev access comes with the fraud onboarding.");
  await deny.getByRole("button", { name: "Deny request" }).click();
  await expect(deny.getByRole("status")).toHaveText("Request denied; the requester is told why.");
  await expect.poll(async () => (await postsAbout("fraud-team", fraudId)).length, { timeout: 30_000 }).toBe(2);
  const outcome = cardOf((await postsAbout("fraud-team", fraudId))[1]!);
  expect(outcome.title).toBe(`Denied: ${DATA_SCIENTIST} on mlw-fraud-dev for ${NOAH}`);
  expect(outcome.facts["Object id"]).toBe(NOAH_OBJECT_ID);
  expect(outcome.link).toBe(`${CONSOLE_ORIGIN}/requests/${fraudId}`);

  // A request no route matches goes to the channel default: the sandbox's Slack channel ml-platform, as Block Kit.
  const otherId = await fileRequestForNoah(lead, {
    workspace: "mlw-experiments-dev",
    role: DATA_SCIENTIST,
    duration: "1 day",
    justification: "Noah tries a new feature store in the experiments workspace.",
  });
  await expect.poll(async () => (await postsAbout("ml-platform", otherId)).length, { timeout: 30_000 }).toBe(1);
  const [slackPost] = await postsAbout("ml-platform", otherId);
  expect(slackPost).toMatchObject({ kind: "slack", status: 200, reason: null });
  const text = JSON.stringify(slackPost!.payload);
  expect(text).toContain("mlw-experiments-dev");
  expect(text).toContain(NOAH_OBJECT_ID);
  expect(await postsAbout("fraud-team", otherId)).toEqual([]);
});
