import { expect, type Page, test } from "@playwright/test";

import { chooseUser, chooseWorkspace } from "./support/request-form";
import { storedSessionPage } from "./support/stored-sessions";

/**
 * The permission delta where people decide: the request form ("what you are asking for") and the approval dialog
 * ("what you are about to give"). Contributor is requestable in the e2e console (playwright.config.ts allows it and
 * e2e/support/request-policy.json lists it).
 */
const CHURN = "mlw-churn-prod";
const FRAUD = "mlw-fraud-prod";
const TEAM_LEAD = "Taylor Team-Lead";
const UUID = /\/requests\/([0-9a-f-]{36})$/;
const COMPUTE_WRITE_LINE = /^\+ (at least )?\d+ operations, including Microsoft\.MachineLearningServices\/workspaces\/computes\/write$/;

async function openNewRequest(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Requests" }).click();
  await page.getByRole("link", { name: "New request" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New access request" })).toBeVisible();
}

test("a Contributor request for the team lead shows what it adds, in the form and in the approval dialog", async ({ browser }) => {
  test.setTimeout(120_000);
  const lead = await storedSessionPage(browser, "team-lead");
  await openNewRequest(lead);
  await expect(lead.getByText("Choose a workspace, a role and who it is for to see what the role would add to their access.")).toBeVisible();
  await chooseWorkspace(lead, CHURN);
  await lead.getByRole("radio", { name: "Contributor", exact: true }).check();
  await lead.getByRole("radio", { name: /^Myself/ }).check();

  const asked = lead.getByRole("region", { name: "What you are asking for" });
  await expect(asked.getByTestId("permission-delta-summary")).toHaveText(COMPUTE_WRITE_LINE);
  await expect(asked.getByRole("list", { name: "Needs care" })).toContainText("Allows every action (*)");
  await expect(asked.getByRole("list", { name: "Control plane" })).toContainText("create and change compute");
  // The raw operations are one click away.
  const raw = asked.getByRole("list", { name: "Operations" });
  await expect(raw).toBeHidden();
  await asked.getByText(/^Show the \d+ operations$/).click();
  await expect(raw).toContainText("Microsoft.MachineLearningServices/workspaces/computes/write");

  // Changing the role asks again.
  await lead.getByRole("radio", { name: "Reader", exact: true }).check();
  await expect(asked.getByTestId("permission-delta-summary")).not.toHaveText(COMPUTE_WRITE_LINE);
  await lead.getByRole("radio", { name: "Contributor", exact: true }).check();
  await expect(asked.getByTestId("permission-delta-summary")).toHaveText(COMPUTE_WRITE_LINE);

  await lead.getByLabel("Justification").fill("Capacity planning for the churn retraining this week.");
  await lead.getByRole("radio", { name: "1 day", exact: true }).check();
  await lead.getByRole("button", { name: "Send request" }).click();
  await lead.waitForURL(UUID);
  const requestId = UUID.exec(new URL(lead.url()).pathname)![1]!;
  await lead.context().close();

  // The approver sees what approving would give, read as them; then denies, leaving nothing pending behind.
  const admin = await storedSessionPage(browser, "admin");
  await admin.goto(`/requests/${requestId}`);
  await admin.getByRole("button", { name: "Approve", exact: true }).click();
  const approve = admin.getByRole("dialog", { name: "Approve request" });
  const giving = approve.getByRole("region", { name: "What you are about to give" });
  await expect(giving.getByTestId("permission-delta-summary")).toHaveText(COMPUTE_WRITE_LINE);
  // Next to it: the earlier requests on the workspace for this identity or by this requester.
  await expect(approve.getByRole("region", { name: "Earlier requests on this workspace for this identity or by this requester" })).toBeVisible();
  await approve.getByRole("button", { name: "Cancel" }).click();
  await admin.getByRole("button", { name: "Deny", exact: true }).click();
  const deny = admin.getByRole("dialog", { name: "Deny request" });
  await deny.getByLabel("Reason (required; the requester sees it)").fill("Only checking the permission delta.");
  await deny.getByRole("button", { name: "Deny request" }).click();
  await expect(deny.getByRole("status")).toBeVisible();
  await admin.context().close();
});

test("a Data Scientist request for a member of DS - Fraud on mlw-fraud-prod says nothing new, and why", async ({ browser }) => {
  const admin = await storedSessionPage(browser, "admin");
  await openNewRequest(admin);
  await chooseWorkspace(admin, FRAUD);
  await admin.getByRole("radio", { name: "AzureML Data Scientist", exact: true }).check();
  await admin.getByRole("radio", { name: /^Someone else/ }).check();
  await chooseUser(admin, "Taylor", new RegExp(TEAM_LEAD));

  const asked = admin.getByRole("region", { name: "What you are asking for" });
  await expect(asked.getByTestId("permission-delta-summary")).toHaveText(
    /^Nothing new — already covered by AzureML Data Scientist .*AzureML Data Scientist through DS - Fraud on this workspace\.$/,
  );
  await expect(asked.getByText(/^Show the/)).toHaveCount(0);
  await admin.context().close();
});

test("the grant dialog shows what Contributor would give, for the chosen principal", async ({ browser }) => {
  const admin = await storedSessionPage(browser, "admin");
  await admin.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Workspaces" }).click();
  await admin.getByLabel("Search workspaces").fill(CHURN.replace(/^mlw-/, ""));
  await admin.getByRole("table").getByRole("link", { name: CHURN, exact: true }).click();
  await expect(admin.getByRole("heading", { level: 1, name: CHURN })).toBeVisible();
  await admin.getByRole("button", { name: "Grant access" }).click();
  const dialog = admin.getByRole("dialog", { name: `Grant access to ${CHURN}` });
  await dialog.getByRole("combobox", { name: "Users, groups or service principals" }).fill("Taylor");
  await dialog
    .getByRole("listbox")
    .getByRole("group", { name: "Users" })
    .getByRole("option", { name: new RegExp(TEAM_LEAD) })
    .click();
  await dialog.getByRole("radio", { name: /^Contributor/ }).check();
  const giving = dialog.getByRole("region", { name: "What you are about to give" });
  await expect(giving.getByTestId("permission-delta-summary")).toHaveText(COMPUTE_WRITE_LINE);
  await expect(giving).toContainText(`Contributor for ${TEAM_LEAD}`);
  // Nothing is granted: the dialog closes without a grant.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await admin.context().close();
});
