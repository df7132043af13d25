import { expect, type Page, test } from "@playwright/test";

import type { SentMailRecord } from "../sandbox/control/client";
import { PERSONAS, type PersonaKey } from "./support/personas";
import { chooseDuration, chooseUser, chooseWorkspace } from "./support/request-form";
import { sandbox } from "./support/sandbox";
import { openSignInPopup, signInInPopup } from "./support/sign-in";
import { resumeSignIn, storedSessionPage } from "./support/stored-sessions";

const WORKSPACE = "mlw-forecast-prod";
const SELF_WORKSPACE = "mlw-churn-prod";
/** Avery (Owner of the production subscription) already has everything there; a request for themselves goes here. */
const DEV_WORKSPACE = "mlw-churn-dev";
const DATA_SCIENTIST = "AzureML Data Scientist";
const TEAMMATE = "Noah No-Role";
const UUID = /\/requests\/([0-9a-f-]{36})$/;

const outbox = () => sandbox.outbox.list();

function mailFor(mails: readonly SentMailRecord[], persona: PersonaKey, subject: string): SentMailRecord | undefined {
  const address = PERSONAS[persona].login.toLowerCase();
  return mails.find((mail) => mail.subject === subject && mail.to.some((to) => to.toLowerCase() === address));
}

async function openRequestsPage(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Requests" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Access requests" })).toBeVisible();
}

async function openWorkspace(page: Page, name: string): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Workspaces" }).click();
  await page.waitForURL(/\/workspaces$/);
  await expect(page.getByRole("heading", { level: 1, name: "Workspaces" })).toBeVisible();
  await page.getByLabel("Search workspaces").fill(name.replace(/^mlw-/, ""));
  await page.getByRole("table").getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

function assignmentRows(page: Page, principal: string) {
  return page
    .getByRole("table", { name: "Who has access" })
    .getByRole("row")
    .filter({ hasText: principal })
    .filter({ hasText: DATA_SCIENTIST })
    .filter({ hasText: "This workspace" });
}

test.afterEach(async () => {
  // Other tests and specs run on the same sandbox: leave its clock where we found it, pass or fail.
  await sandbox.clock.reset();
});

test.describe.serial("a 7-day request for a teammate", () => {
  let requestId = "";

  test("the team lead asks, an admin approves, Gatehouse grants in ARM and mails both", async ({ browser }) => {
    test.setTimeout(180_000);

    // The team lead fills in the form; a too-short justification is refused next to the field, the rest is kept.
    const lead = await storedSessionPage(browser, "team-lead");
    await openRequestsPage(lead);
    await lead.getByRole("link", { name: "New request" }).click();
    await expect(lead.getByRole("heading", { level: 1, name: "New access request" })).toBeVisible();
    await chooseWorkspace(lead, WORKSPACE);
    // Only policy roles are offered; privileged ones say they need two approvers.
    await expect(lead.getByRole("group", { name: "Role" }).getByRole("radio")).toHaveCount(6);
    await expect(lead.getByText("Privileged — needs 2 approvers").first()).toBeVisible();
    await lead.getByRole("radio", { name: DATA_SCIENTIST, exact: true }).check();
    const picker = lead.getByRole("combobox", { name: "Person, group or service principal" });
    await picker.fill("Noah");
    await lead
      .getByRole("listbox")
      .getByRole("group", { name: "Users" })
      .getByRole("option", { name: new RegExp(TEAMMATE) })
      .click();
    await expect(lead.getByText(`Chosen: ${TEAMMATE}`)).toBeVisible();
    await chooseDuration(lead, "7 days");
    await lead.getByLabel("Justification").fill("too short");
    await lead.getByLabel("Ticket reference (optional)").fill("INC-4711");
    await lead.getByRole("button", { name: "Send request" }).click();
    await expect(lead.getByRole("alert").filter({ hasText: "The request was not sent." })).toBeVisible();
    await expect(lead.getByText("Explain why in at least 10 characters")).toBeVisible();
    await expect(lead.getByLabel("Justification")).toHaveAttribute("aria-invalid", "true");
    await expect(lead.getByRole("radio", { name: "7 days", exact: true })).toBeChecked();
    await expect(lead.getByLabel("Ticket reference (optional)")).toHaveValue("INC-4711");
    await expect(lead.getByText(`Chosen: ${TEAMMATE}`)).toBeVisible();

    const justification = "Noah joins the demand forecasting sprint for a week.";
    await lead.getByLabel("Justification").fill(justification);
    await expect(lead.getByText(`${justification.length} of 1,000 characters`)).toBeVisible();
    await lead.getByRole("button", { name: "Send request" }).click();
    await lead.waitForURL(UUID);
    requestId = UUID.exec(new URL(lead.url()).pathname)![1]!;
    await expect(lead.getByRole("heading", { level: 1, name: `${DATA_SCIENTIST} on ${WORKSPACE}` })).toBeVisible();
    await expect(lead.getByTestId("request-status")).toContainText("Status: pending");
    const timeline = lead.getByRole("list", { name: "Timeline" });
    await expect(timeline).toContainText(`asked for ${DATA_SCIENTIST} on ${WORKSPACE} for ${TEAMMATE}`);
    await expect(timeline).toContainText(justification);
    await expect(timeline).toContainText("7 days · ticket INC-4711");
    await expect(lead.getByRole("button", { name: "Withdraw request" })).toBeVisible();
    await expect(lead.getByRole("button", { name: "Approve" })).toHaveCount(0);

    // A second admin has the request open while it is still pending.
    const other = await storedSessionPage(browser, "limited-admin");
    await other.goto(`/requests/${requestId}`);
    await expect(other.getByRole("button", { name: "Approve", exact: true })).toBeVisible();

    // The admin approves from the queue, with a comment.
    const admin = await storedSessionPage(browser, "admin");
    await openRequestsPage(admin);
    const queue = admin.getByRole("table", { name: "Approval queue" });
    const row = queue.locator(`tr[data-request-id="${requestId}"]`);
    await expect(row).toContainText(TEAMMATE);
    await expect(row).toContainText("Pending");
    await row.getByRole("button", { name: `Approve ${DATA_SCIENTIST} on ${WORKSPACE} for ${TEAMMATE}` }).click();
    const approve = admin.getByRole("dialog", { name: "Approve request" });
    await approve.getByLabel("Comment (optional)").fill("OK for the sprint.");
    await approve.getByRole("button", { name: "Approve and grant" }).click();
    await expect(approve.getByRole("status")).toContainText(`Granted ${DATA_SCIENTIST}`);
    await approve.getByRole("button", { name: "Close" }).click();

    await admin.goto(`/requests/${requestId}`);
    await expect(admin.getByTestId("request-status")).toContainText("Status: granted");
    const adminTimeline = admin.getByRole("list", { name: "Timeline" });
    await expect(adminTimeline).toContainText("Approved by Avery Admin");
    await expect(adminTimeline).toContainText("OK for the sprint.");
    await expect(adminTimeline).toContainText("Access granted in Azure");
    await expect(adminTimeline).toContainText(/Access ends \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);

    // The second admin's approval comes too late and says who decided.
    await other.getByRole("button", { name: "Approve", exact: true }).click();
    const late = other.getByRole("dialog", { name: "Approve request" });
    await late.getByRole("button", { name: "Approve and grant" }).click();
    await expect(late.getByRole("alert")).toHaveText("This request was already decided by Avery Admin: it is granted. Nothing was changed.");
    await late.getByRole("button", { name: "Cancel" }).click();
    await other.context().close();

    // The assignment exists in ARM: the workspace page lists it.
    await openWorkspace(admin, WORKSPACE);
    await admin.getByLabel("Search assignments").fill(TEAMMATE);
    await expect(assignmentRows(admin, TEAMMATE)).toHaveCount(1);

    // Approvers were told when it arrived, the requester when it was granted.
    await expect
      .poll(async () => {
        const mails = await outbox();
        return [
          Boolean(mailFor(mails, "admin", `Access request: ${DATA_SCIENTIST} on ${WORKSPACE}`)),
          Boolean(mailFor(mails, "team-lead", `Your access request was granted: ${DATA_SCIENTIST} on ${WORKSPACE}`)),
        ];
      })
      .toEqual([true, true]);
    const arrival = mailFor(await outbox(), "admin", `Access request: ${DATA_SCIENTIST} on ${WORKSPACE}`)!;
    expect(arrival.body).toContain(justification);
    expect(arrival.body).toContain(`/requests/${requestId}`);

    // The requester can ask for an extension while the access lasts.
    await lead.reload();
    await expect(lead.getByTestId("request-status")).toContainText("Status: granted");
    await expect(lead.getByRole("button", { name: "Request an extension" })).toBeVisible();
  });

  test("eight days later the expiry job removes the access and the request shows expired", async ({ browser }) => {
    test.setTimeout(120_000);
    expect(requestId, "the previous test filed the request").not.toBe("");
    // Sign in before moving the clock: tokens issued in the sandbox's future would not be valid yet for the console.
    const admin = await storedSessionPage(browser, "admin");
    const lead = await storedSessionPage(browser, "team-lead");
    await lead.goto(`/requests/${requestId}`);
    await expect(lead.getByTestId("request-status")).toContainText("Status: granted");

    await sandbox.clock.advance(8 * 24 * 3600);
    await admin.goto("/requests");
    await admin.getByRole("button", { name: "Run expiry now" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Expiry job finished" })).toContainText(/\d+ expired grants? removed, 0 removals failed/);
    await admin.goto(`/requests/${requestId}`);
    await expect(admin.getByTestId("request-status")).toContainText("Status: expired");
    await expect(admin.getByRole("list", { name: "Timeline" })).toContainText("Access ended: the role assignment was removed");
    await lead.reload();
    await expect(lead.getByTestId("request-status")).toContainText("Status: expired");

    // Back to the wall clock (the admin's token is valid again for Azure), and the assignment is gone.
    await sandbox.clock.reset();
    await openWorkspace(admin, WORKSPACE);
    await admin.getByLabel("Search assignments").fill(TEAMMATE);
    await expect(assignmentRows(admin, TEAMMATE)).toHaveCount(0);
  });
});

test("an admin cannot approve their own request, and can withdraw it", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await page.goto("/requests/new");
  await chooseWorkspace(page, DEV_WORKSPACE);
  await page.getByRole("radio", { name: "Reader", exact: true }).check();
  await page.getByRole("radio", { name: /^Myself/ }).check();
  await page.getByLabel("Justification").fill("Checking a deployment for an incident review.");
  await page.getByRole("radio", { name: "8 hours", exact: true }).check();
  await page.getByRole("button", { name: "Send request" }).click();
  await page.waitForURL(UUID);
  await expect(page.getByTestId("request-status")).toContainText("Status: pending");
  await expect(page.getByRole("note")).toContainText("another admin has to decide it");

  await page.getByRole("button", { name: "Approve", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Approve request" });
  await dialog.getByRole("button", { name: "Approve and grant" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("You can't approve your own request, or access for yourself: another admin has to decide it.");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("request-status")).toContainText("Status: pending");

  await page.getByRole("button", { name: "Withdraw request" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Request withdrawn." })).toBeVisible();
  await expect(page.getByTestId("request-status")).toContainText("Status: cancelled");
  await expect(page.getByRole("list", { name: "Timeline" })).toContainText("Withdrawn by Avery Admin");
});

test("a privileged role needs two different admins; the same admin cannot approve twice, and a denial reaches the requester", async ({ browser }) => {
  test.setTimeout(120_000);
  const lead = await storedSessionPage(browser, "team-lead");
  await lead.goto("/requests/new");
  await chooseWorkspace(lead, SELF_WORKSPACE);
  await lead.getByRole("radio", { name: "Contributor", exact: true }).check();
  // Contributor allows at most 7 days: longer presets are not offered.
  await expect(lead.getByRole("radio", { name: "30 days", exact: true })).toHaveCount(0);
  await chooseUser(lead, "Noah", new RegExp(TEAMMATE));
  await lead.getByLabel("Justification").fill("Noah needs to fix the churn workspace's compute settings.");
  await lead.getByRole("radio", { name: "8 hours", exact: true }).check();
  await lead.getByRole("button", { name: "Send request" }).click();
  await lead.waitForURL(UUID);
  const id = UUID.exec(new URL(lead.url()).pathname)![1]!;

  // The admin finds it with the queue's filters.
  const admin = await storedSessionPage(browser, "admin");
  await admin.goto("/requests");
  await admin.getByLabel("Role").selectOption({ label: "Contributor" });
  await admin.getByRole("button", { name: "Apply filters" }).click();
  await admin.waitForURL(/role=/);
  const row = admin.getByRole("table", { name: "Approval queue" }).locator(`tr[data-request-id="${id}"]`);
  await expect(row).toContainText("Contributor");
  await row.getByRole("link", { name: /^Open/ }).click();
  await admin.waitForURL(`**/requests/${id}`);
  await expect(admin.getByText("0 of 2 needed")).toBeVisible();

  const approve = async (): Promise<ReturnType<Page["getByRole"]>> => {
    await admin.getByRole("button", { name: "Approve", exact: true }).click();
    const dialog = admin.getByRole("dialog", { name: "Approve request" });
    await dialog.getByRole("button", { name: "Approve and grant" }).click();
    return dialog;
  };
  // Approving a privileged role needs the stronger sign-in (the console's own step-up): nothing is decided without it.
  const challenged = await approve();
  await expect(challenged.getByRole("alert")).toContainText("This change needs a stronger sign-in. Sign in again to continue.");
  // The stronger sign-in in a popup; the request's page then loads again with the approval open.
  const reloaded = admin.waitForEvent("load", { timeout: 30_000 });
  const popup = await openSignInPopup(admin, () => challenged.getByRole("button", { name: "Sign in again to continue" }).click());
  await expect(popup.locator("#step-up")).toContainText("multi-factor authentication");
  await signInInPopup(popup, "admin");
  await reloaded;
  // Back with the same approval open, one click from done; the request is still untouched.
  const first = admin.getByRole("dialog", { name: "Approve request" });
  await expect(first.getByRole("status").filter({ hasText: "You signed in again" })).toBeVisible();
  await expect(admin.getByTestId("request-status")).toContainText("Status: pending");
  await first.getByRole("button", { name: "Approve and grant" }).click();
  await expect(first.getByRole("status")).toHaveText("Your approval is recorded. 1 more approval from a different admin is needed.");
  await first.getByRole("button", { name: "Close" }).click();
  await expect(admin.getByText("1 of 2 needed")).toBeVisible();
  await expect(admin.getByTestId("request-status")).toContainText("Status: pending");

  const again = await approve();
  await expect(again.getByRole("alert")).toHaveText("You already approved this request; a different admin has to give the second approval.");
  await again.getByRole("button", { name: "Cancel" }).click();

  // Denied with a reason, which the requester sees on the request and in their mail.
  await admin.getByRole("button", { name: "Deny", exact: true }).click();
  const deny = admin.getByRole("dialog", { name: "Deny request" });
  await expect(deny.getByRole("button", { name: "Deny request" })).toBeDisabled();
  await deny.getByLabel("Reason (required; the requester sees it)").fill("Use AzureML Compute Operator for compute settings.");
  await deny.getByRole("button", { name: "Deny request" }).click();
  await expect(deny.getByRole("status")).toHaveText("Request denied; the requester is told why.");
  await deny.getByRole("button", { name: "Close" }).click();
  await expect(admin.getByTestId("request-status")).toContainText("Status: denied");

  await lead.reload();
  await expect(lead.getByTestId("request-status")).toContainText("Status: denied");
  const timeline = lead.getByRole("list", { name: "Timeline" });
  await expect(timeline).toContainText("Approved by Avery Admin (approval 1 of 2)");
  await expect(timeline).toContainText("Denied by Avery Admin");
  await expect(timeline).toContainText("Use AzureML Compute Operator for compute settings.");
  await expect.poll(async () => Boolean(mailFor(await outbox(), "team-lead", `Your access request was denied: Contributor on ${SELF_WORKSPACE}`))).toBe(true);
});

test("a grant Azure refuses fails with the reason, an admin with the rights retries it, and the requester asks for an extension", async ({ browser }) => {
  test.setTimeout(120_000);
  const workspace = "mlw-recsys-prod";
  const role = "AzureML Compute Operator";
  const lead = await storedSessionPage(browser, "team-lead");
  await lead.goto("/requests/new");
  await chooseWorkspace(lead, workspace);
  await lead.getByRole("radio", { name: role, exact: true }).check();
  await chooseUser(lead, "Noah", new RegExp(TEAMMATE));
  await lead.getByLabel("Justification").fill("Noah restarts the ranking cluster during the migration.");
  await lead.getByRole("radio", { name: "1 day", exact: true }).check();
  await lead.getByRole("button", { name: "Send request" }).click();
  await lead.waitForURL(UUID);
  const id = UUID.exec(new URL(lead.url()).pathname)![1]!;

  // An admin with only Reader in Azure approves: ARM refuses, the request fails with the reason.
  const limited = await storedSessionPage(browser, "limited-admin");
  await limited.goto(`/requests/${id}`);
  await limited.getByRole("button", { name: "Approve", exact: true }).click();
  const dialog = limited.getByRole("dialog", { name: "Approve request" });
  await dialog.getByRole("button", { name: "Approve and grant" }).click();
  await expect(dialog.getByRole("status")).toContainText("Approved, but nothing was granted:");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(limited.getByTestId("request-status")).toContainText("Status: failed");
  await expect(limited.getByRole("list", { name: "Timeline" })).toContainText("Nothing was granted");

  // An admin who has the rights retries.
  const admin = await storedSessionPage(browser, "admin");
  await admin.goto(`/requests/${id}`);
  await admin.getByRole("button", { name: "Retry the grant" }).click();
  await expect(admin.getByRole("status").filter({ hasText: `Granted ${role}` })).toBeVisible();
  await expect(admin.getByTestId("request-status")).toContainText("Status: granted");

  // Before it ends, the requester asks for more time: a new request that points at this one.
  await lead.reload();
  await lead.getByRole("button", { name: "Request an extension" }).click();
  const extension = lead.getByRole("dialog", { name: "Request an extension" });
  await extension.getByLabel("Why is more time needed?").fill("The migration takes a second day.");
  await extension.getByRole("radio", { name: "1 day", exact: true }).check();
  await extension.getByRole("button", { name: "Ask for the extension" }).click();
  await extension.getByRole("link", { name: "Open the extension request" }).click();
  await lead.waitForURL((url) => UUID.test(url.pathname) && !url.pathname.endsWith(id));
  await expect(lead.getByTestId("request-status")).toContainText("Status: pending");
  await expect(lead.getByRole("link", { name: `request ${id.slice(0, 8)}` })).toBeVisible();
});
