/**
 * Custom roles as ARM lists them: a role assignable only at one resource group exists for ARM at that resource group
 * and below, not at the subscription. Gatehouse reads role definitions at the workspace, so such a role shows its name
 * and can be granted there, and is neither offered nor accepted on a workspace outside its assignable scopes. Runs on a
 * sandbox of its own: it grants on a workspace other test files read exactly.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceArmId } from "@/sandbox/tenant/arm-ids";
import { CUSTOM_ROLE_IDS } from "@/sandbox/tenant/index";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { getGrantOptions } = await import("./get-grant-options");
const { grantWorkspaceRoles } = await import("./grant-workspace-roles");
const { getWorkspaceAccess } = await import("./get-workspace-access");
const { readWorkspaceAccess } = await import("@/lib/credentials/access");
const { personaContext } = await import("@/test/support/persona-token");

const model = tenant.sandbox.tenant;
const scopeOf = (name: string) => {
  const workspace = [...model.workspaces.values()].find((candidate) => candidate.name === name)!;
  return workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
};
const FRAUD = scopeOf("mlw-fraud-prod"); // in rg-ml-prod-eastus, where the reviewer role is assignable
const VISION = scopeOf("mlw-vision-prod"); // in rg-ml-prod-westeurope, where it is not
const REVIEWER = CUSTOM_ROLE_IDS.fraudModelReviewer;
const app = [...model.servicePrincipals.values()].find(
  (sp) => sp.servicePrincipalType === "Application" && model.roleAssignmentsOfPrincipal(sp.id).length === 0 && sp.displayName !== undefined,
)!;

afterAll(async () => {
  await tenant.close();
});

describe("a custom role that can write role assignments", () => {
  it("is not offered, by what it allows (no operator allowed it), and the dialog says why; a read-only custom role is offered", async () => {
    const options = await getGrantOptions((await personaContext("admin")).caller, FRAUD);
    expect(options.roles.some((role) => role.id === CUSTOM_ROLE_IDS.accessDelegate)).toBe(false);
    expect(options.notOffered.find((role) => role.id === CUSTOM_ROLE_IDS.accessDelegate)).toMatchObject({
      name: "Contoso ML Access Delegate",
      reason: expect.stringContaining("can create or remove role assignments") as string,
    });
    expect(options.roles.find((role) => role.id === REVIEWER)?.privileged).toBe(false);
  });

  it("ranks a service principal holding it as privileged on the credentials dashboard", async () => {
    const delegate = [...model.servicePrincipals.values()].find(
      (sp) => sp.servicePrincipalType === "Application" && sp.id !== app.id && model.roleAssignmentsOfPrincipal(sp.id).length === 0,
    )!;
    putTestAssignment(model, {
      scope: VISION,
      principalId: delegate.id,
      principalType: "ServicePrincipal",
      roleDefinitionName: CUSTOM_ROLE_IDS.accessDelegate,
    });
    const roles = (await readWorkspaceAccess()).rolesByPrincipal.get(delegate.id.toLowerCase()) ?? [];
    expect(roles).toEqual([expect.objectContaining({ workspace: "mlw-vision-prod", roleName: "Contoso ML Access Delegate", privileged: true })]);
  });
});

describe("a custom role assignable only at one resource group", () => {
  it("is offered, by name, when granting on a workspace in that resource group, and not on one elsewhere", async () => {
    const admin = await personaContext("admin");
    const fraud = await getGrantOptions(admin.caller, FRAUD);
    expect(fraud.roles.find((role) => role.id === REVIEWER)).toMatchObject({ name: "Contoso Fraud Model Reviewer", featured: false });
    const vision = await getGrantOptions(admin.caller, VISION);
    expect(vision.roles.some((role) => role.id === REVIEWER)).toBe(false);
  });

  it("can be granted there, and the access page then names it", async () => {
    const admin = await personaContext("admin");
    const results = await grantWorkspaceRoles(admin, {
      workspaceId: FRAUD,
      roleDefinitionId: REVIEWER,
      principals: [{ id: app.id, kind: "servicePrincipal", displayName: app.displayName }],
    });
    expect(results.map((result) => result.status)).toEqual(["granted"]);
    const access = await getWorkspaceAccess(admin.caller, FRAUD);
    expect(access.rows.find((row) => row.principalId === app.id)).toMatchObject({ roleDefinitionId: REVIEWER, roleName: "Contoso Fraud Model Reviewer" });
  });

  it("is named on the credentials dashboard too, which reads a whole subscription's roles at once", async () => {
    const access = await readWorkspaceAccess();
    const roles = access.rolesByPrincipal.get(app.id.toLowerCase()) ?? [];
    expect(roles).toEqual([expect.objectContaining({ workspace: "mlw-fraud-prod", roleId: REVIEWER, roleName: "Contoso Fraud Model Reviewer" })]);
  });

  it("is refused on a workspace outside its assignable scopes, with a message that says so", async () => {
    const admin = await personaContext("admin");
    await expect(
      grantWorkspaceRoles(admin, {
        workspaceId: VISION,
        roleDefinitionId: REVIEWER,
        principals: [{ id: app.id, kind: "servicePrincipal", displayName: app.displayName }],
      }),
    ).rejects.toMatchObject({
      code: "invalid_input",
      userMessage: "That role does not exist or can't be assigned on this workspace. Pick a role from the list.",
    });
    expect(model.roleAssignmentsOfPrincipal(app.id).map((assignment) => assignment.scope)).toEqual([FRAUD]);
  });
});
