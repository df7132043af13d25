/** PIM schedule instances, deny assignments and ABAC-conditioned assignments: what the sandbox's ARM serves and enforces. */
import { beforeEach, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { workspaceArmId } from "../tenant/arm-ids";
import { createTenant, EVERYONE_PRINCIPAL_ID, ROLE_IDS, SEEDED_BEYOND_ASSIGNMENTS, Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import { buildRequest, putTestAssignment, TEST_NOW, testSettings, userCaller, userCallerById } from "../tenant/testing/support";
import { createArmHandler } from "./index";

let tenant: Tenant;
let handler: ReturnType<typeof createArmHandler>;
let fraud: string;
let churn: string;

beforeEach(() => {
  tenant = createTenant({ seed: 5, scale: "default", now: TEST_NOW });
  handler = createArmHandler(tenant, testSettings());
  const scopeOf = (name: string) => {
    const w = [...tenant.workspaces.values()].find((x) => x.name === name)!;
    return workspaceArmId(w.subscriptionId, w.resourceGroup, w.name);
  };
  fraud = scopeOf("mlw-fraud-prod");
  churn = scopeOf("mlw-churn-prod");
});

async function call(method: string, path: string, caller: Caller = userCaller("admin"), body?: unknown, now?: Date): Promise<SandboxResponse> {
  return handler(buildRequest(method, path, { caller, body, now }));
}

type Listed = { name: string; properties: Record<string, unknown> };
const valueOf = (response: SandboxResponse) => (response.body as { value: Listed[] }).value;
const errorOf = (response: SandboxResponse) => (response.body as { error: { code: string; message: string } }).error;
const list = (scope: string, type: string, query: string, caller?: Caller, now?: Date) =>
  call("GET", `${scope}/providers/Microsoft.Authorization/${type}?${query}`, caller, undefined, now);

describe("roleEligibilityScheduleInstances and roleAssignmentScheduleInstances (2020-10-01)", () => {
  it("lists the seeded eligibilities at the workspace with atScope(), not at another workspace", async () => {
    const here = valueOf(await list(fraud, "roleEligibilityScheduleInstances", "api-version=2020-10-01&$filter=atScope()"));
    expect(here.map((item) => item.name).sort()).toEqual([SEEDED_BEYOND_ASSIGNMENTS.eligibility, SEEDED_BEYOND_ASSIGNMENTS.activatedEligibility].sort());
    const eligible = here.find((item) => item.name === SEEDED_BEYOND_ASSIGNMENTS.eligibility)!;
    expect(eligible.properties).toMatchObject({ scope: fraud, memberType: "Direct", status: "Provisioned" });
    expect(eligible.properties.roleDefinitionId).toMatch(new RegExp(`/roleDefinitions/${ROLE_IDS.dataScientist}$`));
    expect(valueOf(await list(churn, "roleEligibilityScheduleInstances", "api-version=2020-10-01&$filter=atScope()"))).toEqual([]);
  });

  it("an eligibility is not a role assignment: the role-assignment list does not show it", async () => {
    const eligibility = tenant.roleEligibilities.get(SEEDED_BEYOND_ASSIGNMENTS.eligibility)!;
    const assignments = valueOf(await list(fraud, "roleAssignments", `api-version=2022-04-01&$filter=assignedTo('${eligibility.principalId}')`));
    expect(assignments).toEqual([]);
  });

  it("an activation lists with its end, and its role assignment appears in the role-assignment list", async () => {
    const [activation] = valueOf(await list(fraud, "roleAssignmentScheduleInstances", "api-version=2020-10-01&$filter=atScope()"));
    expect(activation?.properties).toMatchObject({
      assignmentType: "Activated",
      endDateTime: new Date(TEST_NOW.getTime() + 7 * 3_600_000).toISOString(),
      linkedRoleEligibilityScheduleInstanceId: SEEDED_BEYOND_ASSIGNMENTS.activatedEligibility,
    });
    expect(activation?.properties.originRoleAssignmentId).toBe(
      `${fraud}/providers/Microsoft.Authorization/roleAssignments/${SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment}`,
    );
    const assignments = valueOf(await list(fraud, "roleAssignments", "api-version=2022-04-01&$filter=atScope()"));
    expect(assignments.map((item) => item.name)).toContain(SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment);
  });

  it("an ended activation no longer lists", async () => {
    const later = new Date(TEST_NOW.getTime() + 8 * 3_600_000);
    expect(valueOf(await list(fraud, "roleAssignmentScheduleInstances", "api-version=2020-10-01&$filter=atScope()", undefined, later))).toEqual([]);
  });

  it("assignedTo() reaches a group's eligibility through membership (memberType Group); principalId eq does not", async () => {
    const group = persona("team-lead").objectId;
    const groupId = tenant.transitiveGroupIds(group)[0]!;
    tenant.addRoleEligibility({
      name: "7a000000-0000-4000-8000-000000000001",
      scheduleName: "7a000000-0000-4000-8000-000000000002",
      scope: fraud,
      roleDefinitionName: ROLE_IDS.contributor,
      principalId: groupId,
      principalType: "Group",
      startDateTime: "2026-01-01T00:00:00.000Z",
      endDateTime: null,
      condition: null,
      conditionVersion: null,
      createdOn: "2026-01-01T00:00:00.000Z",
    });
    const viaGroup = valueOf(await list(fraud, "roleEligibilityScheduleInstances", `api-version=2020-10-01&$filter=assignedTo('${group}')`));
    expect(viaGroup.map((item) => [item.name, item.properties.memberType])).toEqual([["7a000000-0000-4000-8000-000000000001", "Group"]]);
    expect(valueOf(await list(fraud, "roleEligibilityScheduleInstances", `api-version=2020-10-01&$filter=principalId eq '${group}'`))).toEqual([]);
    // assignedTo() takes a user or service principal, not a group; principalId eq lists a group's own.
    const refused = await list(fraud, "roleEligibilityScheduleInstances", `api-version=2020-10-01&$filter=assignedTo('${groupId}')`);
    expect(refused.status).toBe(400);
    expect(errorOf(refused).code).toBe("InvalidFilterInQueryString");
    const own = valueOf(await list(fraud, "roleEligibilityScheduleInstances", `api-version=2020-10-01&$filter=principalId eq '${groupId}'`));
    expect(own.map((item) => item.name)).toEqual(["7a000000-0000-4000-8000-000000000001"]);
  });

  it("refuses an unknown filter and an unknown api-version with ARM's error bodies", async () => {
    const filter = await list(fraud, "roleEligibilityScheduleInstances", "api-version=2020-10-01&$filter=roleDefinitionId eq 'x'");
    expect(filter.status).toBe(400);
    expect(errorOf(filter).code).toBe("InvalidFilterInQueryString");
    const version = await list(fraud, "roleAssignmentScheduleInstances", "api-version=2022-04-01");
    expect(version.status).toBe(400);
    expect(errorOf(version)).toEqual({
      code: "NoRegisteredProviderFound",
      message: expect.stringContaining("API version '2022-04-01' for type 'roleAssignmentScheduleInstances'") as string,
    });
    const missing = await list(fraud, "roleEligibilityScheduleInstances", "$filter=atScope()");
    expect(errorOf(missing).code).toBe("MissingApiVersionParameter");
  });

  it("needs read permission at the scope", async () => {
    const response = await list(fraud, "roleEligibilityScheduleInstances", "api-version=2020-10-01", userCaller("no-role"));
    expect(response.status).toBe(403);
    expect(errorOf(response).code).toBe("AuthorizationFailed");
  });
});

describe("PIM-managed role assignments", () => {
  it("a plain DELETE of the role assignment behind an activation is refused and changes nothing", async () => {
    const path = `${fraud}/providers/Microsoft.Authorization/roleAssignments/${SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment}?api-version=2022-04-01`;
    const response = await call("DELETE", path);
    expect(response.status).toBe(400);
    expect(errorOf(response).code).toBe("RoleAssignmentManagedByPim");
    expect(tenant.roleAssignments.has(SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment)).toBe(true);
  });
});

describe("deny assignments (2022-04-01)", () => {
  it("lists the seeded deny assignment at the workspace, with its principals, and filters by name", async () => {
    const [deny] = valueOf(await list(fraud, "denyAssignments", "api-version=2022-04-01&$filter=atScope()"));
    expect(deny?.name).toBe(SEEDED_BEYOND_ASSIGNMENTS.denyAssignment);
    expect(deny?.properties).toMatchObject({ principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }], isSystemProtected: true });
    const name = deny?.properties.denyAssignmentName as string;
    const byName = valueOf(
      await list(fraud, "denyAssignments", `api-version=2022-04-01&$filter=${encodeURIComponent(`denyAssignmentName eq '${name.replace(/'/g, "''")}'`)}`),
    );
    expect(byName).toHaveLength(1);
    expect(valueOf(await list(churn, "denyAssignments", "api-version=2022-04-01&$filter=atScope()"))).toEqual([]);
  });

  it("gdprExportPrincipalId returns only name and description; a bad filter and api-version are refused", async () => {
    const me = persona("team-lead").objectId;
    tenant.addDenyAssignment({
      name: "7d000000-0000-4000-8000-000000000001",
      denyAssignmentName: "Excluded lead",
      description: "x",
      scope: churn,
      permissions: [{ actions: ["*/delete"], notActions: [], dataActions: [], notDataActions: [] }],
      principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }],
      excludePrincipals: [{ id: me, type: "User" }],
      doNotApplyToChildScopes: false,
      isSystemProtected: true,
      createdOn: "2026-01-01T00:00:00.0000000Z",
    });
    const gdpr = valueOf(await list(churn, "denyAssignments", `api-version=2022-04-01&$filter=${encodeURIComponent(`gdprExportPrincipalId eq '${me}'`)}`));
    expect(gdpr).toEqual([{ properties: { denyAssignmentName: "Excluded lead", description: "x" } }]);
    expect(errorOf(await list(churn, "denyAssignments", "api-version=2022-04-01&$filter=assignedTo('x')")).code).toBe("InvalidFilterInQueryString");
    expect(errorOf(await list(churn, "denyAssignments", "api-version=2020-10-01")).code).toBe("NoRegisteredProviderFound");
  });

  it("overrides a role assignment: an Owner is refused a denied action, and an excluded principal is not", async () => {
    const workspacePath = `${churn}?api-version=2024-10-01`;
    expect((await call("GET", workspacePath)).status).toBe(200);
    tenant.addDenyAssignment({
      name: "7d000000-0000-4000-8000-000000000002",
      denyAssignmentName: "No reads",
      description: "",
      scope: churn,
      permissions: [{ actions: ["Microsoft.MachineLearningServices/workspaces/read"], notActions: [], dataActions: [], notDataActions: [] }],
      principals: [{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }],
      excludePrincipals: [{ id: persona("security").objectId, type: "User" }],
      doNotApplyToChildScopes: false,
      isSystemProtected: true,
      createdOn: "2026-01-01T00:00:00.0000000Z",
    });
    const refused = await call("GET", workspacePath);
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe("AuthorizationFailed");
    expect((await call("GET", workspacePath, userCaller("security"))).status).toBe(200);
  });
});

describe("ABAC conditions", () => {
  it("a conditioned assignment is listed with its condition and never manages role assignments here", async () => {
    const conditioned = tenant.roleAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.conditionedAssignment)!;
    const listed = valueOf(await list(fraud, "roleAssignments", "api-version=2022-04-01&$filter=atScope()")).find(
      (item) => item.name === SEEDED_BEYOND_ASSIGNMENTS.conditionedAssignment,
    );
    expect(listed?.properties).toMatchObject({ condition: expect.stringContaining("roleAssignments/write") as string, conditionVersion: "2.0" });
    const holder = userCallerById(conditioned.principalId);
    const put = await call(
      "PUT",
      `${fraud}/providers/Microsoft.Authorization/roleAssignments/7e000000-0000-4000-8000-000000000001?api-version=2022-04-01`,
      holder,
      {
        properties: {
          roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.dataScientist}`,
          principalId: persona("no-role").objectId,
          principalType: "User",
        },
      },
    );
    expect(put.status).toBe(403);
    // Without the condition the same role manages access.
    putTestAssignment(tenant, { scope: fraud, principalId: conditioned.principalId, principalType: "User", roleDefinitionName: ROLE_IDS.rbacAdministrator });
    tenant.removeRoleAssignment(conditioned.name);
    const allowed = await call(
      "PUT",
      `${fraud}/providers/Microsoft.Authorization/roleAssignments/7e000000-0000-4000-8000-000000000002?api-version=2022-04-01`,
      holder,
      {
        properties: {
          roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.dataScientist}`,
          principalId: persona("no-role").objectId,
          principalType: "User",
        },
      },
    );
    expect(allowed.status).toBe(201);
  });
});

describe("persistence", () => {
  it("a snapshot keeps eligibilities, activations and deny assignments", () => {
    const restored = Tenant.restore(tenant.snapshot());
    expect([...restored.roleEligibilities.keys()].sort()).toEqual([...tenant.roleEligibilities.keys()].sort());
    expect(restored.pimScheduleOfRoleAssignment(SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment)?.name).toBe(SEEDED_BEYOND_ASSIGNMENTS.activation);
    expect(restored.denyAssignments.get(SEEDED_BEYOND_ASSIGNMENTS.denyAssignment)?.principals).toEqual([{ id: EVERYONE_PRINCIPAL_ID, type: "SystemDefined" }]);
  });
});
