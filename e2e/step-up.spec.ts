/**
 * Step-up on writes, both kinds. Azure-initiated: ARM answers the step-up persona's role-assignment writes with an MFA claims challenge until they
 * sign in again with MFA. The dialog where it happened offers "Sign in again to continue" (a popup), comes back with its choices,
 * and the same change is one click away; nothing changes in Azure before the MFA sign-in. Console-initiated: a
 * privileged grant needs the authentication context (c1 in the sandbox) in the admin's own token, which the console
 * asks Entra for with the same prompt, before anything reaches ARM.
 */
import { expect, type Locator, type Page, test } from "@playwright/test";

import { PERSONAS } from "./support/personas";
import { fileRequestForNoah, settledDelta } from "./support/request-form";
import { sandbox } from "./support/sandbox";
import { openSignInPopup, signIn, signInInPopup } from "./support/sign-in";
import { storedSessionPage } from "./support/stored-sessions";

const WORKSPACE = "mlw-churn-prod";
const GROUP = "Security Reviewers";
const DATA_SCIENTIST = "AzureML Data Scientist";
const STEP_UP_MESSAGE =
  "Azure needs you to sign in again, with multi-factor authentication, before Gatehouse can make this change for you. Nothing was changed: sign in again, then retry.";

test.describe.configure({ mode: "serial" });

async function openWorkspace(page: Page): Promise<void> {
  await page.goto("/workspaces");
  await page.getByRole("searchbox", { name: "Search workspaces" }).fill(WORKSPACE.replace(/^mlw-/, ""));
  await page.getByRole("table").getByRole("link", { name: WORKSPACE, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: WORKSPACE })).toBeVisible();
}

function groupRow(page: Page): Locator {
  return page
    .getByRole("table", { name: "Who has access" })
    .getByRole("row")
    .filter({ hasText: GROUP })
    .filter({ hasText: DATA_SCIENTIST })
    .filter({ hasText: "This workspace" });
}

const STEP_UP_ADMIN_ID = "c0ffee00-0000-4000-8000-000000000006";
const ADMIN_ID = "c0ffee00-0000-4000-8000-000000000001";

/** ARM writes the sandbox answered for a persona (the step-up persona by default) since `seq`, as `METHOD status`. */
async function armWritesSince(seq: number, callerObjectId = STEP_UP_ADMIN_ID): Promise<string[]> {
  const { entries } = await sandbox.journal.since(seq);
  return entries
    .filter((entry) => entry.system === "arm" && entry.method !== "GET" && entry.callerObjectId?.toLowerCase() === callerObjectId)
    .map((entry) => `${entry.method} ${entry.status}`);
}

/**
 * "Sign in again to continue" opens the sandbox's Entra page for the step-up sign-in in a popup: it says MFA is asked
 * for; signing in there counts as MFA. The console's page stays underneath, then loads again with the dialog's choices.
 */
async function completeMfaSignIn(page: Page, signInAgain: Locator, persona: "step-up-admin" | "admin" = "step-up-admin"): Promise<void> {
  const reloaded = page.waitForEvent("load", { timeout: 30_000 });
  const popup = await openSignInPopup(page, () => signInAgain.click());
  await expect(popup.locator("#step-up")).toContainText("multi-factor authentication");
  await signInInPopup(popup, persona);
  await reloaded;
}

test("a grant Azure challenges for MFA: sign in again from the dialog, come back to the same choices, retry, granted", async ({ page }) => {
  expect(await sandbox.armWriteMfa.list()).toContain(STEP_UP_ADMIN_ID);
  await signIn(page, "step-up-admin");
  await openWorkspace(page);
  await page.getByLabel("Search assignments").fill(GROUP);
  await expect(groupRow(page)).toHaveCount(0);
  const seq = await sandbox.journal.lastSeq();

  await page.getByRole("button", { name: "Grant access" }).click();
  const dialog = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  const input = dialog.getByRole("combobox", { name: "Users, groups or service principals" });
  await input.fill(GROUP);
  await dialog
    .getByRole("listbox")
    .getByRole("group", { name: "Groups" })
    .getByRole("option", { name: new RegExp(GROUP) })
    .click();
  await dialog.getByRole("radio", { name: new RegExp(`^${DATA_SCIENTIST}`) }).check();
  await dialog.getByLabel("Description (optional)").fill("e2e: step-up");
  // Once the preview is in (see settledDelta): else the grant waits behind it, within the time its result has.
  await expect(settledDelta(dialog)).toBeVisible({ timeout: 30_000 });
  await dialog.getByRole("button", { name: `Grant ${DATA_SCIENTIST}` }).click();

  const result = dialog.getByRole("list", { name: "Grant results" }).getByRole("listitem");
  await expect(result).toContainText("Failed");
  await expect(result).toContainText(STEP_UP_MESSAGE);
  await expect(dialog).not.toContainText(/expired|session has ended/i);
  // ARM refused the PUT with its challenge; the SDK asked again with the claims, which only the person can satisfy.
  expect(await armWritesSince(seq)).toEqual(["PUT 401"]);

  await completeMfaSignIn(page, dialog.getByRole("button", { name: "Sign in again to continue" }));

  const resumed = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await expect(resumed.getByRole("status").filter({ hasText: "You signed in again" })).toBeVisible();
  await expect(resumed.getByRole("list", { name: "Chosen" }).getByRole("listitem")).toContainText(GROUP);
  await expect(resumed.getByRole("radio", { name: new RegExp(`^${DATA_SCIENTIST}`) })).toBeChecked();
  await expect(resumed.getByLabel("Description (optional)")).toHaveValue("e2e: step-up");
  // Nothing was granted before the MFA sign-in.
  expect(await armWritesSince(seq)).toEqual(["PUT 401"]);

  await expect(settledDelta(resumed)).toBeVisible({ timeout: 30_000 });
  await resumed.getByRole("button", { name: `Grant ${DATA_SCIENTIST}` }).click();
  await expect(resumed.getByRole("list", { name: "Grant results" }).getByRole("listitem")).toContainText("Granted — may take up to 10 minutes to take effect");
  expect(await armWritesSince(seq)).toEqual(["PUT 401", "PUT 201"]);
  await resumed.getByRole("button", { name: "Done" }).click();
  await page.getByLabel("Search assignments").fill(GROUP);
  await expect(groupRow(page)).toHaveCount(1);
});

test("a removal Azure challenges for MFA: sign in again from the dialog, retry, removed", async ({ page }) => {
  // A new browser: the persona signs in with a password only again.
  await signIn(page, "step-up-admin");
  await openWorkspace(page);
  await page.getByLabel("Search assignments").fill(GROUP);
  await expect(groupRow(page)).toHaveCount(1);
  const seq = await sandbox.journal.lastSeq();

  await groupRow(page).getByRole("checkbox").check();
  await page.getByRole("button", { name: "Remove selected" }).click();
  await page.getByRole("dialog", { name: "Remove 1 role assignment?" }).getByRole("button", { name: "Remove 1 assignment" }).click();
  const results = page.getByRole("dialog", { name: "Removal results" });
  await expect(results.getByRole("listitem")).toContainText("Failed");
  await expect(results.getByRole("alert")).toContainText(STEP_UP_MESSAGE);
  expect(await armWritesSince(seq)).toEqual(["DELETE 401"]);

  await completeMfaSignIn(page, results.getByRole("button", { name: "Sign in again to continue" }));

  const confirm = page.getByRole("dialog", { name: "Remove 1 role assignment?" });
  await expect(confirm.getByRole("status").filter({ hasText: "You signed in again" })).toBeVisible();
  await expect(confirm.getByRole("list", { name: "Assignments to remove" }).getByRole("listitem")).toContainText(GROUP);
  expect(await armWritesSince(seq)).toEqual(["DELETE 401"]);
  await confirm.getByRole("button", { name: "Remove 1 assignment" }).click();
  const done = page.getByRole("dialog", { name: "Removal results" });
  await expect(done.getByRole("listitem")).toContainText("Removed");
  expect(await armWritesSince(seq)).toEqual(["DELETE 401", "DELETE 200"]);
  await done.getByRole("button", { name: "Done" }).click();
  await expect(groupRow(page)).toHaveCount(0);
});

test("an approval whose grant Azure challenges for MFA: sign in again from the dialog, then retry the grant on the request", async ({ page, browser }) => {
  // A workspace no other spec requests or maps roles on: covered access would refuse the request before any approval.
  const workspace = "mlw-forecast-muc";
  const lead = await storedSessionPage(browser, "team-lead");
  const requestId = await fileRequestForNoah(lead, {
    workspace,
    role: DATA_SCIENTIST,
    duration: "1 day",
    justification: "Noah reviews the Munich forecasts this week.",
  });
  const requestPath = `/requests/${requestId}`;

  await signIn(page, "step-up-admin");
  await page.goto(requestPath);
  const seq = await sandbox.journal.lastSeq();
  await page.getByRole("button", { name: "Approve", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Approve request" });
  // Once the preview is in (see settledDelta): else the approval waits behind it, within the time its alert has.
  await expect(settledDelta(dialog)).toBeVisible({ timeout: 30_000 });
  await dialog.getByRole("button", { name: "Approve and grant" }).click();
  await expect(dialog.getByRole("alert")).toContainText(STEP_UP_MESSAGE);
  expect(await armWritesSince(seq)).toEqual(["PUT 401"]);

  await completeMfaSignIn(page, dialog.getByRole("button", { name: "Sign in again to continue" }));
  await expect(page.getByTestId("request-status")).toContainText("Status: failed");
  await expect(page.getByRole("status").filter({ hasText: "You signed in again" })).toBeVisible();
  expect(await armWritesSince(seq)).toEqual(["PUT 401"]);
  await page.getByRole("button", { name: "Retry the grant" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Granted ${DATA_SCIENTIST}` })).toBeVisible();
  await expect(page.getByTestId("request-status")).toContainText("Status: granted");
  expect(await armWritesSince(seq)).toEqual(["PUT 401", "PUT 201"]);
});

test("a privileged grant: the console itself asks for the stronger sign-in, the admin signs in again (MFA), the grant completes and the audit trail shows the step-up", async ({
  page,
}) => {
  const group = "Project Falcon";
  const contributorRow = () =>
    page
      .getByRole("table", { name: "Who has access" })
      .getByRole("row")
      .filter({ hasText: group })
      .filter({ hasText: "Contributor" })
      .filter({ hasText: "This workspace" });
  // Avery's own sign-in is a password only: the token has no authentication context.
  await signIn(page, "admin");
  await openWorkspace(page);
  await page.getByLabel("Search assignments").fill(group);
  await expect(contributorRow()).toHaveCount(0);
  const seq = await sandbox.journal.lastSeq();

  await page.getByRole("button", { name: "Grant access" }).click();
  const dialog = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await dialog.getByRole("combobox", { name: "Users, groups or service principals" }).fill(group);
  await dialog
    .getByRole("listbox")
    .getByRole("group", { name: "Groups" })
    .getByRole("option", { name: new RegExp(`^${group}`) })
    .first()
    .click();
  await dialog.getByRole("radio", { name: /^Contributor/ }).check();
  await expect(settledDelta(dialog)).toBeVisible({ timeout: 30_000 });
  await dialog.getByRole("button", { name: "Grant Contributor" }).click();
  await expect(dialog.getByRole("alert")).toContainText("This change needs a stronger sign-in. Sign in again to continue.");
  // Decided before ARM: no write at all, not even one ARM refused.
  expect(await armWritesSince(seq, ADMIN_ID)).toEqual([]);

  await completeMfaSignIn(page, dialog.getByRole("button", { name: "Sign in again to continue" }), "admin");

  const resumed = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await expect(resumed.getByRole("status").filter({ hasText: "You signed in again" })).toBeVisible();
  await expect(resumed.getByRole("list", { name: "Chosen" }).getByRole("listitem")).toContainText(group);
  await expect(resumed.getByRole("radio", { name: /^Contributor/ })).toBeChecked();
  expect(await armWritesSince(seq, ADMIN_ID)).toEqual([]);

  await expect(settledDelta(resumed)).toBeVisible({ timeout: 30_000 });
  await resumed.getByRole("button", { name: "Grant Contributor" }).click();
  await expect(resumed.getByRole("list", { name: "Grant results" }).getByRole("listitem")).toContainText("Granted — may take up to 10 minutes to take effect");
  expect(await armWritesSince(seq, ADMIN_ID)).toEqual(["PUT 201"]);
  await resumed.getByRole("button", { name: "Done" }).click();
  await page.getByLabel("Search assignments").fill(group);
  await expect(contributorRow()).toHaveCount(1);

  await page.goto(`/audit?action=authz.denied&actor=${encodeURIComponent(PERSONAS.admin.login)}`);
  await expect(page.locator("tbody tr").filter({ hasText: "grant of Contributor needs authentication context c1" }).first()).toBeVisible();
});
