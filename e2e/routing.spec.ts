import { type Browser, expect, type Page, test } from "@playwright/test";

import { PERSONAS, type PersonaKey } from "./support/personas";
import { fileRequestForNoah } from "./support/request-form";
import { sandbox } from "./support/sandbox";
import { buildServerActions, postServerAction } from "./support/server-actions";
import { SESSION_COOKIE, signIn } from "./support/sign-in";
import { storedSessionPage } from "./support/stored-sessions";

// Approver routing with the e2e policy (e2e/support/request-policy.json): requests on mlw-fraud-* go to the owners
// of DS - Fraud (the fraud-owner persona among them) with Console.Admin as the fallback; Reader on mlw-fraud-prod
// takes two steps, a DS - Fraud owner's business approval and then an admin's, who grants.
const WORKSPACE = "mlw-fraud-prod";
const DATA_SCIENTIST = "AzureML Data Scientist";
const READER = "Reader";
const TEAMMATE = "Noah No-Role";

/** Who the sandbox's mailbox says got a mail with this subject about this request (by persona; others as addresses). */
async function mailedAbout(requestId: string, subject: string): Promise<string[]> {
  const byAddress = new Map(Object.entries(PERSONAS).map(([key, persona]) => [persona.login.toLowerCase(), key as PersonaKey]));
  const mails = (await sandbox.outbox.list()).filter((mail) => mail.subject === subject && mail.body.includes(`/requests/${requestId}`));
  return [...new Set(mails.flatMap((mail) => mail.to.map((to) => byAddress.get(to.toLowerCase()) ?? to.toLowerCase())))].sort();
}

/**
 * DS - Fraud has two owners: the fraud-owner persona and the user the seed made its owner (not a persona). No other
 * persona — no admin, not the team lead — is among the recipients.
 */
function expectOnlyFraudOwners(recipients: readonly string[]): void {
  expect(recipients).toContain("fraud-owner");
  expect(recipients.filter((recipient) => recipient !== "fraud-owner" && recipient in PERSONAS)).toEqual([]);
  expect(recipients).toHaveLength(2);
}

async function fraudOwnerPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, "fraud-owner");
  return page;
}

test("a request on mlw-fraud-prod reaches the DS - Fraud owners: someone not routed is refused (audited), the owner approves and grants", async ({
  browser,
  request,
}) => {
  test.setTimeout(180_000);
  const admin = await storedSessionPage(browser, "admin");
  const requestId = await fileRequestForNoah(admin, {
    workspace: WORKSPACE,
    role: DATA_SCIENTIST,
    duration: "1 day",
    justification: "Noah reviews the fraud model's features this week.",
  });
  const whoDecides = admin.getByTestId("who-decides");
  await expect(whoDecides).toContainText("Owners of DS - Fraud");
  // Its arrival is mailed to the DS - Fraud owners, and to nobody else: not every admin, not the team lead.
  const arrival = `Access request: ${DATA_SCIENTIST} on ${WORKSPACE}`;
  await expect.poll(() => mailedAbout(requestId, arrival)).toContain("fraud-owner");
  expectOnlyFraudOwners(await mailedAbout(requestId, arrival));
  await expect(whoDecides).toContainText('route "Fraud workspaces"');
  await expect(whoDecides).toContainText("or a Console.Admin as fallback");

  // The team lead is a requester but owns nothing here: the request is not theirs to see, and an approval posted
  // straight to the action is refused, naming who can decide.
  const lead = await storedSessionPage(browser, "team-lead");
  await lead.goto(`/requests/${requestId}`);
  await expect(lead.getByRole("heading", { level: 1, name: `${DATA_SCIENTIST} on ${WORKSPACE}` })).toHaveCount(0);
  await lead.goto("/requests");
  await expect(lead.getByRole("table", { name: "Approval queue" })).toHaveCount(0);
  const cookie = (await lead.context().cookies()).find((candidate) => candidate.name === SESSION_COOKIE)!;
  const refused = await (
    await postServerAction(request, buildServerActions().get("approveAccessRequest")!, {
      cookie: `${SESSION_COOKIE}=${cookie.value}`,
      args: [{ requestId, comment: "" }],
    })
  ).text();
  expect(refused).toContain('"code":"forbidden"');
  expect(refused).toContain("You can't decide this request. Who can: Owners of DS - Fraud");

  // The refusal is in the trail, under the team lead's name.
  const reader = await storedSessionPage(browser, "security");
  await reader.goto(`/audit?action=authz.denied&actor=${encodeURIComponent("team-lead@contosoml.onmicrosoft.com")}`);
  await expect(
    reader
      .locator("tbody tr")
      .filter({ hasText: `request ${requestId}` })
      .filter({ hasText: "not among those who may decide this request: Owners of DS - Fraud" }),
  ).toHaveCount(1);

  // The DS - Fraud owner (a requester) sees it in their approval queue, marked with its route, and approves it: the
  // grant runs as them (they are Role Based Access Control Administrator on the workspace).
  const owner = await fraudOwnerPage(browser);
  await owner.goto("/requests");
  const row = owner.getByRole("table", { name: "Approval queue" }).locator(`tr[data-request-id="${requestId}"]`);
  await expect(row).toContainText(TEAMMATE);
  await expect(row.getByTestId("queue-route")).toContainText("Route: Fraud workspaces");
  await row.getByRole("button", { name: `Approve ${DATA_SCIENTIST} on ${WORKSPACE} for ${TEAMMATE}` }).click();
  const approve = owner.getByRole("dialog", { name: "Approve request" });
  await approve.getByRole("button", { name: "Approve and grant" }).click();
  await expect(approve.getByRole("status")).toContainText(`Granted ${DATA_SCIENTIST}`);
  await approve.getByRole("button", { name: "Close" }).click();
  await owner.goto(`/requests/${requestId}`);
  await expect(owner.getByTestId("request-status")).toContainText("Status: granted");
  await expect(owner.getByTestId("request-route")).toContainText("Approver route: Fraud workspaces");
});

test("two steps: a DS - Fraud owner approves for the business (nothing granted), then an admin approves and grants", async ({ browser }) => {
  test.setTimeout(180_000);
  const lead = await storedSessionPage(browser, "team-lead");
  const requestId = await fileRequestForNoah(lead, {
    workspace: WORKSPACE,
    role: READER,
    duration: "8 hours",
    justification: "Noah reads the fraud runs for the quarterly review.",
  });
  await expect(lead.getByTestId("who-decides")).toContainText("Waiting for the business approval by owners of DS - Fraud");
  await expect(lead.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);

  // An admin sees it, but the business approval is not theirs to give while the route names owners who can.
  const admin = await storedSessionPage(browser, "admin");
  await admin.goto(`/requests/${requestId}`);
  await expect(admin.getByTestId("who-decides")).toContainText("Waiting for the business approval");
  await expect(admin.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);

  const owner = await fraudOwnerPage(browser);
  await owner.goto(`/requests/${requestId}`);
  await owner.getByRole("button", { name: "Approve", exact: true }).click();
  const business = owner.getByRole("dialog", { name: "Approve request" });
  await business.getByLabel("Comment (optional)").fill("Fine for the review.");
  await business.getByRole("button", { name: "Approve and grant" }).click();
  await expect(business.getByRole("status")).toContainText("Your business approval is recorded; nothing is granted yet.");
  // Now the admins are told, and the owner who gave the business approval is not told again.
  const handedOn = `Business approval given: ${READER} on ${WORKSPACE}`;
  await expect.poll(() => mailedAbout(requestId, handedOn)).toContain("admin");
  expect(await mailedAbout(requestId, handedOn)).not.toContain("fraud-owner");
  expectOnlyFraudOwners(await mailedAbout(requestId, `Access request: ${READER} on ${WORKSPACE}`));
  await business.getByRole("button", { name: "Close" }).click();
  await owner.reload();
  await expect(owner.getByTestId("request-status")).toContainText("Status: pending");
  await expect(owner.getByTestId("who-decides")).toContainText("Business-approved by Frankie Fraud-Owner; waiting for a Console.Admin to grant it");
  await expect(owner.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);

  await admin.reload();
  await expect(admin.getByTestId("who-decides")).toContainText("Business-approved by Frankie Fraud-Owner");
  await admin.getByRole("button", { name: "Approve", exact: true }).click();
  const grant = admin.getByRole("dialog", { name: "Approve request" });
  await grant.getByRole("button", { name: "Approve and grant" }).click();
  await expect(grant.getByRole("status")).toContainText(`Granted ${READER}`);
  await grant.getByRole("button", { name: "Close" }).click();
  await admin.reload();
  await expect(admin.getByTestId("request-status")).toContainText("Status: granted");
  // Everyone told of it hears how it ended: the owner (told at arrival) and the admins (told of the business approval).
  const outcome = `Granted: ${READER} on ${WORKSPACE} for ${TEAMMATE}`;
  await expect.poll(() => mailedAbout(requestId, outcome)).toEqual(expect.arrayContaining(["admin", "fraud-owner"]));
});

test("the policy page shows the routes with DS - Fraud by name, to a requester", async ({ browser }) => {
  const lead = await storedSessionPage(browser, "team-lead");
  await lead.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Policy" }).click();
  await expect(lead.getByRole("heading", { level: 1, name: "Request policy" })).toBeVisible();
  const routes = lead.getByRole("table", { name: "Approver routes" });
  await expect(routes.locator('tr[data-route-id="fraud"]')).toContainText("Owners of DS - Fraud");
  await expect(routes.locator('tr[data-route-id="fraud-prod-read"]')).toContainText("Two steps");
  await expect(lead.getByRole("table", { name: "Requestable roles" })).toContainText(DATA_SCIENTIST);
});
