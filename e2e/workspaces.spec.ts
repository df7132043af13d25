import { readFile } from "node:fs/promises";

import { expect, type Locator, type Page, test } from "@playwright/test";

import { resumeSignIn } from "./support/stored-sessions";

const WORKSPACE = "mlw-fraud-prod";
const DATA_SCIENTIST = "AzureML Data Scientist";
const LIMITED_ADMIN_MESSAGE =
  "You (limited-admin@contosoml.onmicrosoft.com) can't manage access on mlw-fraud-prod: that needs Microsoft.Authorization/roleAssignments/write, which your Azure roles don't include.";

/** From the primary navigation, finds a workspace with the search box and opens it. */
async function openWorkspace(page: Page, name = WORKSPACE): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Workspaces" }).click();
  await page.waitForURL(/\/workspaces$/);
  await expect(page.getByRole("heading", { level: 1, name: "Workspaces" })).toBeVisible();
  await page.getByRole("searchbox", { name: "Search workspaces" }).fill(name.replace(/^mlw-/, ""));
  const link = page.getByRole("table").getByRole("link", { name, exact: true });
  await expect(link).toBeVisible();
  await link.click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

function accessTable(page: Page): Locator {
  return page.getByRole("table", { name: "Who has access" });
}

async function searchAssignments(page: Page, text: string): Promise<void> {
  await page.getByLabel("Search assignments").fill(text);
}

/**
 * All role assignments on the page ("N role assignments" or "M of N role assignments"), whatever the filters. Read from
 * the visible "Who has access" region: while a reloaded page streams in, React can hold a hidden copy of the table.
 */
async function assignmentCount(page: Page): Promise<number> {
  const count = page.getByRole("region", { name: "Who has access" }).getByTestId("assignment-count");
  await expect(count).toHaveText(/role assignments/);
  const text = await count.innerText();
  const match = /^(?:\d+ of )?(\d+) role assignments/.exec(text);
  expect(match, `count text: ${text}`).not.toBeNull();
  return Number(match![1]);
}

/** Picks a principal in the grant dialog's picker by typing and choosing an option; returns the option's name. */
async function choosePrincipal(scope: Locator, query: string, option: (listbox: Locator) => Locator): Promise<string> {
  const input = scope.getByRole("combobox", { name: "Users, groups or service principals" });
  await input.fill(query);
  const listbox = scope.getByRole("listbox");
  const choice = option(listbox);
  await expect(choice).toBeVisible();
  const name = (await choice.locator("span.font-medium").innerText()).trim();
  await choice.click();
  await input.fill("");
  return name;
}

test("an admin finds a workspace, sees who has access, grants, revokes, cleans up an orphan and exports", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page);
  const table = accessTable(page);

  // Inherited and direct assignments, with names.
  await searchAssignments(page, "Avery Admin");
  const avery = table.getByRole("row").filter({ hasText: "Avery Admin" }).filter({ hasText: "Owner" });
  await expect(avery).toContainText("Subscription");
  await expect(avery).toContainText("inherited — manage at subscription");
  await expect(avery.getByRole("checkbox")).toHaveCount(0);
  await searchAssignments(page, "DS - Fraud");
  const direct = table.getByRole("row").filter({ hasText: "DS - Fraud" });
  await expect(direct).toContainText("This workspace");
  await expect(direct).toContainText(DATA_SCIENTIST);
  await expect(direct.getByRole("checkbox")).toHaveCount(1);
  await searchAssignments(page, "");
  const before = await assignmentCount(page);

  // Grant AzureML Data Scientist to a group and a user.
  await page.getByRole("button", { name: "Grant access" }).click();
  const dialog = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByText(/Subscription budget: used [\d,]+ of 4,000 role assignments \(approximate: Azure's own count decides\)\./)).toBeVisible();
  const group = await choosePrincipal(dialog, "DS - Churn", (listbox) =>
    listbox.getByRole("group", { name: "Groups" }).getByRole("option", { name: /DS - Churn/ }),
  );
  const user = await choosePrincipal(dialog, "Grace", (listbox) => listbox.getByRole("group", { name: "Users" }).getByRole("option").first());
  const chosen = dialog.getByRole("list", { name: "Chosen" });
  await expect(chosen.getByRole("listitem")).toHaveCount(2);
  await expect(chosen.getByRole("button", { name: `Remove ${group}` })).toBeVisible();
  // Reader's warning is on the role itself, before anyone picks it.
  await expect(dialog.getByText("In Azure ML, Reader can list and view assets including datastore credentials — it is not harmless.")).toBeVisible();
  await dialog.getByRole("radio", { name: new RegExp(`^${DATA_SCIENTIST}`) }).check();
  await dialog.getByLabel("Description (optional)").fill("e2e: churn team helps on fraud");
  // The action's reply as the server sent it (read in the route: the browser drops it once the page refreshes).
  const replies: string[] = [];
  await page.route(page.url(), async (route) => {
    if (route.request().headers()["next-action"] === undefined) return route.fallback();
    const response = await route.fetch();
    replies.push(await response.text());
    await route.fulfill({ response });
  });
  await dialog.getByRole("button", { name: `Grant ${DATA_SCIENTIST}` }).click();
  const results = dialog.getByRole("list", { name: "Grant results" });
  await expect(results.getByRole("listitem")).toHaveCount(2);
  for (const name of [group, user]) {
    await expect(results.getByRole("listitem").filter({ hasText: name })).toContainText("Granted — may take up to 10 minutes to take effect");
  }
  // The grant's reply is its result alone: the admin does not wait for the page to be rendered inside it.
  expect(replies).toHaveLength(1);
  expect(replies[0]).toContain("Granted");
  // (Avery Admin's inherited Owner row is on the page, not in the grant.)
  expect(replies[0]).not.toContain("Avery Admin");
  await page.unrouteAll();
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toHaveCount(0);

  // Both appear, with the propagation badge, once the dialog's refresh of the page is in.
  await expect.poll(() => assignmentCount(page)).toBe(before + 2);
  for (const name of [group, user]) {
    await searchAssignments(page, name);
    const row = table.getByRole("row").filter({ hasText: name }).filter({ hasText: DATA_SCIENTIST }).filter({ hasText: "This workspace" });
    await expect(row).toContainText("new — may take up to 10 minutes to take effect");
  }

  // Revoke the group's new assignment, through the confirmation dialog.
  await searchAssignments(page, group);
  await table.getByRole("checkbox", { name: `Select ${group}, ${DATA_SCIENTIST}` }).check();
  await page.getByRole("button", { name: "Remove selected" }).click();
  const confirm = page.getByRole("dialog", { name: "Remove 1 role assignment?" });
  const item = confirm.getByRole("list", { name: "Assignments to remove" }).getByRole("listitem");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(group);
  await expect(item).toContainText(DATA_SCIENTIST);
  await expect(item).toContainText(`/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`);
  await confirm.getByRole("button", { name: "Remove 1 assignment" }).click();
  const done = page.getByRole("dialog", { name: "Removal results" });
  await expect(done.getByRole("listitem")).toContainText("Removed");
  await done.getByRole("button", { name: "Done" }).click();
  await expect(table.getByRole("row").filter({ hasText: group })).toHaveCount(0);
  await expect.poll(() => assignmentCount(page)).toBe(before + 1);

  // Clean up the orphans: every "Identity not found" row made at the workspace.
  await searchAssignments(page, "");
  await page.getByLabel("Identity not found only").check();
  const orphanRows = table.getByRole("row").filter({ hasText: "Identity not found" });
  await expect(orphanRows.first()).toBeVisible();
  const directOrphans = await orphanRows.filter({ hasText: "This workspace" }).count();
  expect(directOrphans).toBeGreaterThan(0);
  await page.getByRole("button", { name: `Clean up orphans (${directOrphans})` }).click();
  const cleanup = page.getByRole("dialog", { name: `Remove ${directOrphans} role assignment${directOrphans === 1 ? "" : "s"}?` });
  await expect(cleanup.getByRole("listitem").filter({ hasText: "Identity not found" })).toHaveCount(directOrphans);
  await cleanup.getByRole("button", { name: /^Remove \d+ assignments?$/ }).click();
  const cleaned = page.getByRole("dialog", { name: "Removal results" });
  await expect(cleaned.getByRole("listitem").filter({ hasText: "Removed" })).toHaveCount(directOrphans);
  await cleaned.getByRole("button", { name: "Done" }).click();
  await expect(orphanRows.filter({ hasText: "This workspace" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Clean up orphans (0)" })).toBeDisabled();
  await page.getByLabel("Identity not found only").uncheck();

  // Export the current view (filtered to the subscription's Owner rows) as CSV.
  await page.getByLabel("Where from").selectOption({ label: "Subscription" });
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Owner" });
  const inView = await table.locator("tbody tr[aria-rowindex]").count();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^gatehouse-${WORKSPACE}-access-\\d{8}T\\d{6}Z\\.csv$`));
  const csv = await readFile(await download.path(), "utf8");
  const lines = csv.trimEnd().split("\r\n");
  expect(lines[0]).toBe(
    "principal,principalId,principalType,upnOrAppId,role,roleDefinitionId,from,scope,condition,pimEndsAt,description,createdOn,createdBy,heldInGatehouseBy,assignmentId",
  );
  expect(lines).toHaveLength(inView + 1);
  expect(lines.some((line) => line.startsWith("Avery Admin,") && line.includes(",Owner,") && line.includes(",Subscription,"))).toBe(true);
  for (const line of lines.slice(1)) expect(line).toContain(",Owner,");

  const [json] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export JSON" }).click()]);
  const parsed = JSON.parse(await readFile(await json.path(), "utf8")) as Array<{ principal: string; role: string; from: string }>;
  expect(parsed).toHaveLength(inView);
  expect(parsed).toContainEqual(expect.objectContaining({ principal: "Avery Admin", role: "Owner", from: "Subscription" }));
});

test("the limited admin's grant fails with ARM's reason, per principal, and nothing changes", async ({ page }) => {
  await resumeSignIn(page, "limited-admin");
  await openWorkspace(page);
  const before = await assignmentCount(page);
  const group = "DS - Vision";
  await searchAssignments(page, group);
  const groupRows = accessTable(page).getByRole("row").filter({ hasText: group });
  const groupRowsBefore = await groupRows.count();

  await page.getByRole("button", { name: "Grant access" }).click();
  const dialog = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await choosePrincipal(dialog, group, (listbox) => listbox.getByRole("group", { name: "Groups" }).getByRole("option", { name: new RegExp(group) }));
  await dialog.getByRole("radio", { name: new RegExp(`^${DATA_SCIENTIST}`) }).check();
  await dialog.getByRole("button", { name: `Grant ${DATA_SCIENTIST}` }).click();
  const result = dialog.getByRole("list", { name: "Grant results" }).getByRole("listitem");
  await expect(result).toHaveCount(1);
  await expect(result).toContainText(group);
  await expect(result).toContainText("Failed");
  await expect(result).toContainText(LIMITED_ADMIN_MESSAGE);
  await expect(result).toContainText(/reference [\w-]+ — quote this to support/);
  await dialog.getByRole("button", { name: "Done" }).click();

  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: WORKSPACE })).toBeVisible();
  expect(await assignmentCount(page)).toBe(before);
  await searchAssignments(page, group);
  await expect(groupRows).toHaveCount(groupRowsBefore);
  await expect(groupRows.filter({ hasText: "new — may take up to 10 minutes" })).toHaveCount(0);
});

test("a security reader sees who has access and checks a person's access, but has no grant or revoke controls", async ({ page }) => {
  await resumeSignIn(page, "security");
  await openWorkspace(page);
  const table = accessTable(page);
  await expect(table.getByRole("row").nth(1)).toBeVisible();
  await page.getByLabel("Identity not found only").check();
  await expect(table.getByRole("row").filter({ hasText: "Identity not found" }).first()).toBeVisible();
  await page.getByLabel("Identity not found only").uncheck();
  await expect(page.getByRole("button", { name: "Grant access" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Remove selected" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /^Clean up orphans/ })).toHaveCount(0);
  await expect(table.getByRole("checkbox")).toHaveCount(0);

  // Check access: picks among the principals on the page (this role may not search the directory).
  await page.getByRole("combobox", { name: "Whose access?" }).fill("Avery");
  await page.getByRole("option", { name: /Avery Admin/ }).click();
  const effective = page.getByRole("list", { name: "Effective roles of Avery Admin" });
  await expect(effective.getByRole("listitem").filter({ hasText: "Owner" })).toContainText("direct");
  await expect(effective.getByRole("listitem").filter({ hasText: "Owner" })).toContainText("from Subscription");
});

test("an admin checks a group member's access through the group, and through a chain of nested groups", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page);
  await page.getByRole("combobox", { name: "Whose access?" }).fill("team-lead");
  await page.getByRole("group", { name: "Users" }).getByRole("option").first().click();
  const effective = page.getByRole("list", { name: /^Effective roles of / });
  await expect(effective.getByRole("listitem").filter({ hasText: DATA_SCIENTIST }).filter({ hasText: "through DS - Fraud" })).toBeVisible();
  // All ML Staff holds Compute Operator here; the team lead reaches it through two nested groups.
  await expect(effective.getByRole("listitem").filter({ hasText: "AzureML Compute Operator" })).toContainText(
    "through DS - Fraud → Data Scientists → All ML Staff",
  );
  await expect(effective.getByRole("listitem").filter({ hasText: "direct" }).first()).toBeVisible();
});

test("an admin checks a group's access: its own roles and those of the groups it is a member of", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page);
  await page.getByRole("combobox", { name: "Whose access?" }).fill("DS - Fraud");
  await page
    .getByRole("group", { name: "Groups" })
    .getByRole("option", { name: /DS - Fraud/ })
    .first()
    .click();
  const effective = page.getByRole("list", { name: "Effective roles of DS - Fraud" });
  await expect(effective.getByRole("listitem").filter({ hasText: DATA_SCIENTIST }).filter({ hasText: "direct" })).toBeVisible();
  // All ML Staff holds Compute Operator here; DS - Fraud is in it through Data Scientists.
  await expect(effective.getByRole("listitem").filter({ hasText: "AzureML Compute Operator" })).toContainText("through Data Scientists → All ML Staff");
});

test("a partner's group is labelled, not counted as an orphan, and says why clean-up leaves it", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page, "mlw-forecast-prod");
  // The table renders only the rows in view: the search brings the partner's row into it.
  await searchAssignments(page, "Fabrikam");
  const partner = accessTable(page).getByRole("row").filter({ hasText: "Partner: Fabrikam CSP AdminAgents" });
  await expect(partner).toContainText("Partner organisation's group — managed by the partner");
  await expect(partner).toContainText("Partner (CSP)");
  await expect(partner).not.toContainText("Identity not found");
  await expect(page.getByTestId("orphans-held-back")).toContainText("not offered for clean-up");
  await page.getByLabel("Identity not found only").check();
  await expect(accessTable(page).getByRole("row").filter({ hasText: "Fabrikam" })).toHaveCount(0);
});

test("a workspace in a resource group named in Unicode letters lists, opens and shows its access", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page, "mlw-forecast-muc");
  await expect(page).toHaveURL(new RegExp(`/${encodeURIComponent("rg-ml-prod-münchen-予測")}/mlw-forecast-muc$`));
  expect(await assignmentCount(page)).toBeGreaterThan(0);
  await searchAssignments(page, "DS - Forecasting");
  await expect(accessTable(page).getByRole("row").filter({ hasText: DATA_SCIENTIST })).toBeVisible();
});

test("a team lead gets the forbidden view and no Workspaces link", async ({ page }) => {
  await resumeSignIn(page, "team-lead");
  await expect(page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Workspaces" })).toHaveCount(0);
  await page.goto("/workspaces");
  await expect(page.getByRole("heading", { name: "You don't have access to this page" })).toBeVisible();
  await expect(page.getByRole("table")).toHaveCount(0);
});

test("the workspace page renders in light and dark themes", async ({ page }, testInfo) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page, "mlw-churn-prod");
  const theme = page.getByLabel("Theme");
  for (const value of ["light", "dark"] as const) {
    await theme.selectOption(value);
    await expect(page.locator("html")).toHaveAttribute("data-theme", value);
    await expect(accessTable(page).getByRole("row").nth(1)).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath(`workspace-${value}.png`), fullPage: false });
  }
  await page.getByRole("button", { name: "Grant access" }).click();
  await page.getByRole("combobox", { name: "Users, groups or service principals" }).fill("Grace");
  await expect(page.getByRole("option").first()).toBeVisible();
  await page.getByRole("radio", { name: /^Owner/ }).check();
  await page.screenshot({ path: testInfo.outputPath("grant-dialog-dark.png") });
});

test("the grant dialog leaves out the privileged roles the operator has not allowed, and says why", async ({ page }) => {
  // This console allows Contributor and Owner (playwright.config.ts), not User Access Administrator or RBAC Administrator.
  await resumeSignIn(page, "admin");
  await openWorkspace(page, "mlw-churn-prod");
  await page.getByRole("button", { name: "Grant access" }).click();
  await expect(page.getByRole("radio", { name: /^Owner/ })).toBeVisible();
  await expect(page.getByRole("radio", { name: /^AzureML Data Scientist/ })).toBeVisible();
  await expect(page.getByRole("radio", { name: /^User Access Administrator/ })).toHaveCount(0);
  await expect(page.getByRole("radio", { name: /^Role Based Access Control Administrator/ })).toHaveCount(0);
  // Nor among the other roles: the custom role that can write role assignments.
  await expect(page.getByRole("combobox", { name: "Or another role" }).locator("option", { hasText: "Contoso ML Access Delegate" })).toHaveCount(0);
  const notOffered = page.getByTestId("roles-not-offered");
  await expect(notOffered).toContainText("Not offered here");
  await expect(notOffered).toContainText("User Access Administrator");
  await expect(notOffered).toContainText("Contoso ML Access Delegate");
  await notOffered.locator("summary").click();
  await expect(notOffered.getByRole("listitem").filter({ hasText: "User Access Administrator can't be granted through Gatehouse" })).toContainText(
    "GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES",
  );
});

test("a grant clicked while the permission preview is still loading answers without waiting for it", async ({ page }) => {
  await resumeSignIn(page, "admin");
  await openWorkspace(page, "mlw-recsys-prod");
  const table = accessTable(page);
  await searchAssignments(page, "");
  const before = await assignmentCount(page);
  // The preview is a read (its own request, not a server action): held here until the grant has answered.
  let releasePreview: () => void = () => {};
  const previewHeld = new Promise<void>((resolve) => (releasePreview = resolve));
  let previewsAsked = 0;
  await page.route("**/api/reads/previewPermissionDelta", async (route) => {
    previewsAsked += 1;
    await previewHeld;
    await route.continue();
  });

  await page.getByRole("button", { name: "Grant access" }).click();
  const dialog = page.getByRole("dialog", { name: "Grant access to mlw-recsys-prod" });
  const user = await choosePrincipal(dialog, "Grace", (listbox) => listbox.getByRole("group", { name: "Users" }).getByRole("option").first());
  await dialog.getByRole("radio", { name: /^AzureML Compute Operator/ }).check();
  await expect.poll(() => previewsAsked).toBeGreaterThan(0);
  await dialog.getByRole("button", { name: "Grant AzureML Compute Operator" }).click();
  const results = dialog.getByRole("list", { name: "Grant results" });
  await expect(results.getByRole("listitem").filter({ hasText: user })).toContainText("Granted — may take up to 10 minutes to take effect");
  releasePreview();
  await page.unrouteAll({ behavior: "ignoreErrors" });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect.poll(() => assignmentCount(page)).toBe(before + 1);

  // Leave the workspace as it was.
  await searchAssignments(page, user);
  await table.getByRole("checkbox", { name: `Select ${user}, AzureML Compute Operator` }).check();
  await page.getByRole("button", { name: "Remove selected" }).click();
  await page.getByRole("dialog", { name: "Remove 1 role assignment?" }).getByRole("button", { name: "Remove 1 assignment" }).click();
  const done = page.getByRole("dialog", { name: "Removal results" });
  await expect(done.getByRole("listitem")).toContainText("Removed");
  await done.getByRole("button", { name: "Done" }).click();
  await expect.poll(() => assignmentCount(page)).toBe(before);
});
