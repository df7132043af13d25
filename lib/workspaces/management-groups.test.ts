/**
 * Roles inherited from management groups. Enterprises assign platform roles at management groups, and ARM lists
 * those assignments with a subscription's own; their ids (`/providers/Microsoft.Management/managementGroups/{name}`)
 * do not show which subscriptions sit below, so every reader must count them as applying instead of comparing
 * id prefixes. Runs on a sandbox of its own: it puts a subscription under management groups.
 */
import { afterAll, describe, expect, it } from "vitest";

import { managementGroupArmId } from "@/sandbox/tenant/arm-ids";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { FREE_USERS, WORKSPACE } from "@/test/reliability/support/churn-workspace";

const tenant = await startPrivateSandbox();
const { getWorkspaceAccess } = await import("./get-workspace-access");
const { checkWorkspaceAccess } = await import("./check-workspace-access");
const { listWorkspaces, listWorkspacePage } = await import("./list-workspaces");
const { readWorkspaceAccess } = await import("@/lib/credentials/access");
const { getGrantOptions } = await import("./get-grant-options");
const { personaContext } = await import("@/test/support/persona-token");

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const model = tenant.sandbox.tenant;
const subscriptionId = WORKSPACE.split("/")[2]!;
const otherSubscription = [...model.subscriptions.values()].find((subscription) => subscription.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase())!;
const [inheritingUser, unrelatedUser] = FREE_USERS;
const automation = [...model.servicePrincipals.values()].find(
  (sp) => sp.servicePrincipalType === "Application" && model.roleAssignmentsOfPrincipal(sp.id).length === 0,
)!;

function assign(scope: string, principalId: string, principalType: "User" | "ServicePrincipal", roleDefinitionName: string) {
  putTestAssignment(model, { scope, principalId, principalType, roleDefinitionName });
}

const security = await personaContext("security");
const countsBefore = new Map(
  (await listWorkspaces({ kind: "delegated", caller: security.caller })).workspaces.map((w) => [w.id.toLowerCase(), w.roleAssignmentCount]),
);

// Contoso > Contoso ML > the churn workspace's subscription; "Elsewhere" sits beside them, above nothing of ours.
model.addManagementGroup({ name: "mg-contoso", displayName: "Contoso", parentName: null });
model.addManagementGroup({ name: "mg-contoso-ml", displayName: "Contoso ML", parentName: "mg-contoso" });
model.addManagementGroup({ name: "mg-elsewhere", displayName: "Elsewhere", parentName: null });
model.subscriptions.get(subscriptionId.toLowerCase())!.managementGroup = "mg-contoso-ml";
assign(managementGroupArmId("mg-contoso"), inheritingUser!.id, "User", READER);
assign(managementGroupArmId("mg-contoso-ml"), automation.id, "ServicePrincipal", CONTRIBUTOR);
assign(managementGroupArmId("mg-elsewhere"), unrelatedUser!.id, "User", READER);

afterAll(async () => {
  await tenant.close();
});

describe("roles inherited from management groups", () => {
  it("are listed on the workspace page, labelled by origin; a group the subscription is not under is not", async () => {
    const access = await getWorkspaceAccess(security.caller, WORKSPACE);
    const inherited = access.rows.filter((row) => row.origin === "managementGroup");
    expect(inherited.map((row) => [row.principalId, row.roleName, row.scope]).sort()).toEqual(
      [
        [inheritingUser!.id, "Reader", managementGroupArmId("mg-contoso")],
        [automation.id, "Contributor", managementGroupArmId("mg-contoso-ml")],
      ].sort(),
    );
    expect(access.rows.some((row) => row.principalId === unrelatedUser!.id)).toBe(false);
  });

  it("explain a person's effective access, and give nothing to someone assigned elsewhere", async () => {
    const access = await checkWorkspaceAccess(security.caller, WORKSPACE, inheritingUser!.id);
    expect(access.grants).toEqual([
      expect.objectContaining({ roleName: "Reader", origin: "managementGroup", scope: managementGroupArmId("mg-contoso"), via: [] }),
    ]);
    expect((await checkWorkspaceAccess(security.caller, WORKSPACE, unrelatedUser!.id)).grants).toEqual([]);
  });

  it("count towards each workspace in the subscriptions below, and no other", async () => {
    const { workspaces } = await listWorkspaces({ kind: "delegated", caller: security.caller });
    for (const workspace of workspaces) {
      const before = countsBefore.get(workspace.id.toLowerCase())!;
      const below = workspace.subscriptionId.toLowerCase() === subscriptionId.toLowerCase();
      expect(workspace.roleAssignmentCount, workspace.name).toBe(before + (below ? 2 : 0));
    }
    expect(workspaces.some((workspace) => workspace.subscriptionId.toLowerCase() === otherSubscription.subscriptionId.toLowerCase())).toBe(true);
  });

  it("count the same on the list page, which reads the management groups of only the page's subscriptions", async () => {
    const { workspaces } = await listWorkspaces({ kind: "delegated", caller: security.caller });
    const page = await listWorkspacePage({ kind: "delegated", caller: security.caller }, { search: "", skip: 0 });
    expect(page.workspaces.length).toBe(workspaces.length);
    const counts = new Map(workspaces.map((workspace) => [workspace.id, workspace.roleAssignmentCount]));
    for (const workspace of page.workspaces) expect(workspace.roleAssignmentCount, workspace.name).toBe(counts.get(workspace.id));
  });

  it("do not count against the subscription's role-assignment budget: ARM counts the subscription and below only", async () => {
    const options = await getGrantOptions(security.caller, WORKSPACE);
    const inSubscription = [...model.roleAssignments.values()].filter((assignment) =>
      assignment.scope.toLowerCase().startsWith(`/subscriptions/${subscriptionId.toLowerCase()}`),
    ).length;
    expect(options.budget).toEqual({ used: inSubscription, limit: 4000 });
    expect(model.countRoleAssignmentsInSubscription(subscriptionId)).toBe(inSubscription);
  });

  it("reach the credentials dashboard: a service principal's inherited role shows on every workspace below", async () => {
    const access = await readWorkspaceAccess();
    const roles = access.rolesByPrincipal.get(automation.id.toLowerCase()) ?? [];
    const expected = [...model.workspaces.values()].filter((workspace) => workspace.subscriptionId.toLowerCase() === subscriptionId.toLowerCase());
    expect(roles.map((role) => role.workspace).sort()).toEqual(expected.map((workspace) => workspace.name).sort());
    expect(roles.every((role) => role.roleName === "Contributor" && role.assignmentScope === managementGroupArmId("mg-contoso-ml"))).toBe(true);
    expect(access.rolesByPrincipal.has(unrelatedUser!.id.toLowerCase())).toBe(false);
  });
});
