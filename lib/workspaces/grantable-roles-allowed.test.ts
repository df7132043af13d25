/**
 * The grantable-role policy once the operator allows Owner (GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES=Owner): Owner is
 * offered and granted like any role, and the privileged roles not listed stay refused. A sandbox of its own: it grants
 * Owner on a workspace other files read exactly.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceArmId } from "@/sandbox/tenant/arm-ids";
import { ROLE_IDS } from "@/sandbox/tenant/index";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { refusalOf } from "@/test/support/refusal";
import { setConsoleSettings } from "@/test/support/test-env";

setConsoleSettings({ GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Owner" });
const tenant = await startPrivateSandbox();
const { grantWorkspaceRoles } = await import("./grant-workspace-roles");
const { getGrantOptions } = await import("./get-grant-options");
const { personaContext } = await import("@/test/support/persona-token");

afterAll(async () => {
  await tenant.close();
});

const model = tenant.sandbox.tenant;
const fraud = [...model.workspaces.values()].find((candidate) => candidate.name === "mlw-fraud-prod")!;
const FRAUD = workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
const holdsSomething = new Set([...model.roleAssignments.values()].map((assignment) => assignment.principalId.toLowerCase()));
const someUser = [...model.users.values()].find((user) => !holdsSomething.has(user.id.toLowerCase()) && user.userPrincipalName.includes("@"))!;
// Owner is privileged: the admin signed in with the stronger sign-in (step-up) that grants of it need.
const { stepUpClaims } = await import("@/lib/auth/step-up");
const admin = await personaContext("admin", { claims: stepUpClaims("c1") });

describe("a privileged role the operator allowed", () => {
  it("is offered in the grant dialog; the roles not allowed are still not", async () => {
    const options = await getGrantOptions(admin.caller, FRAUD);
    expect(options.roles.find((role) => role.id === ROLE_IDS.owner)).toMatchObject({ name: "Owner", privileged: true });
    expect(options.roles.some((role) => role.id === ROLE_IDS.userAccessAdministrator)).toBe(false);
    expect(options.notOffered.map((role) => role.id)).not.toContain(ROLE_IDS.owner);
  });

  it("is granted", async () => {
    const [result] = await grantWorkspaceRoles(admin, {
      workspaceId: FRAUD,
      roleDefinitionId: ROLE_IDS.owner,
      principals: [{ id: someUser.id, kind: "user", displayName: someUser.displayName }],
    });
    expect(result).toMatchObject({ status: "granted" });
    expect(model.roleAssignmentsOfPrincipal(someUser.id).map((assignment) => `${assignment.roleDefinitionName}|${assignment.scope}`)).toEqual([
      `${ROLE_IDS.owner}|${FRAUD}`,
    ]);
  });

  it("does not open the others: User Access Administrator is still refused", async () => {
    const refusal = await refusalOf(
      grantWorkspaceRoles(admin, {
        workspaceId: FRAUD,
        roleDefinitionId: ROLE_IDS.userAccessAdministrator,
        principals: [{ id: someUser.id, kind: "user", displayName: someUser.displayName }],
      }),
    );
    expect(refusal.code).toBe("forbidden");
  });
});
