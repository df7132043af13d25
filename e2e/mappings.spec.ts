import { readFile } from "node:fs/promises";

import { expect, type Locator, type Page, test } from "@playwright/test";

import { createTenant } from "../sandbox/tenant/index";
import { resumeSignIn } from "./support/stored-sessions";

// Mappings change only this workspace (other specs compare or change other workspaces).
const WORKSPACE = "mlw-recsys-prod";
const DATA_SCIENTIST = "AzureML Data Scientist";
const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === WORKSPACE)!;
const scope = `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${WORKSPACE}`;
const holds = new Set([...oracle.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === scope.toLowerCase()).map((a) => a.principalId));
const group = [...oracle.groups.values()].find(
  (candidate) => !holds.has(candidate.id) && oracle.transitiveMemberIds(candidate.id).some((id) => oracle.users.has(id) && !holds.has(id)),
)!;
const member = oracle.users.get(oracle.transitiveMemberIds(group.id).find((id) => oracle.users.has(id) && !holds.has(id))!)!;

async function openWorkspaceAccess(page: Page): Promise<Locator> {
  await page.goto(`/workspaces/${target.subscriptionId}/${target.resourceGroup}/${WORKSPACE}`);
  await expect(page.getByRole("heading", { level: 1, name: WORKSPACE })).toBeVisible();
  return page.getByRole("table", { name: "Who has access" });
}

async function openMappings(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Mappings" }).click();
  await page.waitForURL(/\/mappings$/);
  await expect(page.getByRole("heading", { level: 1, name: "Group mappings" })).toBeVisible();
}

async function checkDrift(page: Page): Promise<Locator> {
  await page.getByLabel("Workspace to check").selectOption({ label: WORKSPACE });
  await page.getByRole("button", { name: "Check drift now" }).click();
  const plan = page.getByRole("group", { name: `Drift on ${WORKSPACE}` });
  await expect(plan).toBeVisible({ timeout: 20_000 });
  return plan;
}

test("an admin maps a group, sees drift, reconciles it with a plan, and round-trips mappings through JSON", async ({ page }) => {
  test.setTimeout(180_000);
  await resumeSignIn(page, "admin");
  await openMappings(page);

  // Map the group to Data Scientist on the workspace.
  await page.getByRole("button", { name: "Map a group" }).click();
  const dialog = page.getByRole("dialog", { name: "Map a group to a workspace role" });
  await dialog.getByLabel("Workspace").selectOption({ label: `${WORKSPACE} (Contoso ML Production)` });
  await dialog.getByRole("combobox", { name: "Group" }).fill(group.displayName);
  await dialog
    .getByRole("listbox")
    .getByRole("option", { name: new RegExp(group.displayName) })
    .first()
    .click();
  await expect(dialog.getByText(`Chosen group: ${group.displayName}`)).toBeVisible();
  await dialog.getByLabel("Role").selectOption({ label: DATA_SCIENTIST });
  await dialog.getByRole("button", { name: "Create mapping" }).click();
  await expect(dialog.getByRole("status")).toContainText(`Mapped ${group.displayName} to ${DATA_SCIENTIST}`);
  await dialog.getByRole("button", { name: "Done" }).click();
  const mappings = page.getByRole("table", { name: "Group mappings" });
  const row = mappings.getByRole("row").filter({ hasText: group.displayName });
  await expect(row).toContainText(WORKSPACE);
  await expect(row).toContainText(`${oracle.transitiveMemberIds(group.id).length} members`);
  await row.getByRole("button", { name: /members/ }).click();
  const members = page.getByRole("dialog", { name: `Members of ${group.displayName}` });
  await expect(members.getByRole("list", { name: "Members" })).toContainText(member.displayName);
  await members.getByRole("button", { name: "Close" }).click();

  // The assignment appears on the workspace.
  const access = await openWorkspaceAccess(page);
  await page.getByRole("searchbox", { name: "Search assignments" }).first().fill(group.displayName);
  await expect(access.getByRole("row").filter({ hasText: group.displayName }).filter({ hasText: DATA_SCIENTIST })).toContainText("This workspace");

  // Drift made outside the mapping: a direct assignment for a member, and the group's assignment removed.
  await page.getByRole("button", { name: "Grant access" }).click();
  const grant = page.getByRole("dialog", { name: `Grant access to ${WORKSPACE}` });
  await grant.getByRole("combobox", { name: "Users, groups or service principals" }).fill(member.displayName);
  await grant
    .getByRole("listbox")
    .getByRole("group", { name: "Users" })
    .getByRole("option", { name: new RegExp(member.displayName) })
    .first()
    .click();
  await grant.getByRole("radio", { name: new RegExp(`^${DATA_SCIENTIST}`) }).check();
  await grant.getByRole("button", { name: `Grant ${DATA_SCIENTIST}` }).click();
  await expect(grant.getByRole("list", { name: "Grant results" })).toContainText("Granted");
  await grant.getByRole("button", { name: "Done" }).click();
  await page.getByRole("searchbox", { name: "Search assignments" }).first().fill(group.displayName);
  await access.getByRole("checkbox", { name: `Select ${group.displayName}, ${DATA_SCIENTIST}` }).check();
  await page.getByRole("button", { name: "Remove selected" }).click();
  await page.getByRole("dialog", { name: "Remove 1 role assignment?" }).getByRole("button", { name: "Remove 1 assignment" }).click();
  const removed = page.getByRole("dialog", { name: "Removal results" });
  await expect(removed.getByRole("listitem")).toContainText("Removed");
  await removed.getByRole("button", { name: "Done" }).click();

  // Both show in the drift report, with reasons, as a plan.
  await openMappings(page);
  let plan = await checkDrift(page);
  const missing = plan.getByRole("listitem").filter({ hasText: "Mapped but missing in Azure" }).filter({ hasText: group.displayName });
  const redundant = plan.getByRole("listitem").filter({ hasText: "Redundant direct assignment" }).filter({ hasText: member.displayName });
  await expect(missing).toContainText("+ create");
  await expect(redundant).toContainText("− delete");
  await expect(redundant).toContainText(group.displayName);

  // Reconcile exactly those two.
  await plan.getByRole("checkbox", { name: `Create ${DATA_SCIENTIST} for ${group.displayName}` }).check();
  await plan.getByRole("checkbox", { name: `Delete ${DATA_SCIENTIST} for ${member.displayName}` }).check();
  await expect(plan).toContainText("Plan: 1 to create, 1 to delete.");
  await plan.getByRole("button", { name: "Apply 2 selected changes" }).click();
  const results = plan.getByRole("list", { name: `Reconcile results for ${WORKSPACE}` });
  await expect(results.getByRole("listitem")).toHaveCount(2);
  await expect(results.getByRole("listitem").filter({ hasText: "Applied" })).toHaveCount(2);
  plan = await checkDrift(page);
  await expect(plan.getByRole("listitem").filter({ hasText: "Mapped but missing in Azure" })).toHaveCount(0);
  await expect(plan.getByRole("listitem").filter({ hasText: member.displayName })).toHaveCount(0);

  // Export, delete the mapping, import the export (dry run first): the same mappings again.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export mappings (JSON)" }).click()]);
  const exported = await readFile(await download.path(), "utf8");
  const document = JSON.parse(exported) as { mappings: Array<{ groupId: string; workspaceId: string }> };
  expect(document.mappings).toEqual([expect.objectContaining({ groupId: group.id, workspaceId: scope })]);
  await mappings
    .getByRole("row")
    .filter({ hasText: group.displayName })
    .getByRole("button", { name: /^Delete/ })
    .click();
  const confirm = page.getByRole("dialog", { name: "Delete mapping?" });
  await confirm.getByLabel(/Also remove the group's role assignment/).uncheck();
  await confirm.getByRole("button", { name: "Delete mapping" }).click();
  await expect(confirm.getByRole("status")).toContainText("Deleted the mapping");
  await confirm.getByRole("button", { name: "Done" }).click();
  await expect(page.getByText("No mappings yet.")).toBeVisible();

  await page.getByLabel("Import mappings (JSON)").setInputFiles({ name: "mappings.json", mimeType: "application/json", buffer: Buffer.from(exported) });
  const dryRun = page.getByRole("region", { name: "Import dry run" });
  await expect(dryRun).toContainText("1 to create, 0 to delete, 0 unchanged");
  await expect(dryRun).toContainText(`+ create ${group.displayName} → ${DATA_SCIENTIST} on ${WORKSPACE}`);
  await dryRun.getByRole("button", { name: "Apply import" }).click();
  await expect(page.getByRole("list", { name: "Import results" })).toContainText(`Created ${group.displayName} → ${DATA_SCIENTIST} on ${WORKSPACE}: done`);
  await expect(mappings.getByRole("row").filter({ hasText: group.displayName })).toContainText(DATA_SCIENTIST);

  // The workspace page links to its own mappings: the list opens filtered to that workspace, and sorts.
  await openWorkspaceAccess(page);
  await page.getByRole("link", { name: "1 group mapping on this workspace" }).click();
  await page.waitForURL(/\/mappings\?workspace=/);
  await expect(page.getByLabel("Filter by workspace")).toHaveValue(scope.toLowerCase());
  await expect(mappings.getByRole("row").filter({ hasText: group.displayName })).toContainText(WORKSPACE);
  const groupHeader = mappings.getByRole("columnheader", { name: "Group" });
  await groupHeader.getByRole("button").click();
  await expect(groupHeader).toHaveAttribute("aria-sort", "ascending");
  await groupHeader.getByRole("button").click();
  await expect(groupHeader).toHaveAttribute("aria-sort", "descending");
});
