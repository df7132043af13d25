/**
 * Access bundles end to end: a team lead asks for the "Data scientist" bundle for a teammate for 7 days, an admin sees
 * what it gives and approves, the four assignments appear (the vault's part is not needed: it uses access policies),
 * and eight days later the expiry job removes exactly those four.
 */
import { expect, test } from "@playwright/test";

import { workspaceArmId } from "../sandbox/tenant/arm-ids";
import { createTenant } from "../sandbox/tenant/index";
import { chooseDuration, chooseUser, chooseWorkspace } from "./support/request-form";
import { sandbox } from "./support/sandbox";
import { storedSessionPage } from "./support/stored-sessions";

const ADMIN_OBJECT_ID = "c0ffee00-0000-4000-8000-000000000001";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const WORKSPACE = "mlw-sandbox-dev";
const UUID = /\/requests\/([0-9a-f-]{36})$/;
// The e2e sandbox is seeded with seed 1; a tenant built from the same seed names a teammate who holds nothing anywhere.
const oracle = createTenant({ seed: 1, scale: "default" });
const workspace = [...oracle.workspaces.values()].find((candidate) => candidate.name === WORKSPACE)!;
const WORKSPACE_ID = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
const free = [...oracle.users.values()].filter(
  (user) =>
    user.userType === "Member" &&
    user.accountEnabled &&
    !/^(admin|limited-admin|team-lead|security|no-role|step-up-admin)@/.test(user.userPrincipalName) &&
    oracle.roleAssignmentsOfPrincipal(user.id).length === 0 &&
    oracle.transitiveGroupIds(user.id).length === 0,
);
// From the end of the list: other specs take free users from its start.
const teammate = free.at(-3)!;

test.describe.serial("a 7-day Data scientist bundle for a teammate", () => {
  const given: string[] = [];
  let requestId = "";
  test.beforeAll(async () => {
    // The admin persona is Owner of Production only; the bundle's workspace is in Development. Taken back after.
    given.push(
      (
        await sandbox.roleAssignments.add({
          scope: `/subscriptions/${workspace.subscriptionId}`,
          principalId: ADMIN_OBJECT_ID,
          principalType: "User",
          roleDefinitionId: OWNER,
        })
      ).name,
    );
  });
  test.afterAll(async () => {
    await sandbox.clock.reset();
    for (const name of given) await sandbox.roleAssignments.remove(name);
  });

  test("the team lead asks for the bundle, an admin approves, and its four parts are granted", async ({ browser }) => {
    test.setTimeout(180_000);
    const lead = await storedSessionPage(browser, "team-lead");
    await lead.goto("/requests/new");
    await chooseWorkspace(lead, WORKSPACE);
    const bundle = lead.getByRole("radio", { name: "Data scientist (bundle)" });
    await bundle.check();
    const roles = lead.getByRole("group", { name: "Role" });
    await expect(roles).toContainText("Grants 5 roles together, and ends them together");
    await expect(roles).toContainText("Storage Blob Data Contributor on the storage account");
    await expect(roles).toContainText("AcrPull on the container registry");
    // By the full name, and the option by sign-in name: display names repeat in a real directory.
    await chooseUser(lead, teammate.displayName, new RegExp(teammate.userPrincipalName.replace(/[.]/g, "\\.")));
    // What the bundle asks for, part by part on the resources it lands on (placed on the server): a storage data operation.
    const asked = lead.getByRole("region", { name: "What you are asking for" });
    const leadBlobs = asked.getByRole("region", { name: /^Storage Blob Data Contributor on the storage account / });
    await expect(leadBlobs.getByRole("list", { name: "Data plane" })).toContainText("read blobs in the storage account", { timeout: 30_000 });
    await expect(asked.getByRole("region", { name: /^Key Vault Secrets User on the key vault / })).toContainText("Not needed here");
    await chooseDuration(lead, "7 days");
    await lead.getByLabel("Justification").fill(`${teammate.displayName} joins the experimentation sprint for a week.`);
    await lead.getByRole("button", { name: "Send request" }).click();
    await lead.waitForURL(UUID);
    requestId = UUID.exec(new URL(lead.url()).pathname)![1]!;
    await expect(lead.getByRole("heading", { level: 1, name: `Data scientist bundle on ${WORKSPACE}` })).toBeVisible();
    await expect(lead.getByTestId("bundle-parts").getByRole("row")).toHaveCount(6);

    const admin = await storedSessionPage(browser, "admin");
    await admin.goto(`/requests/${requestId}`);
    await admin.getByRole("button", { name: "Approve", exact: true }).click();
    const approve = admin.getByRole("dialog", { name: "Approve request" });
    // The approver sees each part's delta on its resource, read as them: the teammate holds nothing there, so it is all new.
    const giving = approve.getByRole("region", { name: "What you are about to give: the Data scientist bundle, part by part" });
    const adminBlobs = giving.getByRole("region", { name: /^Storage Blob Data Contributor on the storage account / });
    await expect(adminBlobs.getByRole("list", { name: "Data plane" })).toContainText("write blobs in the storage account", { timeout: 30_000 });
    await expect(adminBlobs).toContainText("Holds no role on this storage account now.");
    await expect(giving.getByRole("region", { name: /^AcrPull on the container registry / })).toContainText("pull images");
    await approve.getByRole("button", { name: "Approve and grant" }).click();
    await expect(approve.getByRole("status")).toContainText("Granted the Data scientist bundle: 4 roles.");
    await approve.getByRole("button", { name: "Close" }).click();

    await admin.reload();
    await expect(admin.getByTestId("request-status")).toContainText("Status: granted");
    const parts = admin.getByTestId("bundle-parts");
    await expect(parts.getByText("Granted", { exact: true })).toHaveCount(4);
    await expect(parts.locator('[data-part^="keyVault:"]')).toContainText("Not needed here");
    await expect(parts.locator('[data-part^="keyVault:"]')).toContainText("uses access policies");

    // The workspace page shows the bundle as one unit, complete.
    await admin.goto(`/workspaces/${workspace.subscriptionId}/${workspace.resourceGroup}/${WORKSPACE}`);
    const grant = admin.getByRole("article", { name: `Data scientist for ${teammate.displayName}` });
    await expect(grant).toContainText("Complete");
    await expect(grant.getByText("Granted", { exact: true })).toHaveCount(4);
    expect(WORKSPACE_ID).toContain(WORKSPACE);
  });

  test("eight days later the expiry job removes exactly the bundle's four assignments", async ({ browser }) => {
    test.setTimeout(120_000);
    expect(requestId, "the previous test filed the request").not.toBe("");
    const admin = await storedSessionPage(browser, "admin");
    await admin.goto(`/requests/${requestId}`);
    await sandbox.clock.advance(8 * 24 * 3600);
    await admin.goto("/requests");
    await admin.getByRole("button", { name: "Run expiry now" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Expiry job finished" })).toContainText(/0 removals failed/);
    await admin.goto(`/requests/${requestId}`);
    await expect(admin.getByTestId("request-status")).toContainText("Status: expired");
    const parts = admin.getByTestId("bundle-parts");
    await expect(parts.getByText("Ended", { exact: true })).toHaveCount(4);
    await expect(parts.getByText("The assignment was removed.")).toHaveCount(4);
    await expect(admin.getByTestId("request-outcome")).toContainText("AcrPull on");

    await sandbox.clock.reset();
    await admin.goto(`/workspaces/${workspace.subscriptionId}/${workspace.resourceGroup}/${WORKSPACE}`);
    await expect(admin.getByRole("article", { name: `Data scientist for ${teammate.displayName}` })).toHaveCount(0);
  });
});
