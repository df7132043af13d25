import { expect, type Page, test } from "@playwright/test";

import { buildServerActions, postServerAction } from "./support/server-actions";
import { chooseUser, chooseWorkspace } from "./support/request-form";
import { sandbox } from "./support/sandbox";
import { SESSION_COOKIE } from "./support/sign-in";
import { storedSessionPage } from "./support/stored-sessions";

/**
 * Nothing Gatehouse does takes away access it did not give, in the browser: a permanent grant makes a request for the
 * same access "already covered", and a request an admin makes permanent outlives its own expiry.
 */
const WORKSPACE = "mlw-vision-prod";
const DATA_SCIENTIST = "AzureML Data Scientist";
const UUID = /\/requests\/([0-9a-f-]{36})$/;

async function openWorkspace(page: Page): Promise<void> {
  await page.goto("/workspaces");
  await expect(page.getByRole("heading", { level: 1, name: "Workspaces" })).toBeVisible();
  // getByRole, not getByLabel: a page visited before may stay in the document, hidden.
  await page.getByRole("searchbox", { name: "Search workspaces" }).fill(WORKSPACE.replace(/^mlw-/, ""));
  await page.getByRole("table").getByRole("link", { name: WORKSPACE, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: WORKSPACE })).toBeVisible();
}

function directRow(page: Page, principal: string) {
  return page
    .getByRole("table", { name: "Who has access" })
    .getByRole("row")
    .filter({ hasText: principal })
    .filter({ hasText: DATA_SCIENTIST })
    .filter({ hasText: "This workspace" });
}

async function grantOnWorkspacePage(page: Page, query: string, option: RegExp): Promise<string> {
  await openWorkspace(page);
  await page.getByRole("button", { name: "Grant access" }).click();
  const dialog = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await dialog.getByRole("combobox", { name: "Users, groups or service principals" }).fill(query);
  await dialog.getByRole("listbox").getByRole("group", { name: "Users" }).getByRole("option", { name: option }).click();
  await dialog.getByRole("radio", { name: new RegExp(`^${DATA_SCIENTIST}`) }).check();
  await dialog.getByRole("button", { name: `Grant ${DATA_SCIENTIST}` }).click();
  const result = dialog.getByRole("list", { name: "Grant results" }).getByRole("listitem");
  await expect(result).toHaveCount(1);
  const text = await result.innerText();
  await dialog.getByRole("button", { name: "Done" }).click();
  return text;
}

test.afterEach(async () => {
  await sandbox.clock.reset();
});

test("a permanent grant: the team lead's request for the same access is refused as already covered, with the path", async ({ browser }) => {
  test.setTimeout(120_000);
  const admin = await storedSessionPage(browser, "admin");
  expect(await grantOnWorkspacePage(admin, "Noah", /Noah No-Role/)).toContain("Granted");
  await admin.getByLabel("Search assignments").fill("Noah No-Role");
  await expect(directRow(admin, "Noah No-Role")).toContainText("Held by Direct grant by admin@contosoml.onmicrosoft.com");

  const lead = await storedSessionPage(browser, "team-lead");
  await lead.goto("/requests/new");
  await chooseWorkspace(lead, WORKSPACE, "vision");
  await lead.getByRole("radio", { name: DATA_SCIENTIST, exact: true }).check();
  await chooseUser(lead, "Noah", /Noah No-Role/);
  await lead.getByRole("radio", { name: "8 hours", exact: true }).check();
  await lead.getByLabel("Justification").fill("Noah reviews the inspection models for a day.");
  await lead.getByRole("button", { name: "Send request" }).click();
  await expect(lead.getByRole("alert").filter({ hasText: "The request was not sent." })).toBeVisible();
  await expect(lead.getByText(`Nothing to request: Noah No-Role already has ${DATA_SCIENTIST} on this workspace directly, permanently.`).first()).toBeVisible();
  expect(UUID.test(new URL(lead.url()).pathname)).toBe(false);
});

test("a request an admin makes permanent outlives its expiry: after the clock passes its end, the row is still on the workspace page", async ({ browser }) => {
  test.setTimeout(180_000);
  // The team lead asks for themselves; Avery approves.
  const lead = await storedSessionPage(browser, "team-lead");
  await lead.goto("/requests/new");
  await chooseWorkspace(lead, WORKSPACE, "vision");
  await lead.getByRole("radio", { name: DATA_SCIENTIST, exact: true }).check();
  await lead.getByRole("radio", { name: /^Myself/ }).check();
  await lead.getByRole("radio", { name: "8 hours", exact: true }).check();
  await lead.getByLabel("Justification").fill("Checking the inspection models before the audit.");
  await lead.getByRole("button", { name: "Send request" }).click();
  await lead.waitForURL(UUID);
  const requestId = UUID.exec(new URL(lead.url()).pathname)![1]!;

  const admin = await storedSessionPage(browser, "admin");
  await admin.goto(`/requests/${requestId}`);
  // The approver sees the directory's facts: the UPN and the object id, not only a name.
  await expect(admin.getByTestId("principal-facts").first()).toContainText("team-lead@contosoml.onmicrosoft.com");
  await admin.getByRole("button", { name: "Approve", exact: true }).click();
  const approve = admin.getByRole("dialog", { name: "Approve request" });
  await expect(approve.getByRole("definition").filter({ hasText: "team-lead@contosoml.onmicrosoft.com" })).toBeVisible();
  await approve.getByRole("button", { name: "Approve and grant" }).click();
  await expect(approve.getByRole("status")).toContainText(`Granted ${DATA_SCIENTIST}`);
  await approve.getByRole("button", { name: "Close" }).click();

  // The admin then grants the same access on the workspace page: it becomes permanent, the request superseded.
  const result = await grantOnWorkspacePage(admin, "Taylor", /Taylor Team-Lead/);
  expect(result).toContain(`request ${requestId.slice(0, 8)} no longer expires and is closed as superseded`);
  await admin.goto(`/requests/${requestId}`);
  await expect(admin.getByTestId("request-status")).toContainText("Status: superseded");

  // Past the request's end, the expiry job removes nothing.
  await sandbox.clock.advance(9 * 3600);
  await admin.goto("/requests");
  await admin.getByRole("button", { name: "Run expiry now" }).click();
  await expect(admin.getByRole("status").filter({ hasText: "Expiry job finished" })).toBeVisible();
  await sandbox.clock.reset();

  await openWorkspace(admin);
  await admin.getByLabel("Search assignments").fill("Taylor Team-Lead");
  await expect(directRow(admin, "Taylor Team-Lead")).toHaveCount(1);
  await expect(directRow(admin, "Taylor Team-Lead")).toContainText("Held by Direct grant by admin@contosoml.onmicrosoft.com");
});

test("forged names posted straight to the action are refused, and what an approver sees comes from Graph and ARM", async ({ browser, request }) => {
  const lead = await storedSessionPage(browser, "team-lead");
  await lead.goto("/requests/new");
  const workspaceId = (await lead.getByLabel("Workspace", { exact: true }).locator("option", { hasText: WORKSPACE }).getAttribute("value")) ?? "";
  expect(workspaceId).toContain(`/workspaces/${WORKSPACE}`);
  const session = (await lead.context().cookies()).find((candidate) => candidate.name === SESSION_COOKIE)!;
  const noah = "c0ffee00-0000-4000-8000-000000000005";
  const post = (principal: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    postServerAction(request, buildServerActions().get("submitAccessRequest")!, {
      cookie: `${SESSION_COOKIE}=${session.value}`,
      args: [
        {
          workspaceId,
          roleDefinitionId: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
          principal,
          justification: "Looks at the inspection results.",
          duration: "8h",
          ...extra,
        },
      ],
    }).then((response) => response.text());

  expect(await post({ id: noah, kind: "user", displayName: "Data Science Team" })).toContain(
    "The name sent for this identity (Data Science Team) is not its name in the directory (Noah No-Role).",
  );
  expect(await post({ id: noah, kind: "servicePrincipal", displayName: "Noah No-Role" })).toContain(
    "That identity is a user in the directory, not a service principal.",
  );
  expect(await post({ id: noah, kind: "user", displayName: "Noah No-Role" }, { workspaceName: "mlw-sandbox-dev" })).toContain(
    `is not the name of that workspace in Azure (${WORKSPACE})`,
  );
  // Nothing reached the approvers.
  const admin = await storedSessionPage(browser, "admin");
  await admin.goto("/requests?status=all&q=Data%20Science%20Team");
  await expect(admin.getByRole("table", { name: "Approval queue" }).getByText("Data Science Team")).toHaveCount(0);
});
