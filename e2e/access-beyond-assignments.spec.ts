import { expect, type Page, test } from "@playwright/test";

import { createTenant, SEEDED_BEYOND_ASSIGNMENTS } from "../sandbox/tenant/index";
import { sandbox } from "./support/sandbox";
import { resumeSignIn } from "./support/stored-sessions";

// mlw-fraud-prod is seeded with a PIM eligibility, a PIM activation, an assignment with an ABAC condition and a deny
// assignment (sandbox/README.md); these tests only read them.
const WORKSPACE = "mlw-fraud-prod";

async function seeded() {
  const tenant = createTenant({ seed: (await sandbox.state()).seed, scale: "default" });
  const name = (id: string) => tenant.getUser(id)!.displayName;
  return {
    eligible: name(tenant.roleEligibilities.get(SEEDED_BEYOND_ASSIGNMENTS.eligibility)!.principalId),
    activated: name(tenant.roleAssignmentSchedules.get(SEEDED_BEYOND_ASSIGNMENTS.activation)!.principalId),
    conditioned: name(tenant.roleAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.conditionedAssignment)!.principalId),
    deny: tenant.denyAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.denyAssignment)!.denyAssignmentName,
  };
}

async function openWorkspace(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Primary" }).getByRole("link", { name: "Workspaces" }).click();
  await page.waitForURL(/\/workspaces$/);
  await page.getByRole("searchbox", { name: "Search workspaces" }).fill("fraud-prod");
  await page.getByRole("table").getByRole("link", { name: WORKSPACE, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: WORKSPACE })).toBeVisible();
}

test("the workspace page shows a PIM-eligible person, a PIM activation with its end, a condition and a deny assignment", async ({ page }) => {
  const names = await seeded();
  await resumeSignIn(page, "admin");
  await openWorkspace(page);

  const eligible = page.getByRole("table", { name: "Eligible (PIM)" }).getByRole("row").filter({ hasText: names.eligible });
  await expect(eligible).toContainText("AzureML Data Scientist");
  await expect(eligible).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expect(eligible.getByRole("checkbox")).toHaveCount(0);

  const table = page.getByRole("table", { name: "Who has access" });
  // The eligible person holds no role assignment here.
  await page.getByLabel("Search assignments").fill(names.eligible);
  await expect(table.getByText("No assignment matches these filters.")).toBeVisible();

  await page.getByLabel("Search assignments").fill(names.activated);
  const activated = table.getByRole("row").filter({ hasText: names.activated });
  await expect(activated).toContainText(/PIM-activated until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expect(activated.getByRole("checkbox")).toHaveCount(0);

  await page.getByLabel("Search assignments").fill(names.conditioned);
  await expect(table.getByRole("row").filter({ hasText: names.conditioned })).toContainText("Only where this condition holds:");

  const deny = page.getByRole("list", { name: "Deny assignments" }).getByRole("listitem");
  await expect(deny).toHaveCount(1);
  await expect(deny).toContainText(`Denied by ${names.deny}`);
  await expect(deny).toContainText("to everyone, whatever their roles allow");
});

test("check access says a PIM-eligible person is eligible, not without access, and names the deny assignment", async ({ page }) => {
  const names = await seeded();
  await resumeSignIn(page, "admin");
  await openWorkspace(page);
  await page.getByRole("combobox", { name: "Whose access?" }).fill(names.eligible);
  await page
    .getByRole("group", { name: "Users" })
    .getByRole("option", { name: new RegExp(names.eligible) })
    .click();

  await expect(page.getByText(/has no active role on this workspace, but is eligible \(PIM\) for 1 role:/)).toBeVisible();
  await expect(page.getByText(/has no role on this workspace/)).toHaveCount(0);
  const roles = page.getByRole("list", { name: `Effective roles of ${names.eligible}` }).getByRole("listitem");
  await expect(roles).toHaveCount(1);
  await expect(roles).toContainText("AzureML Data Scientist");
  await expect(roles).toContainText("eligible (PIM)");
  await expect(page.getByRole("list", { name: `Deny assignments that apply to ${names.eligible}` })).toContainText(`Denied by ${names.deny}`);
});

test("a security reader, who picks among the people on the page, can check the PIM-eligible person too", async ({ page }) => {
  const names = await seeded();
  await resumeSignIn(page, "security");
  await openWorkspace(page);
  await page.getByRole("combobox", { name: "Whose access?" }).fill(names.eligible.split(" ")[0]!);
  await page.getByRole("option", { name: new RegExp(names.eligible) }).click();
  await expect(page.getByRole("list", { name: `Effective roles of ${names.eligible}` })).toContainText("eligible (PIM)");
});
