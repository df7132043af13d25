import { afterEach, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant, EVERYONE_PRINCIPAL_ID, LIGHTHOUSE_PARTNER_TENANT_ID, SEEDED_BEYOND_ASSIGNMENTS } from "@/sandbox/tenant/index";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { personaContext } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";
import { getWorkspaceAccess } from "./get-workspace-access";
import { revokeWorkspaceRoles } from "./revoke-workspace-roles";

// The shared sandbox (seed 1) has a PIM eligibility, a PIM activation, a conditioned assignment and a deny assignment
// on mlw-fraud-prod; these tests only read them (a refused removal changes nothing).
const oracle = createTenant({ seed: 1, scale: "default" });
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const WORKSPACE = workspaceScope(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
const eligibility = oracle.roleEligibilities.get(SEEDED_BEYOND_ASSIGNMENTS.eligibility)!;
const eligibleUser = oracle.getUser(eligibility.principalId)!;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const activationRowId = `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment}`;

afterEach(() => testSandbox().faults.clear());

describe("the workspace page's view beyond role assignments (sandbox tenant)", () => {
  it("shows a PIM-eligible person as eligible, not as a role assignment, with the end of the eligibility", async () => {
    const access = await getWorkspaceAccess((await personaContext("security")).caller, WORKSPACE);
    expect(access.beyondAssignmentsNotice).toBeNull();
    expect(access.rows.some((row) => row.principalId === eligibility.principalId)).toBe(false);
    const eligible = access.eligible.find((row) => row.principalId === eligibility.principalId);
    expect(eligible).toMatchObject({
      roleName: "AzureML Data Scientist",
      origin: "workspace",
      principal: { kind: "user", displayName: eligibleUser.displayName },
    });
    // The sandbox seeds dates relative to its own start: this eligibility ends about 335 days after it.
    expect(Date.parse(eligible!.endDateTime!) - Date.now()).toBeGreaterThan(334 * DAY);
    expect(Date.parse(eligible!.endDateTime!) - Date.now()).toBeLessThan(336 * DAY);
  });

  it("marks the assignment PIM activated with its end, and shows conditions and deny assignments", async () => {
    const access = await getWorkspaceAccess((await personaContext("security")).caller, WORKSPACE);
    const activated = access.rows.find((row) => row.assignmentId.toLowerCase() === activationRowId.toLowerCase());
    expect(activated?.pim).toEqual({ assignmentType: "Activated", endDateTime: expect.any(String) as string });
    // Activated an hour before the sandbox started, for eight hours.
    expect(Date.parse(activated!.pim!.endDateTime!) - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(activated!.pim!.endDateTime!) - Date.now()).toBeLessThan(7 * HOUR);
    expect(access.rows.filter((row) => row.pim !== null)).toHaveLength(1);
    const conditioned = access.rows.find((row) => row.assignmentName === SEEDED_BEYOND_ASSIGNMENTS.conditionedAssignment);
    expect(conditioned?.condition).toContain("roleAssignments/write");
    const deny = oracle.denyAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.denyAssignment)!;
    expect(access.denies).toEqual([
      expect.objectContaining({
        name: deny.denyAssignmentName,
        origin: "workspace",
        everyone: true,
        principals: [],
        actions: deny.permissions[0]!.actions,
        systemProtected: true,
      }),
    ]);
    expect(EVERYONE_PRINCIPAL_ID).toBe("00000000-0000-0000-0000-000000000000");
  });

  it("still shows the assignments, with a notice instead of 'nobody is eligible', when the PIM list fails", async () => {
    await testSandbox().faults.add({ method: "GET", pathRegex: "roleEligibilityScheduleInstances$", status: 500, times: 20 });
    const access = await getWorkspaceAccess((await personaContext("security")).caller, WORKSPACE);
    expect(access.rows.length).toBeGreaterThan(0);
    expect(access.eligible).toEqual([]);
    expect(access.denies).toEqual([]);
    expect(access.beyondAssignmentsNotice).toContain("PIM eligibilities and deny assignments could not be read");
    expect(access.beyondAssignmentsNotice).not.toMatch(/HTTP|500|stack/i);
  });
});

describe("Azure Lighthouse", () => {
  it("names the tenants that manage the subscription through Lighthouse, and none where nobody does", async () => {
    const caller = (await personaContext("security")).caller;
    const researchWorkspace = [...oracle.workspaces.values()].find(
      (workspace) => oracle.subscriptions.get(workspace.subscriptionId)?.displayName === "Contoso ML Research",
    )!;
    const research = await getWorkspaceAccess(
      caller,
      workspaceScope(researchWorkspace.subscriptionId, researchWorkspace.resourceGroup, researchWorkspace.name),
    );
    expect(research.lighthouseTenants).toEqual([LIGHTHOUSE_PARTNER_TENANT_ID]);
    expect((await getWorkspaceAccess(caller, WORKSPACE)).lighthouseTenants).toEqual([]);
  });

  it("leaves the note out, and the page up, when the subscription cannot be read", async () => {
    await testSandbox().faults.add({ method: "GET", pathRegex: `^/subscriptions/${fraud.subscriptionId}$`, status: 500, times: 20 });
    const access = await getWorkspaceAccess((await personaContext("security")).caller, WORKSPACE);
    expect(access.lighthouseTenants).toBeNull();
    expect(access.rows.length).toBeGreaterThan(0);
  });
});

describe("removing an assignment PIM made", () => {
  it("is refused with a message that points to PIM, without calling ARM's DELETE", async () => {
    const admin = await personaContext("admin");
    const end = (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows.find((row) => row.assignmentId.toLowerCase() === activationRowId.toLowerCase())!.pim!
      .endDateTime!;
    const network = watchOutgoingCalls();
    const [result] = await revokeWorkspaceRoles(admin, { workspaceId: WORKSPACE, assignmentIds: [activationRowId], confirmSelfLockout: false });
    expect(result).toMatchObject({ status: "refused", message: expect.stringContaining("Remove it in PIM") as string });
    expect(result!.message).toContain(`until ${end.replace("T", " ").slice(0, 16)} UTC`);
    expect(network.calls().filter((call) => call.method === "DELETE")).toEqual([]);
    const after = await getWorkspaceAccess(admin.caller, WORKSPACE);
    expect(after.rows.some((row) => row.assignmentId.toLowerCase() === activationRowId.toLowerCase())).toBe(true);
  });
});
