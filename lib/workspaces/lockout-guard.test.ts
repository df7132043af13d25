/**
 * The lockout guard on a sandbox tenant of this file's own: removing the assignment an admin's own ability to manage
 * access depends on asks a second time; when Graph cannot say which groups the admin is in, removing a group's
 * access-managing assignment is refused, not allowed; and Gatehouse's own identity's assignment is protected too.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, DATA_SCIENTIST_ONLY_CONDITION, newRoleAssignment, ROLE_IDS } from "@/sandbox/tenant/index";
import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "@/sandbox/tenant/console-apps";
import { putTestAssignment } from "@/sandbox/tenant/testing/support";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { getWorkspaceAccess } = await import("@/lib/workspaces/get-workspace-access");
const { revokeWorkspaceRoles } = await import("@/lib/workspaces/revoke-workspace-roles");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-forecast-prod")!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const UAA = ROLE_IDS.userAccessAdministrator;
const workspaceAdmins = [...oracle.groups.values()].find((group) => group.displayName === "ML Workspace Admins")!;

afterAll(async () => {
  await tenant.close();
});

async function assignmentOf(principalId: string, role: string) {
  const admin = await personaContext("admin");
  const row = (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows.find(
    (candidate) => candidate.principalId === principalId && candidate.roleDefinitionId === role && candidate.origin === "workspace",
  );
  if (!row) throw new Error(`no ${role} for ${principalId} on the workspace`);
  return row.assignmentId;
}
const exists = (assignmentId: string) =>
  [...tenant.sandbox.tenant.roleAssignments.values()].some(
    (a) => `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`.toLowerCase() === assignmentId.toLowerCase(),
  );

describe("the lockout guard", () => {
  it("an admin whose ability to manage access comes from a workspace-only assignment is asked a second time", async () => {
    const limited = await personaContext("limited-admin");
    putTestAssignment(tenant.sandbox.tenant, { scope: WORKSPACE, principalId: limited.actor.objectId, principalType: "User", roleDefinitionName: UAA });
    const mine = await assignmentOf(limited.actor.objectId, UAA);

    const [asked] = await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [mine], confirmSelfLockout: false });
    expect(asked).toMatchObject({
      status: "needs_confirmation",
      message: "Your own ability to manage access on mlw-forecast-prod depends on this assignment. Confirm again to remove it anyway.",
    });
    expect(exists(mine)).toBe(true);

    const [confirmed] = await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [mine], confirmSelfLockout: true });
    expect(confirmed).toMatchObject({ status: "revoked" });
    expect(exists(mine)).toBe(false);
  });

  it("a role-assignment-writing role that carries a condition does not count: removing the unconditioned one asks", async () => {
    const limited = await personaContext("limited-admin");
    putTestAssignment(tenant.sandbox.tenant, { scope: WORKSPACE, principalId: limited.actor.objectId, principalType: "User", roleDefinitionName: UAA });
    const conditionedOn = "2026-01-05T10:00:00.0000000Z";
    tenant.sandbox.tenant.putRoleAssignment(
      newRoleAssignment({
        name: "c0ad1710-0000-4000-8000-000000000001",
        scope: WORKSPACE,
        roleDefinitionName: ROLE_IDS.rbacAdministrator,
        principalId: limited.actor.objectId,
        principalType: "User",
        condition: DATA_SCIENTIST_ONLY_CONDITION,
        conditionVersion: "2.0",
        createdOn: conditionedOn,
      }),
    );
    const mine = await assignmentOf(limited.actor.objectId, UAA);
    try {
      const [asked] = await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [mine], confirmSelfLockout: false });
      expect(asked).toMatchObject({
        status: "needs_confirmation",
        message: "Your own ability to manage access on mlw-forecast-prod depends on this assignment. Confirm again to remove it anyway.",
      });
      expect(exists(mine)).toBe(true);
    } finally {
      tenant.sandbox.tenant.removeRoleAssignment("c0ad1710-0000-4000-8000-000000000001");
      await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [mine], confirmSelfLockout: true });
    }
  });

  it("the same through a group, with Microsoft Graph failing: refused, not allowed — even when confirmed", async () => {
    const limited = await personaContext("limited-admin");
    putTestAssignment(tenant.sandbox.tenant, { scope: WORKSPACE, principalId: workspaceAdmins.id, principalType: "Group", roleDefinitionName: UAA });
    const groups = await assignmentOf(workspaceAdmins.id, UAA);

    // With Graph answering, the guard sees the membership and asks.
    const [asked] = await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [groups], confirmSelfLockout: false });
    expect(asked).toMatchObject({ status: "needs_confirmation" });

    const fault = await tenant.control.faults.add({ method: "POST", path: "/v1.0/me/checkMemberGroups", status: 503 });
    try {
      const [refused] = await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [groups], confirmSelfLockout: false });
      expect(refused).toMatchObject({ status: "refused", message: expect.stringContaining("could not confirm your group memberships") as string });
      expect(exists(groups)).toBe(true);
    } finally {
      await tenant.control.faults.remove(fault.id);
    }
  });

  it("two removals at once (two tabs), each of one of the admin's two empowering assignments: one goes, the other asks", async () => {
    const limited = await personaContext("limited-admin");
    // Exactly two: what earlier tests left of either is cleared first.
    for (const assignment of [...tenant.sandbox.tenant.roleAssignments.values()]) {
      const held = assignment.principalId === limited.actor.objectId || assignment.principalId === workspaceAdmins.id;
      if (held && assignment.scope.toLowerCase() === WORKSPACE.toLowerCase()) tenant.sandbox.tenant.removeRoleAssignment(assignment.name);
    }
    putTestAssignment(tenant.sandbox.tenant, { scope: WORKSPACE, principalId: limited.actor.objectId, principalType: "User", roleDefinitionName: UAA });
    putTestAssignment(tenant.sandbox.tenant, { scope: WORKSPACE, principalId: workspaceAdmins.id, principalType: "Group", roleDefinitionName: UAA });
    const direct = await assignmentOf(limited.actor.objectId, UAA);
    const viaGroup = await assignmentOf(workspaceAdmins.id, UAA);
    try {
      const results = await Promise.all(
        [direct, viaGroup].map(
          async (id) => (await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: [id], confirmSelfLockout: false }))[0]!,
        ),
      );
      expect(results.map((result) => result.status).sort()).toEqual(["needs_confirmation", "revoked"]);
      // The admin keeps one way to manage access here.
      expect([exists(direct), exists(viaGroup)].filter(Boolean)).toHaveLength(1);
    } finally {
      const left = [direct, viaGroup].filter(exists);
      if (left.length > 0) await revokeWorkspaceRoles(limited, { workspaceId: WORKSPACE, assignmentIds: left, confirmSelfLockout: true });
    }
  });

  it("Gatehouse's own identity's assignment asks a second time, naming what would stop working", async () => {
    const admin = await personaContext("admin");
    const consoles = await assignmentOf(CONSOLE_API_SERVICE_PRINCIPAL_ID, ROLE_IDS.rbacAdministrator);
    const [asked] = await revokeWorkspaceRoles(admin, { workspaceId: WORKSPACE, assignmentIds: [consoles], confirmSelfLockout: false });
    expect(asked).toMatchObject({ status: "needs_confirmation", message: expect.stringContaining("This is Gatehouse's own access") as string });
    expect(exists(consoles)).toBe(true);
  });
});
