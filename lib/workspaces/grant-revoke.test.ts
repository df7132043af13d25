import { describe, expect, it } from "vitest";

import { searchAuditEvents } from "@/lib/audit";
import { getDatabase } from "@/lib/db";
import { listedAssignmentApplies, workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant } from "@/sandbox/tenant/index";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { testSandbox } from "@/test/support/sandbox-control";
import { personaContext } from "@/test/support/persona-token";
import { searchPrincipals } from "@/lib/graph/search-principals";
import { checkWorkspaceAccess } from "./check-workspace-access";
import { getWorkspaceAccess, readWorkspaceAccess } from "./get-workspace-access";
import { assignmentNameFor, grantWorkspaceRoles } from "./grant-workspace-roles";
import { revokeWorkspaceRoles } from "./revoke-workspace-roles";

const DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
const MFA_CLAIMS = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });
const COMPUTE_OPERATOR = "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815";
// Tests in other files read the shared sandbox at the same time, so changes happen only on this workspace, which
// they leave out (see MUTATED_BY_OTHER_TESTS in workspaces.test.ts).
export const MUTATED_WORKSPACE = "mlw-churn-prod";
const oracle = createTenant({ seed: 1, scale: "default" });
const target = [...oracle.workspaces.values()].find((workspace) => workspace.name === MUTATED_WORKSPACE)!;
const WORKSPACE = workspaceScope(target.subscriptionId, target.resourceGroup, target.name);
const atWorkspace = [...oracle.roleAssignments.values()].filter((assignment) => assignment.scope.toLowerCase() === WORKSPACE.toLowerCase());
const holdsSomethingHere = new Set(atWorkspace.map((assignment) => assignment.principalId));
const PERSONA_UPN = /^(admin|limited-admin|team-lead|security|no-role|step-up-admin)@/;
const someUser = [...oracle.users.values()].find((user) => !PERSONA_UPN.test(user.userPrincipalName) && !holdsSomethingHere.has(user.id))!;
const stepUpTarget = [...oracle.users.values()].find(
  (user) => !PERSONA_UPN.test(user.userPrincipalName) && !holdsSomethingHere.has(user.id) && user.id !== someUser.id,
)!;
const someGroup = [...oracle.groups.values()].find((group) => !holdsSomethingHere.has(group.id))!;
const existingGroupGrant = atWorkspace.find((assignment) => assignment.principalType === "Group")!;
// Check access reads this workspace (seeded, never changed here) and its group "DS - Fraud".
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const fraudScope = workspaceScope(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
const dsFraud = [...oracle.groups.values()].find((candidate) => candidate.displayName === "DS - Fraud")!;
const dsFraudMember = oracle.transitiveMemberIds(dsFraud.id).find((id) => oracle.users.has(id))!;

async function eventsFor(principalId: string) {
  return (await searchAuditEvents(await getDatabase(), { principalId }, { size: 50 })).events.map((event) => `${event.action}:${event.outcome}`).reverse();
}

describe("granting and revoking on a workspace (sandbox tenant, as the signed-in admin)", () => {
  it("grants a role to a user and a group, each with its own result and audit trail", async () => {
    const admin = await personaContext("admin");
    const results = await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [
        { id: someUser.id, kind: "user", displayName: someUser.displayName },
        { id: someGroup.id, kind: "group", displayName: someGroup.displayName },
      ],
      description: "fraud model retraining",
    });
    expect(results.map((result) => result.status)).toEqual(["granted", "granted"]);
    expect(results[0]!.reference).toMatch(/^[0-9a-f-]{36}$/);

    const access = await getWorkspaceAccess(admin.caller, WORKSPACE);
    const granted = access.rows.filter(
      (row) => row.roleDefinitionId === DATA_SCIENTIST && row.origin === "workspace" && [someUser.id, someGroup.id].includes(row.principalId),
    );
    expect(granted.map((row) => row.assignmentName).sort()).toEqual(
      [assignmentNameFor(WORKSPACE, someUser.id, DATA_SCIENTIST), assignmentNameFor(WORKSPACE, someGroup.id, DATA_SCIENTIST)].sort(),
    );
    expect(granted.find((row) => row.principalId === someGroup.id)?.principalType).toBe("Group");
    // The page reads Gatehouse's holders beside ARM's calls, a removal after ARM's list: both see the same rows and holders.
    const viewed = await readWorkspaceAccess(admin.caller, WORKSPACE).access;
    expect(viewed.rows).toEqual(access.rows);
    expect(viewed.rows.find((row) => row.principalId === someUser.id && row.roleDefinitionId === DATA_SCIENTIST)?.heldBy.map((holder) => holder.kind)).toEqual([
      "direct",
    ]);
    expect(await eventsFor(someUser.id)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
    ]);
  });

  it("never duplicates an assignment: the same grant again reads it first, says it exists and changes nothing", async () => {
    const admin = await personaContext("admin");
    const before = (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows;
    const [again] = await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: someUser.id, kind: "user", displayName: someUser.displayName }],
    });
    expect(again).toMatchObject({ status: "already_granted", existedBefore: true });
    expect(again!.message).toContain("through an assignment Gatehouse made earlier");
    const after = (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows;
    expect(after.length).toBe(before.length);
    // One direct holder, made by the first grant: the second adds none.
    expect(after.find((row) => row.principalId === someUser.id && row.roleDefinitionId === DATA_SCIENTIST)?.heldBy.map((holder) => holder.label)).toEqual([
      "Direct grant by admin@contosoml.onmicrosoft.com",
    ]);
  });

  it("reports an equivalent assignment made elsewhere (409 RoleAssignmentExists) as already granted", async () => {
    const admin = await personaContext("admin");
    // A seeded group assignment, made under a name Gatehouse did not choose.
    const [result] = await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: existingGroupGrant.roleDefinitionName,
      principals: [{ id: existingGroupGrant.principalId, kind: "group", displayName: "seeded group" }],
    });
    expect(result).toMatchObject({ status: "already_granted" });
  });

  it("turns ARM's 403 for an admin without Azure rights into a clear message, and changes nothing", async () => {
    const limited = await personaContext("limited-admin");
    const before = (await getWorkspaceAccess(limited.caller, WORKSPACE)).rows.length;
    const [result] = await grantWorkspaceRoles(limited, {
      workspaceId: WORKSPACE,
      roleDefinitionId: COMPUTE_OPERATOR,
      principals: [{ id: someUser.id, kind: "user", displayName: someUser.displayName }],
    });
    expect(result).toMatchObject({
      status: "failed",
      message: `You (limited-admin@contosoml.onmicrosoft.com) can't manage access on ${MUTATED_WORKSPACE}: that needs Microsoft.Authorization/roleAssignments/write, which your Azure roles don't include.`,
    });
    expect((await getWorkspaceAccess(limited.caller, WORKSPACE)).rows.length).toBe(before);
    const failed = (await searchAuditEvents(await getDatabase(), { actions: ["role_assignment.grant_failed"] }, { size: 10 })).events;
    expect(failed[0]).toMatchObject({ errorCode: "AuthorizationFailed", outcome: "failed", correlation: { armRequestId: expect.any(String) as string } });
  });

  it("asks for a new sign-in with ARM's MFA claims when Azure demands them, changes nothing, and grants and revokes after an MFA sign-in", async () => {
    const passwordOnly = await personaContext("step-up-admin");
    const target = { id: stepUpTarget.id, kind: "user" as const, displayName: stepUpTarget.displayName };
    const [challenged] = await grantWorkspaceRoles(passwordOnly, { workspaceId: WORKSPACE, roleDefinitionId: COMPUTE_OPERATOR, principals: [target] });
    // Entra echoes the claims MSAL sent: ARM's challenge, merged with MSAL's own id_token claims.
    expect(challenged?.status).toBe("failed");
    expect(JSON.parse(challenged!.claims!)).toMatchObject(JSON.parse(MFA_CLAIMS));
    expect(challenged!.message).toMatch(/sign in again, with multi-factor authentication/);
    expect(challenged!.message).not.toMatch(/expired/);
    const name = assignmentNameFor(WORKSPACE, stepUpTarget.id, COMPUTE_OPERATOR);
    const before = await getWorkspaceAccess(passwordOnly.caller, WORKSPACE);
    expect(before.rows.some((row) => row.assignmentName === name)).toBe(false);
    expect((await eventsFor(stepUpTarget.id)).slice(-2)).toEqual(["role_assignment.grant_requested:succeeded", "role_assignment.grant_failed:failed"]);

    const withMfa = await personaContext("step-up-admin", { claims: MFA_CLAIMS });
    const [granted] = await grantWorkspaceRoles(withMfa, { workspaceId: WORKSPACE, roleDefinitionId: COMPUTE_OPERATOR, principals: [target] });
    expect(granted?.status).toBe("granted");
    const row = (await getWorkspaceAccess(withMfa.caller, WORKSPACE)).rows.find((candidate) => candidate.assignmentName === name)!;
    const [refused] = await revokeWorkspaceRoles(passwordOnly, { workspaceId: WORKSPACE, assignmentIds: [row.assignmentId], confirmSelfLockout: false });
    expect(refused?.status).toBe("failed");
    expect(JSON.parse(refused!.claims!)).toMatchObject(JSON.parse(MFA_CLAIMS));
    const [revoked] = await revokeWorkspaceRoles(withMfa, { workspaceId: WORKSPACE, assignmentIds: [row.assignmentId], confirmSelfLockout: false });
    expect(revoked?.status).toBe("revoked");
  });

  it("revokes a direct assignment, refuses an inherited one, and cleans up an orphan", async () => {
    const admin = await personaContext("admin");
    const rows = (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows;
    const userRow = rows.find((row) => row.principalId === someUser.id && row.roleDefinitionId === DATA_SCIENTIST)!;
    const inherited = rows.find((row) => row.origin === "subscription")!;
    const orphan = rows.find((row) => row.principal === null && row.origin === "workspace")!;
    const results = await revokeWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      assignmentIds: [userRow.assignmentId, inherited.assignmentId, orphan.assignmentId],
      confirmSelfLockout: false,
    });
    expect(results.map((result) => result.status)).toEqual(["revoked", "refused", "revoked"]);
    expect(results[1]!.message).toContain("Inherited from the subscription");
    const after = (await getWorkspaceAccess(admin.caller, WORKSPACE)).rows.map((row) => row.assignmentId);
    expect(after).not.toContain(userRow.assignmentId);
    expect(after).not.toContain(orphan.assignmentId);
    expect(after).toContain(inherited.assignmentId);

    const [again] = await revokeWorkspaceRoles(admin, { workspaceId: WORKSPACE, assignmentIds: [userRow.assignmentId], confirmSelfLockout: false });
    expect(again!.status).toBe("already_gone");
    expect(await eventsFor(someUser.id)).toEqual([
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      "assignment.holder_added:succeeded",
      // the same grant again: it existed, and the direct holder was already there
      "role_assignment.grant_requested:succeeded",
      "role_assignment.granted:succeeded",
      // the limited admin's attempt, refused by ARM
      "role_assignment.grant_requested:succeeded",
      "role_assignment.grant_failed:failed",
      "role_assignment.revoke_requested:succeeded",
      "role_assignment.revoked:succeeded",
      "assignment.holder_released:succeeded",
    ]);
  });
});

describe("checking access and finding principals", () => {
  it("calls ARM only for what each change needs: a grant reads then PUTs; a confirmed removal re-reads the access and DELETEs, with no role definitions read again", async () => {
    const admin = await personaContext("admin");
    const user = [...oracle.users.values()].find(
      (candidate) =>
        !PERSONA_UPN.test(candidate.userPrincipalName) &&
        !holdsSomethingHere.has(candidate.id) &&
        ![someUser.id, stepUpTarget.id].includes(candidate.id) &&
        candidate.accountEnabled,
    )!;
    // Role definitions read once beforehand (cached per person and scope), as the page the admin acts from has.
    await getWorkspaceAccess(admin.caller, WORKSPACE);
    const armCalls = (network: ReturnType<typeof watchOutgoingCalls>) =>
      network
        .calls()
        .filter((call) => /^\/+subscriptions\//.test(call.path))
        .map((call) => `${call.method} ${/\/providers\/Microsoft\.Authorization\/(\w+)/i.exec(call.path)?.[1] ?? "resource"}`);
    const granting = watchOutgoingCalls();
    const [granted] = await grantWorkspaceRoles(admin, {
      workspaceId: WORKSPACE,
      roleDefinitionId: DATA_SCIENTIST,
      principals: [{ id: user.id, kind: "user", displayName: user.displayName }],
    });
    expect(granted!.status).toBe("granted");
    expect(armCalls(granting)).toEqual(["GET roleAssignments", "PUT roleAssignments"]);

    const removing = watchOutgoingCalls();
    const assignmentId = `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${assignmentNameFor(WORKSPACE, user.id, DATA_SCIENTIST)}`;
    const [revoked] = await revokeWorkspaceRoles(admin, { workspaceId: WORKSPACE, assignmentIds: [assignmentId], confirmSelfLockout: true });
    expect(revoked!.status).toBe("revoked");
    const calls = armCalls(removing);
    expect(calls.filter((call) => call === "GET roleDefinitions")).toEqual([]);
    expect(calls.filter((call) => call.startsWith("DELETE"))).toEqual(["DELETE roleAssignments"]);
    expect(calls.at(-1)).toBe("DELETE roleAssignments");
  });

  it("explains a role that reaches a person through a group", async () => {
    const security = await personaContext("security");
    const access = await checkWorkspaceAccess(security.caller, fraudScope, dsFraudMember);
    const viaGroup = access.grants.find((grant) => grant.roleDefinitionId === DATA_SCIENTIST && grant.assignedTo.id === dsFraud.id);
    expect(viaGroup).toMatchObject({ origin: "workspace", roleName: "AzureML Data Scientist", assignedTo: { displayName: "DS - Fraud" } });
    expect(viaGroup!.via!.length).toBeGreaterThan(0);
    expect(viaGroup!.via!.at(-1)!.id).toBe(dsFraud.id);
  });

  it("checks a group's access with atScope() (ARM refuses assignedTo() for a group): its own roles and those of the groups it is in", async () => {
    const security = await personaContext("security");
    const allStaff = [...oracle.groups.values()].find((candidate) => candidate.displayName === "All ML Staff")!;
    const reaching = new Set([dsFraud.id, ...oracle.transitiveGroupIds(dsFraud.id)].map((id) => id.toLowerCase()));
    const expected = [...oracle.roleAssignments.values()].filter(
      (assignment) => reaching.has(assignment.principalId.toLowerCase()) && listedAssignmentApplies(assignment.scope, fraudScope),
    );
    const network = watchOutgoingCalls();
    const access = await checkWorkspaceAccess(security.caller, fraudScope, dsFraud.id);
    expect(access.principal).toMatchObject({ id: dsFraud.id, kind: "group" });
    expect(access.grants.map((grant) => `${grant.assignedTo.id}|${grant.roleDefinitionId}|${grant.scope}`).sort()).toEqual(
      expected.map((assignment) => `${assignment.principalId}|${assignment.roleDefinitionName}|${assignment.scope}`).sort(),
    );
    expect(access.grants.find((grant) => grant.roleDefinitionId === DATA_SCIENTIST && grant.assignedTo.id === dsFraud.id)).toMatchObject({ via: [] });
    // All ML Staff's Compute Operator reaches DS - Fraud through Data Scientists.
    expect(
      access.grants.find((grant) => grant.roleDefinitionId === COMPUTE_OPERATOR && grant.assignedTo.id === allStaff.id)?.via?.map((step) => step.displayName),
    ).toEqual(["Data Scientists", "All ML Staff"]);
    const filters = network
      .calls()
      .filter((call) => /\/roleassignments(\?|$)/i.test(call.path))
      .map((call) => new URL(call.path.replace(/^\/+/, "/"), "https://arm.invalid").searchParams.get("$filter"));
    // The list asked for beside the lookup, as for a user, is refused for a group and dropped; the grants above are
    // atScope()'s.
    expect(filters).toEqual([`atScope() and assignedTo('${dsFraud.id}')`, "atScope()"]);
  });

  it("asks for a user's assignments while the user is being looked up, and waits for the lookup before answering", async () => {
    const security = await personaContext("security");
    // Once as it comes (and to have the role definitions cached, so PIM's list is asked for as soon as the lookup answers).
    const expected = await checkWorkspaceAccess(security.caller, fraudScope, dsFraudMember);
    const slowLookup = await testSandbox().faults.add({ method: "POST", path: "/v1.0/directoryObjects/getByIds", latencyMs: 1500, times: 1 });
    try {
      const network = watchOutgoingCalls();
      expect(await checkWorkspaceAccess(security.caller, fraudScope, dsFraudMember)).toEqual(expected);
      const events = network.events().map((event) => `${event.kind} ${event.call.path}`);
      const listAnswered = events.findIndex((event) => event.startsWith("finish ") && /\/roleAssignments\?/i.test(event));
      const pimAsked = events.findIndex((event) => event.startsWith("start ") && event.includes("/roleEligibilityScheduleInstances"));
      expect(listAnswered).toBeGreaterThan(-1);
      expect(pimAsked).toBeGreaterThan(-1);
      // PIM's list needs the principal: it is asked for only after the lookup has answered, and the assignments were in before.
      expect(listAnswered).toBeLessThan(pimAsked);
    } finally {
      await testSandbox().faults.remove(slowLookup.id);
    }
  });

  it("checks a user's access at and above the workspace with atScope() and assignedTo()", async () => {
    const security = await personaContext("security");
    const network = watchOutgoingCalls();
    const access = await checkWorkspaceAccess(security.caller, fraudScope, someUser.id);
    const filters = network
      .calls()
      .filter((call) => /\/roleassignments(\?|$)/i.test(call.path))
      .map((call) => new URL(call.path.replace(/^\/+/, "/"), "https://arm.invalid").searchParams.get("$filter"));
    expect(filters).toEqual([`atScope() and assignedTo('${someUser.id}')`]);
    const reaching = new Set([someUser.id, ...oracle.transitiveGroupIds(someUser.id)].map((id) => id.toLowerCase()));
    const expected = [...oracle.roleAssignments.values()].filter(
      (assignment) => reaching.has(assignment.principalId.toLowerCase()) && listedAssignmentApplies(assignment.scope, fraudScope),
    );
    expect(access.grants).toHaveLength(expected.length);
  });

  it("finds people by name and by object id", async () => {
    const admin = await personaContext("admin");
    const byName = await searchPrincipals(admin.caller, "Avery", ["user", "group", "servicePrincipal"]);
    expect(byName.map((principal) => principal.secondaryId)).toContain("admin@contosoml.onmicrosoft.com");
    const byId = await searchPrincipals(admin.caller, someGroup.id, ["group"]);
    expect(byId).toEqual([expect.objectContaining({ id: someGroup.id, kind: "group" })]);
  });
});
