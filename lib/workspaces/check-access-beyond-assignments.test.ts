/**
 * Check access beyond role assignments, on a sandbox tenant of this file's own (it adds PIM eligibilities and deny
 * assignments): an eligible person reads as eligible, never as "no access"; deny assignments that name the person
 * (directly, through a group, or everyone) are shown and those that exclude them are not; conditions and PIM ends show.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, EVERYONE_PRINCIPAL_ID, ROLE_IDS, SEEDED_BEYOND_ASSIGNMENTS } from "@/sandbox/tenant/index";
import { persona } from "@/sandbox/tenant/personas";
import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { checkWorkspaceAccess } = await import("@/lib/workspaces/check-workspace-access");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const WORKSPACE = workspaceScope(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
const group = (name: string) => [...oracle.groups.values()].find((candidate) => candidate.displayName === name)!;
const eligibleId = oracle.roleEligibilities.get(SEEDED_BEYOND_ASSIGNMENTS.eligibility)!.principalId;
const activatedId = oracle.roleAssignmentSchedules.get(SEEDED_BEYOND_ASSIGNMENTS.activation)!.principalId;
const conditionedId = oracle.roleAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.conditionedAssignment)!.principalId;
const seededDeny = oracle.denyAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.denyAssignment)!;
const teamLead = persona("team-lead").objectId;

afterAll(async () => {
  await tenant.close();
});

async function check(principalId: string) {
  return checkWorkspaceAccess((await personaContext("security")).caller, WORKSPACE, principalId);
}

describe("check access beyond role assignments", () => {
  it("a PIM-eligible person with no role is eligible (PIM), not without access, and the deny assignment for everyone applies", async () => {
    const access = await check(eligibleId);
    expect(access.grants).toEqual([]);
    expect(access.eligible).toEqual([
      expect.objectContaining({ roleName: "AzureML Data Scientist", origin: "workspace", throughGroup: null, endDateTime: expect.any(String) as string }),
    ]);
    expect(access.denies.map((deny) => [deny.name, deny.everyone])).toEqual([[seededDeny.denyAssignmentName, true]]);
    expect(access.beyondAssignmentsNotice).toBeNull();
  });

  it("an activated role shows with its end, and an assignment's condition shows", async () => {
    const activated = await check(activatedId);
    expect(activated.grants).toEqual([
      expect.objectContaining({ roleName: "AzureML Compute Operator", pim: { assignmentType: "Activated", endDateTime: expect.any(String) as string } }),
    ]);
    expect(activated.eligible.map((grant) => grant.roleName)).toEqual(["AzureML Compute Operator"]);
    const conditioned = await check(conditionedId);
    expect(conditioned.grants).toEqual([
      expect.objectContaining({ roleName: "Role Based Access Control Administrator", condition: expect.stringContaining("GuidEquals") as string, pim: null }),
    ]);
  });

  it("eligibility through a nested group names the group; deny assignments through groups apply, exclusions through groups spare", async () => {
    const allStaff = group("All ML Staff");
    await tenant.control.pim.addEligibility({ scope: WORKSPACE, principalId: allStaff.id, principalType: "Group", roleDefinitionId: ROLE_IDS.contributor });
    await tenant.control.addDenyAssignment({
      scope: WORKSPACE,
      denyAssignmentName: "Managed application lock",
      actions: ["Microsoft.MachineLearningServices/workspaces/computes/delete"],
      principals: [{ id: group("Data Scientists").id, type: "Group" }],
    });
    await tenant.control.addDenyAssignment({
      scope: WORKSPACE,
      denyAssignmentName: "Everyone but fraud scientists",
      actions: ["*/write"],
      principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }],
      excludePrincipals: [{ id: group("DS - Fraud").id, type: "Group" }],
    });
    const access = await check(teamLead);
    expect(access.eligible).toEqual([expect.objectContaining({ roleName: "Contributor", throughGroup: { id: allStaff.id, displayName: "All ML Staff" } })]);
    expect(access.denies.map((deny) => deny.name).sort()).toEqual([seededDeny.denyAssignmentName, "Managed application lock"].sort());
    // Someone outside those groups is named by neither group deny, and the "everyone but" one applies to them.
    const outsider = await check(eligibleId);
    expect(access.grants.length).toBeGreaterThan(0);
    expect(outsider.denies.map((deny) => deny.name).sort()).toEqual(["Everyone but fraud scientists", seededDeny.denyAssignmentName].sort());
  });

  it("for a group, keeps the eligibilities on it and on the groups it is in (ARM's assignedTo() takes no group)", async () => {
    // "All ML Staff" holds a Contributor eligibility from the test above; "DS - Fraud" is in it through "Data Scientists".
    const dsFraud = group("DS - Fraud");
    await tenant.control.pim.addEligibility({ scope: WORKSPACE, principalId: dsFraud.id, principalType: "Group", roleDefinitionId: ROLE_IDS.reader });
    const access = await check(dsFraud.id);
    expect(access.eligible.map((grant) => [grant.roleName, grant.throughGroup?.displayName ?? "own"]).sort()).toEqual(
      [
        ["Contributor", "All ML Staff"],
        ["Reader", "own"],
      ].sort(),
    );
    expect(access.eligible.some((grant) => grant.roleName === "AzureML Data Scientist")).toBe(false);
  });

  it("says PIM and deny assignments are unknown, instead of 'none', when ARM fails to list them", async () => {
    const fault = await tenant.control.faults.add({ method: "GET", pathRegex: "denyAssignments$", status: 500 });
    try {
      const access = await check(eligibleId);
      expect(access.eligible).toEqual([]);
      expect(access.denies).toEqual([]);
      expect(access.beyondAssignmentsNotice).toContain("could not be read");
    } finally {
      await tenant.control.faults.remove(fault.id);
    }
  });
});
