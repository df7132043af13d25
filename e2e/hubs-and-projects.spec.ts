/**
 * Azure AI Foundry hubs and projects in the console: labelled and grouped in the workspace list; a project's page
 * shows its hub's own assignments; granting on a project offers Reader on the hub, checked, as the Foundry portal does.
 */
import { expect, type Page, test } from "@playwright/test";

import { workspaceArmId } from "../sandbox/tenant/arm-ids";
import { createTenant } from "../sandbox/tenant/index";
import { sandbox } from "./support/sandbox";
import { resumeSignIn } from "./support/stored-sessions";

const ADMIN_OBJECT_ID = "c0ffee00-0000-4000-8000-000000000001";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
// The e2e sandbox is seeded with seed 1; a tenant built from the same seed says where the hub lives.
const oracle = createTenant({ seed: 1, scale: "default" });
const hub = [...oracle.workspaces.values()].find((workspace) => workspace.name === "hub-ai-research")!;
const HUB_ID = workspaceArmId(hub.subscriptionId, hub.resourceGroup, hub.name);

async function findWorkspaces(page: Page, query: string): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Workspaces" }).click();
  await page.waitForURL(/\/workspaces$/);
  await page.getByRole("searchbox", { name: "Search workspaces" }).fill(query);
}

test("the workspace list labels the hub and shows its projects right under it", async ({ page }) => {
  await resumeSignIn(page, "security");
  await findWorkspaces(page, "research");
  const rows = page.getByRole("table").getByRole("row");
  const hubRow = rows.filter({ has: page.getByRole("link", { name: "hub-ai-research", exact: true }) });
  await expect(hubRow).toContainText("AI hub");
  for (const project of ["proj-genai", "proj-nlp"]) {
    const row = rows.filter({ has: page.getByRole("link", { name: project, exact: true }) });
    await expect(row).toContainText("AI project");
    await expect(row).toContainText("Project of hub-ai-research");
  }
  const names = await page.getByRole("table").getByRole("link").allInnerTexts();
  const at = names.indexOf("hub-ai-research");
  expect(names.slice(at, at + 3)).toEqual(["hub-ai-research", "proj-genai", "proj-nlp"]);
});

test.describe("an admin who manages the hub's resource group", () => {
  const given: string[] = [];
  test.beforeAll(async () => {
    // Admin's seeded roles are in Production only; these are taken back after the test.
    const resourceGroup = HUB_ID.split("/providers/")[0]!;
    for (const [scope, roleDefinitionId] of [
      [resourceGroup, OWNER],
      [`/subscriptions/${hub.subscriptionId}`, READER],
    ] as const) {
      given.push((await sandbox.roleAssignments.add({ scope, principalId: ADMIN_OBJECT_ID, principalType: "User", roleDefinitionId })).name);
    }
  });
  test.afterAll(async () => {
    for (const name of given) await sandbox.roleAssignments.remove(name);
  });

  test("sees the hub's assignments on a project's page, and grants on the project with Reader on the hub, checked by default", async ({ page }) => {
    await resumeSignIn(page, "admin");
    await findWorkspaces(page, "genai");
    await page.getByRole("table").getByRole("link", { name: "proj-genai", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: /proj-genai/ })).toContainText("AI project");
    const fromHub = page.getByRole("region", { name: /From the hub hub-ai-research/ });
    await expect(fromHub).toContainText("do not apply here through Azure RBAC");
    await expect(fromHub.getByRole("table", { name: "Role assignments on the hub hub-ai-research" })).toBeVisible();

    await page.getByRole("button", { name: "Grant access" }).click();
    const dialog = page.getByRole("dialog", { name: "Grant access to proj-genai" });
    const offer = dialog.getByRole("checkbox", { name: /Also grant Reader on the hub hub-ai-research/ });
    await expect(offer).toBeChecked();
    const input = dialog.getByRole("combobox", { name: "Users, groups or service principals" });
    await input.fill("Grace");
    await dialog.getByRole("listbox").getByRole("option").first().click();
    await input.fill("");
    await dialog.getByRole("radio", { name: /^AzureML Data Scientist/ }).check();
    await dialog.getByRole("button", { name: "Grant AzureML Data Scientist" }).click();
    const results = dialog.getByRole("list", { name: "Grant results" });
    await expect(results.getByRole("listitem")).toHaveCount(2);
    await expect(results.getByRole("listitem").filter({ hasText: "Reader on the hub hub-ai-research" })).toContainText(/Granted|Already granted/);
    await expect(results.getByRole("listitem").filter({ hasNotText: "Reader on the hub" })).toContainText(/Granted|Already granted/);
  });
});
