import { beforeEach, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse, SandboxSettings } from "../contract";
import { managementGroupArmId, subscriptionOfScope, workspaceArmId } from "../tenant/arm-ids";
import { createTenant, CUSTOM_ROLE_IDS, ROLE_IDS, Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import { FRESH_PRINCIPAL_REPLICATION_LAG_MS, SEEDED_PARTNER } from "../tenant/seed";
import { appCaller, buildRequest, putTestAssignment, TEST_NOW, TEST_ORIGIN, testSettings, userCaller, userCallerById } from "../tenant/testing/support";
import { actionMatches } from "./authorize";
import { createArmHandler } from "./index";

const API = "api-version=2022-04-01";
let tenant: Tenant;
let settings: SandboxSettings;
let handler: ReturnType<typeof createArmHandler>;

beforeEach(() => {
  tenant = createTenant({ seed: 11, scale: "default", now: TEST_NOW });
  settings = testSettings();
  handler = createArmHandler(tenant, settings);
});

async function call(method: string, path: string, caller: Caller, body?: unknown, now?: Date): Promise<SandboxResponse> {
  return handler(buildRequest(method, path, { caller, body, now }));
}

function bodyOf(response: SandboxResponse): Record<string, unknown> {
  return response.body as Record<string, unknown>;
}

function errorOf(response: SandboxResponse): { code: string; message: string } {
  return (response.body as { error: { code: string; message: string } }).error;
}

function subscription(displayName: string): string {
  const found = [...tenant.subscriptions.values()].find((s) => s.displayName === displayName);
  if (!found) throw new Error(displayName);
  return found.subscriptionId;
}

function workspaceScope(name: string): string {
  const w = [...tenant.workspaces.values()].find((x) => x.name === name);
  if (!w) throw new Error(name);
  return workspaceArmId(w.subscriptionId, w.resourceGroup, w.name);
}

const prod = () => subscription("Contoso ML Production");
const roleDefinitionId = (roleId: string) => `/subscriptions/${prod()}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
const NEW_NAME = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const OTHER_NAME = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";

function createBody(principalId: string, roleId: string = ROLE_IDS.dataScientist, principalType?: string) {
  return { properties: { roleDefinitionId: roleDefinitionId(roleId), principalId, ...(principalType ? { principalType } : {}) } };
}

describe("ARM wildcard actions", () => {
  it("matches ARM's patterns", () => {
    expect(actionMatches("*", "Microsoft.Authorization/roleAssignments/write")).toBe(true);
    expect(actionMatches("*/read", "Microsoft.Resources/subscriptions/read")).toBe(true);
    expect(actionMatches("*/read", "Microsoft.Authorization/roleAssignments/write")).toBe(false);
    expect(actionMatches("Microsoft.Authorization/*/read", "Microsoft.Authorization/roleAssignments/read")).toBe(true);
    expect(actionMatches("Microsoft.Authorization/*/Write", "microsoft.authorization/roleassignments/write")).toBe(true);
    expect(actionMatches("Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/workspaces/read")).toBe(true);
    expect(actionMatches("Microsoft.MachineLearningServices/workspaces/*/read", "Microsoft.MachineLearningServices/registries/read")).toBe(false);
  });
});

describe("subscriptions, resource groups and workspaces", () => {
  it("lists only subscriptions the caller holds a role in", async () => {
    const names = async (caller: Caller) =>
      (bodyOf(await call("GET", "/subscriptions?api-version=2022-12-01", caller)).value as { displayName: string }[]).map((s) => s.displayName).sort();
    expect(await names(userCaller("security"))).toEqual(["Contoso ML Development", "Contoso ML Production", "Contoso ML Research"]);
    expect(await names(userCaller("admin"))).toContain("Contoso ML Production");
    expect(await names(userCaller("limited-admin"))).toEqual(["Contoso ML Development", "Contoso ML Production"]);
    // No-role's own grant is in Development; its DS - Churn group holds Data Scientist on a Production workspace.
    expect(await names(userCaller("no-role"))).toEqual(["Contoso ML Development", "Contoso ML Production"]);
    expect(await names(userCallerById("00000000-0000-4000-8000-000000000bad"))).toEqual([]);
  });

  it("lists workspaces by subscription and resource group, and gets one", async () => {
    const bySub = await call(
      "GET",
      `/subscriptions/${prod()}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2024-10-01`,
      userCaller("admin"),
    );
    expect(bySub.status).toBe(200);
    expect((bodyOf(bySub).value as unknown[]).length).toBe(6); // 5 and mlw-forecast-muc, in a resource group named in Unicode
    const byRg = await call(
      "GET",
      `/subscriptions/${prod()}/resourceGroups/rg-ml-prod-eastus/providers/Microsoft.MachineLearningServices/workspaces?api-version=2024-10-01`,
      userCaller("admin"),
    );
    expect((bodyOf(byRg).value as { name: string }[]).map((w) => w.name)).toEqual(["mlw-fraud-prod", "mlw-churn-prod", "mlw-forecast-prod"]);
    // Paths are case-insensitive and may start with several slashes; answers use canonical casing.
    const one = await call(
      "GET",
      `//SUBSCRIPTIONS/${prod()}/resourcegroups/RG-ML-PROD-EASTUS/providers/microsoft.machinelearningservices/workspaces/MLW-FRAUD-PROD?api-version=2024-10-01`,
      userCaller("admin"),
    );
    expect(one.status).toBe(200);
    expect(bodyOf(one).id).toBe(workspaceScope("mlw-fraud-prod"));
  });

  it("filters lists to what a team lead can read and denies the rest", async () => {
    const teamLead = userCaller("team-lead");
    const rgList = await call("GET", `/subscriptions/${prod()}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2024-10-01`, teamLead);
    expect((bodyOf(rgList).value as { name: string }[]).map((w) => w.name).sort()).toEqual(["mlw-churn-prod", "mlw-forecast-prod", "mlw-fraud-prod"]);
    const recsys = await call("GET", `${workspaceScope("mlw-recsys-prod")}?api-version=2024-10-01`, teamLead);
    expect(recsys.status).toBe(403);
    expect(errorOf(recsys).code).toBe("AuthorizationFailed");
    const research = await call("GET", `/subscriptions/${subscription("Contoso ML Research")}/resourceGroups?api-version=2021-04-01`, teamLead);
    expect(research.status).toBe(403);
  });

  it("answers 404 in ARM's shape for missing things", async () => {
    const missingWs = await call(
      "GET",
      `/subscriptions/${prod()}/resourceGroups/rg-ml-prod-eastus/providers/Microsoft.MachineLearningServices/workspaces/nope?api-version=2024-10-01`,
      userCaller("admin"),
    );
    expect(missingWs.status).toBe(404);
    expect(errorOf(missingWs)).toEqual({
      code: "ResourceNotFound",
      message:
        "The Resource 'Microsoft.MachineLearningServices/workspaces/nope' under resource group 'rg-ml-prod-eastus' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    });
    const missingSub = await call("GET", "/subscriptions/00000000-0000-4000-8000-000000000000?api-version=2022-12-01", userCaller("admin"));
    expect(errorOf(missingSub).code).toBe("SubscriptionNotFound");
    const missingRg = await call("GET", `/subscriptions/${prod()}/resourceGroups/nope?api-version=2021-04-01`, userCaller("admin"));
    expect(errorOf(missingRg).code).toBe("ResourceGroupNotFound");
  });

  it("requires api-version and puts request id and rate-limit headers on every response", async () => {
    const missing = await call("GET", `/subscriptions/${prod()}`, userCaller("admin"));
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe("MissingApiVersionParameter");
    const responses = [
      missing,
      await call("GET", `/subscriptions/${prod()}?api-version=2022-12-01`, userCaller("admin")),
      await call(
        "PUT",
        `${workspaceScope("mlw-fraud-prod")}/providers/Microsoft.Authorization/roleAssignments/${NEW_NAME}?${API}`,
        userCaller("limited-admin"),
        createBody(persona("no-role").objectId),
      ),
      await call("DELETE", `${workspaceScope("mlw-fraud-prod")}/providers/Microsoft.Authorization/roleAssignments/${NEW_NAME}?${API}`, userCaller("admin")),
    ];
    for (const response of responses) expect(response.headers?.["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(responses[1]?.headers?.["x-ms-ratelimit-remaining-subscription-reads"]).toMatch(/^\d+$/);
    expect(responses[2]?.headers?.["x-ms-ratelimit-remaining-subscription-writes"]).toMatch(/^\d+$/);
    expect(responses[3]?.headers?.["x-ms-ratelimit-remaining-subscription-deletes"]).toMatch(/^\d+$/);
  });
});

describe("role assignments: create, read, delete", () => {
  const path = (scope: string, name = NEW_NAME) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${API}`;

  it("creates (201), repeats (200), rejects a duplicate under another name (409), deletes (200) and re-deletes (204)", async () => {
    const scope = workspaceScope("mlw-churn-prod");
    const principal = persona("no-role").objectId;
    const created = await call("PUT", path(scope), userCaller("admin"), createBody(principal));
    expect(created.status).toBe(201);
    const createdProps = bodyOf(created).properties as Record<string, unknown>;
    expect(createdProps.principalType).toBe("User");
    expect(createdProps.createdBy).toBeNull();
    expect(createdProps.updatedBy).toBe(persona("admin").objectId);
    expect(createdProps.createdOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(createdProps.roleDefinitionId).toBe(roleDefinitionId(ROLE_IDS.dataScientist));

    // A re-PUT of the same assignment answers 201 like a creation: the status never says it already existed.
    const again = await call("PUT", path(scope), userCaller("admin"), createBody(principal));
    expect(again.status).toBe(201);
    expect((bodyOf(again).properties as Record<string, unknown>).createdOn).toBe(createdProps.createdOn);

    const duplicate = await call("PUT", path(scope, OTHER_NAME), userCaller("admin"), createBody(principal));
    expect(duplicate.status).toBe(409);
    expect(errorOf(duplicate)).toEqual({
      code: "RoleAssignmentExists",
      message: `The role assignment already exists. The ID of the existing role assignment is ${NEW_NAME.replace(/-/g, "")}.`,
    });

    const got = await call("GET", path(scope), userCaller("security"));
    expect(got.status).toBe(200);
    expect((bodyOf(got).properties as Record<string, unknown>).createdBy).toBe(persona("admin").objectId);

    const deleted = await call("DELETE", path(scope), userCaller("admin"));
    expect(deleted.status).toBe(200);
    expect(bodyOf(deleted).name).toBe(NEW_NAME);
    const again204 = await call("DELETE", path(scope), userCaller("admin"));
    expect(again204.status).toBe(204);
    expect(again204.body).toBeUndefined();
    const gone = await call("GET", path(scope), userCaller("admin"));
    expect(gone.status).toBe(404);
    expect(errorOf(gone).code).toBe("RoleAssignmentNotFound");
  });

  it("refuses the limited admin with ARM's exact 403", async () => {
    const scope = workspaceScope("mlw-fraud-prod");
    const response = await call("PUT", path(scope), userCaller("limited-admin"), createBody(persona("no-role").objectId));
    expect(response.status).toBe(403);
    const limited = persona("limited-admin");
    expect(errorOf(response)).toEqual({
      code: "AuthorizationFailed",
      message: `The client '${limited.userPrincipalName}' with object id '${limited.objectId}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${scope}/providers/Microsoft.Authorization/roleAssignments/${NEW_NAME}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });
    // Reading is fine for a Reader.
    const list = await call("GET", `/subscriptions/${prod()}/providers/Microsoft.Authorization/roleAssignments?${API}`, userCaller("limited-admin"));
    expect(list.status).toBe(200);
  });

  it("authorizes the authorization matrix by persona", async () => {
    const target = persona("no-role").objectId;
    const cases: [string, Caller, string, number][] = [
      ["admin at workspace", userCaller("admin"), workspaceScope("mlw-vision-prod"), 201],
      ["admin outside its subscription", userCaller("admin"), workspaceScope("mlw-fraud-dev"), 403],
      ["limited admin", userCaller("limited-admin"), workspaceScope("mlw-vision-prod"), 403],
      ["team lead (Data Scientist)", userCaller("team-lead"), workspaceScope("mlw-fraud-prod"), 403],
      ["security reviewer", userCaller("security"), workspaceScope("mlw-fraud-prod"), 403],
      ["no-role", userCaller("no-role"), workspaceScope("mlw-sandbox-dev"), 403],
      ["console API identity at a workspace", appCaller(), workspaceScope("mlw-fraud-dev"), 201],
      ["console API identity at a subscription", appCaller(), `/subscriptions/${prod()}`, 403],
    ];
    for (const [label, caller, scope, status] of cases) {
      const response = await call("PUT", path(scope, "5f0c3e2a-1b2c-4d3e-8f40-5a6b7c8d9e0f"), caller, {
        properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.reader}`, principalId: target },
      });
      expect(response.status, label).toBe(status);
      if (status === 201) tenant.removeRoleAssignment("5f0c3e2a-1b2c-4d3e-8f40-5a6b7c8d9e0f");
    }
    // App callers are named by object id in the message.
    const denied = await call("PUT", path(`/subscriptions/${prod()}`), appCaller(), createBody(target));
    expect(errorOf(denied).message).toContain(`The client '${appCaller().objectId}' with object id '${appCaller().objectId}'`);
  });

  it("honours the propagation delay before a new assignment authorizes", async () => {
    settings.propagationDelaySeconds = 600;
    const noRole = userCaller("no-role");
    const readRgs = (now: Date) => call("GET", `/subscriptions/${prod()}/resourceGroups?api-version=2021-04-01`, noRole, undefined, now);
    expect((await readRgs(TEST_NOW)).status).toBe(403);
    const grant = await call("PUT", path(`/subscriptions/${prod()}`), userCaller("admin"), createBody(noRole.objectId, ROLE_IDS.reader));
    expect(grant.status).toBe(201);
    expect((await readRgs(new Date(TEST_NOW.getTime() + 599_000))).status).toBe(403);
    expect((await readRgs(new Date(TEST_NOW.getTime() + 600_000))).status).toBe(200);
  });

  it("validates names, principals and role definitions with ARM's errors", async () => {
    const scope = workspaceScope("mlw-churn-prod");
    const badName = await call("PUT", path(scope, "kv-role-assignement3"), userCaller("admin"), createBody(persona("no-role").objectId));
    expect(errorOf(badName)).toEqual({
      code: "InvalidRoleAssignmentId",
      message: "The role assignment ID 'kv-role-assignement3' is not valid. The role assignment ID must be a GUID.",
    });
    const badPrincipal = await call("PUT", path(scope), userCaller("admin"), createBody("User"));
    expect(errorOf(badPrincipal)).toEqual({ code: "InvalidPrincipalId", message: "The Principal ID 'User' is not valid. Principal ID must be a GUID." });
    const unknown = "0a1b2c3d-0000-4000-8000-0000000000aa";
    const notFound = await call("PUT", path(scope), userCaller("admin"), createBody(unknown));
    expect(notFound.status).toBe(400);
    expect(errorOf(notFound).code).toBe("PrincipalNotFound");
    expect(errorOf(notFound).message).toBe(
      `Principal ${unknown.replace(/-/g, "")} does not exist in the directory ${tenant.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
    );
    const withType = await call("PUT", path(scope), userCaller("admin"), createBody(unknown, ROLE_IDS.dataScientist, "ServicePrincipal"));
    expect(withType.status).toBe(201);
    expect((bodyOf(withType).properties as Record<string, unknown>).principalType).toBe("ServicePrincipal");
    const changed = await call("PUT", path(scope), userCaller("admin"), createBody(persona("team-lead").objectId));
    expect(errorOf(changed)).toEqual({
      code: "RoleAssignmentUpdateNotPermitted",
      message: "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
    });
    const badRole = await call("PUT", path(scope, OTHER_NAME), userCaller("admin"), {
      properties: {
        roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-8000-000000000001",
        principalId: persona("team-lead").objectId,
      },
    });
    expect(errorOf(badRole).code).toBe("RoleDefinitionDoesNotExist");
  });

  it("enforces the per-subscription limit", async () => {
    settings.roleAssignmentLimitPerSubscription = tenant.countRoleAssignmentsInSubscription(prod());
    const response = await call("PUT", path(workspaceScope("mlw-churn-prod")), userCaller("admin"), createBody(persona("no-role").objectId));
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({ code: "RoleAssignmentLimitExceeded", message: "No more role assignments can be created." });
  });

  it("keeps assignments of deleted principals (orphans) visible with their principal type", async () => {
    const scope = workspaceScope("mlw-churn-prod");
    const user = [...tenant.users.values()].find(
      (u) => u.displayName && !u.userPrincipalName.startsWith("former.") && tenant.roleAssignmentsOfPrincipal(u.id).length === 0,
    );
    const principalId = user?.id ?? "";
    expect((await call("PUT", path(scope), userCaller("admin"), createBody(principalId))).status).toBe(201);
    tenant.deleteDirectoryObject(principalId);
    const list = await call(
      "GET",
      `${scope}/providers/Microsoft.Authorization/roleAssignments?${API}&$filter=principalId eq '${principalId}'`,
      userCaller("admin"),
    );
    const rows = bodyOf(list).value as { properties: { principalType: string } }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.properties.principalType).toBe("User");
    // A new grant to the deleted principal fails unless the type is given, as in Azure.
    expect((await call("PUT", path(scope, OTHER_NAME), userCaller("admin"), createBody(principalId, ROLE_IDS.reader))).status).toBe(400);
  });

  it("lists a partner's ForeignGroup assignment and accepts a new one with that principal type", async () => {
    const scope = workspaceScope(SEEDED_PARTNER.workspace);
    const list = await call(
      "GET",
      `${scope}/providers/Microsoft.Authorization/roleAssignments?${API}&$filter=principalId eq '${SEEDED_PARTNER.reference}'`,
      userCaller("admin"),
    );
    const rows = bodyOf(list).value as { name: string; properties: { principalType: string; scope: string } }[];
    expect(rows.map((row) => [row.name, row.properties.principalType, row.properties.scope])).toEqual([
      [SEEDED_PARTNER.referenceAssignment, "ForeignGroup", scope],
    ]);
    const created = await call("PUT", path(scope), userCaller("admin"), createBody(SEEDED_PARTNER.reference, ROLE_IDS.reader, "ForeignGroup"));
    expect(created.status).toBe(201);
    expect((bodyOf(created).properties as Record<string, unknown>).principalType).toBe("ForeignGroup");
  });

  it("answers PrincipalNotFound for a principal inside its replication lag unless the principal type is given", async () => {
    const scope = workspaceScope("mlw-churn-prod");
    const early = await call("PUT", path(scope), userCaller("admin"), createBody(SEEDED_PARTNER.freshUser, ROLE_IDS.reader));
    expect(errorOf(early).code).toBe("PrincipalNotFound");
    const typed = await call("PUT", path(scope), userCaller("admin"), createBody(SEEDED_PARTNER.freshUser, ROLE_IDS.reader, "User"));
    expect(typed.status).toBe(201);
    const later = new Date(TEST_NOW.getTime() + FRESH_PRINCIPAL_REPLICATION_LAG_MS);
    const replicated = await call("PUT", path(scope, OTHER_NAME), userCaller("admin"), createBody(SEEDED_PARTNER.freshUser, ROLE_IDS.dataScientist), later);
    expect(replicated.status).toBe(201);
    expect((bodyOf(replicated).properties as Record<string, unknown>).principalType).toBe("User");
  });
});

describe("role assignment lists and filters", () => {
  const list = async (scope: string, filter?: string, caller: Caller = userCaller("admin")) => {
    const query = filter ? `&$filter=${encodeURIComponent(filter)}` : "";
    const response = await call("GET", `${scope}/providers/Microsoft.Authorization/roleAssignments?${API}${query}`, caller);
    return { response, rows: (response.body as { value?: { properties: { scope: string; principalId: string } }[] }).value ?? [] };
  };

  it("lists at, above and below a scope without a filter, and at and above with atScope()", async () => {
    const rg = `/subscriptions/${prod()}/resourceGroups/rg-ml-prod-eastus`;
    const all = await list(rg);
    const scopes = new Set(all.rows.map((r) => r.properties.scope));
    expect(scopes.has(`/subscriptions/${prod()}`)).toBe(true);
    expect(scopes.has(rg)).toBe(true);
    expect(scopes.has(workspaceScope("mlw-fraud-prod"))).toBe(true);
    expect([...scopes].every((s) => s === `/subscriptions/${prod()}` || s.startsWith(rg))).toBe(true);
    const atScope = await list(rg, "atScope()");
    const atScopes = new Set(atScope.rows.map((r) => r.properties.scope));
    expect(atScopes.has(workspaceScope("mlw-fraud-prod"))).toBe(false);
    expect(atScopes.has(`/subscriptions/${prod()}`)).toBe(true);
    expect(atScope.rows.length).toBeLessThan(all.rows.length);
  });

  it("refuses assignedTo() with a group's object id, as documented; principalId eq lists a group's own assignments", async () => {
    const group = [...tenant.groups.values()].find((candidate) => candidate.displayName === "DS - Fraud")!;
    for (const filter of [`assignedTo('${group.id}')`, `atScope() and assignedTo('${group.id}')`]) {
      const response = await call(
        "GET",
        `${workspaceScope("mlw-fraud-prod")}/providers/Microsoft.Authorization/roleAssignments?${API}&$filter=${encodeURIComponent(filter)}`,
        userCaller("security"),
      );
      expect(response.status, filter).toBe(400);
      expect(errorOf(response).code).toBe("InvalidFilterInQueryString");
      expect(errorOf(response).message).toContain("not of a group");
    }
    const own = await call(
      "GET",
      `/subscriptions/${prod()}/providers/Microsoft.Authorization/roleAssignments?${API}&$filter=${encodeURIComponent(`principalId eq '${group.id}'`)}`,
      userCaller("security"),
    );
    expect(own.status).toBe(200);
    expect((bodyOf(own).value as { properties: { principalId: string } }[]).every((row) => row.properties.principalId === group.id)).toBe(true);
    expect((bodyOf(own).value as unknown[]).length).toBeGreaterThan(0);
  });

  it("filters by principalId and assignedTo (transitive through groups)", async () => {
    const teamLead = persona("team-lead").objectId;
    const direct = await list(`/subscriptions/${prod()}`, `principalId eq '${teamLead}'`);
    expect(direct.rows.every((r) => r.properties.principalId === teamLead)).toBe(true);
    expect(direct.rows).toHaveLength(2);
    const transitive = await list(`/subscriptions/${prod()}`, `assignedTo('${teamLead}')`);
    const principals = new Set(transitive.rows.map((r) => r.properties.principalId));
    const dsFraud = [...tenant.groups.values()].find((g) => g.displayName === "DS - Fraud");
    expect(principals.has(dsFraud?.id ?? "")).toBe(true);
    expect(transitive.rows.length).toBeGreaterThan(direct.rows.length);
    const combined = await list(workspaceScope("mlw-churn-prod"), `atScope() and assignedTo('${teamLead}')`);
    expect(combined.rows.map((r) => r.properties.scope)).toEqual([`/subscriptions/${prod()}/resourceGroups/rg-ml-prod-eastus`]);
    const bad = await list(`/subscriptions/${prod()}`, "roleDefinitionId eq 'x'");
    expect(bad.response.status).toBe(400);
  });

  it("includes assignments of the management groups a subscription sits under, and authorizes through them", async () => {
    const put = (scope: string, principalId: string, roleDefinitionName: string) =>
      putTestAssignment(tenant, { scope, principalId, principalType: "User", roleDefinitionName });
    tenant.addManagementGroup({ name: "mg-root", displayName: "Contoso", parentName: null });
    tenant.addManagementGroup({ name: "mg-ml", displayName: "Contoso ML", parentName: "mg-root" });
    tenant.addManagementGroup({ name: "mg-beside", displayName: "Beside", parentName: null });
    tenant.subscriptions.get(prod().toLowerCase())!.managementGroup = "mg-ml";
    const noRole = persona("no-role").objectId;
    put(managementGroupArmId("mg-root"), noRole, ROLE_IDS.reader);
    put(managementGroupArmId("mg-beside"), noRole, ROLE_IDS.owner);

    const atScope = await list(workspaceScope("mlw-fraud-prod"), "atScope()");
    const scopes = atScope.rows.map((row) => row.properties.scope);
    expect(scopes).toContain(managementGroupArmId("mg-root"));
    expect(scopes).not.toContain(managementGroupArmId("mg-beside"));
    // Reader at the top group reaches the workspace two levels down; Owner beside it reaches nothing here.
    expect((await list(`/subscriptions/${prod()}`, undefined, userCaller("no-role"))).response.status).toBe(200);
    const write = await call(
      "PUT",
      `${workspaceScope("mlw-fraud-prod")}/providers/Microsoft.Authorization/roleAssignments/${NEW_NAME}?${API}`,
      userCaller("no-role"),
      createBody(noRole),
    );
    expect(write.status).toBe(403);
    // The hierarchy survives a snapshot.
    const restored = Tenant.restore(tenant.snapshot());
    expect(restored.managementGroupsAbove(workspaceScope("mlw-fraud-prod"))).toEqual(["mg-ml", "mg-root"]);
    expect(restored.managementGroupsAbove(managementGroupArmId("mg-ml"))).toEqual(["mg-root"]);
  });

  it("denies listing to a caller without read at the scope", async () => {
    const { response } = await list(`/subscriptions/${prod()}`, undefined, userCaller("no-role"));
    expect(response.status).toBe(403);
  });

  it("pages large lists with an absolute nextLink at the sandbox origin", async () => {
    const large = createTenant({ seed: 11, scale: "large", now: TEST_NOW });
    const largeHandler = createArmHandler(large, testSettings());
    const production = [...large.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")?.subscriptionId ?? "";
    let url: string | undefined = `/subscriptions/${production}/providers/Microsoft.Authorization/roleAssignments?${API}`;
    const names = new Set<string>();
    let pages = 0;
    while (url) {
      const response = await largeHandler(buildRequest("GET", url, { caller: userCaller("admin") }));
      expect(response.status).toBe(200);
      const body = response.body as { value: { name: string }[]; nextLink?: string };
      body.value.forEach((row) => names.add(row.name));
      if (body.nextLink) expect(body.nextLink.startsWith(`${TEST_ORIGIN}/subscriptions/`)).toBe(true);
      url = body.nextLink;
      pages++;
    }
    expect(pages).toBe(4);
    expect(names.size).toBe(4000);
  });
});

describe("role definitions", () => {
  it("lists with roleName eq (case-insensitive), subscription-qualified inside a subscription", async () => {
    const response = await call(
      "GET",
      `/subscriptions/${prod()}/resourceGroups/rg-ml-prod-eastus/providers/Microsoft.Authorization/roleDefinitions?${API}&$filter=${encodeURIComponent("roleName eq 'reader'")}`,
      userCaller("admin"),
    );
    const rows = bodyOf(response).value as { id: string; properties: { roleName: string } }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.properties.roleName).toBe("Reader");
    expect(rows[0]?.id).toBe(roleDefinitionId(ROLE_IDS.reader));
    const all = await call("GET", `/subscriptions/${prod()}/providers/Microsoft.Authorization/roleDefinitions?${API}`, userCaller("admin"));
    expect((bodyOf(all).value as unknown[]).length).toBe(22); // 15 AML built-in, 6 companion built-in, and the custom role assignable at the subscription
  });

  it("lists a custom role only at and below its assignable scopes, and at the scope above with atScopeAndBelow()", async () => {
    const names = async (scope: string, filter?: string) => {
      const response = await call(
        "GET",
        `${scope}/providers/Microsoft.Authorization/roleDefinitions?${API}${filter ? `&$filter=${encodeURIComponent(filter)}` : ""}`,
        userCaller("security"),
      );
      expect(response.status).toBe(200);
      return (bodyOf(response).value as { name: string }[]).map((definition) => definition.name);
    };
    const reviewer = CUSTOM_ROLE_IDS.fraudModelReviewer;
    expect(await names(`/subscriptions/${prod()}/resourceGroups/rg-ml-prod-eastus`)).toContain(reviewer);
    expect(await names(workspaceScope("mlw-fraud-prod"))).toContain(reviewer);
    expect(await names(workspaceScope("mlw-vision-prod"))).not.toContain(reviewer);
    expect(await names(`/subscriptions/${prod()}`)).not.toContain(reviewer);
    expect(await names(`/subscriptions/${prod()}`, "atScopeAndBelow()")).toContain(reviewer);
    expect(await names(workspaceScope("mlw-vision-prod"), "atScopeAndBelow()")).not.toContain(reviewer);
    // The subscription-wide custom role is listed below its subscription, not in another one.
    expect(await names(workspaceScope("mlw-fraud-prod"))).toContain(CUSTOM_ROLE_IDS.accessDelegate);
    expect(await names(workspaceScope("mlw-churn-dev"))).not.toContain(CUSTOM_ROLE_IDS.accessDelegate);
  });

  it("refuses to assign a custom role outside its assignable scopes, as a role that does not exist there", async () => {
    const body = (scope: string) => ({
      properties: {
        roleDefinitionId: `/subscriptions/${subscriptionOfScope(scope)}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM_ROLE_IDS.fraudModelReviewer}`,
        principalId: persona("no-role").objectId,
      },
    });
    const outside = workspaceScope("mlw-vision-prod");
    const refused = await call(
      "PUT",
      `${outside}/providers/Microsoft.Authorization/roleAssignments/5a1d7c3e-2b4f-4e6a-8c9d-0e1f2a3b4c5d?${API}`,
      userCaller("admin"),
      body(outside),
    );
    expect(refused.status).toBe(400);
    expect(errorOf(refused).code).toBe("RoleDefinitionDoesNotExist");
    const inside = workspaceScope("mlw-fraud-prod");
    const created = await call(
      "PUT",
      `${inside}/providers/Microsoft.Authorization/roleAssignments/6a1d7c3e-2b4f-4e6a-8c9d-0e1f2a3b4c5d?${API}`,
      userCaller("admin"),
      body(inside),
    );
    expect(created.status).toBe(201);
  });

  it("gets by id at subscription and tenant level, 404 for unknown ids", async () => {
    const bySub = await call("GET", `${roleDefinitionId(ROLE_IDS.dataScientist)}?${API}`, userCaller("admin"));
    expect((bodyOf(bySub).properties as { roleName: string }).roleName).toBe("AzureML Data Scientist");
    const byTenant = await call("GET", `/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.owner}?${API}`, userCaller("security"), undefined);
    // Reader at subscriptions does not grant reads at the tenant root.
    expect(byTenant.status).toBe(403);
    const missing = await call(
      "GET",
      `/subscriptions/${prod()}/providers/Microsoft.Authorization/roleDefinitions/00000000-0000-4000-8000-000000000001?${API}`,
      userCaller("admin"),
    );
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe("RoleDefinitionDoesNotExist");
  });
});

describe("permissions (the caller's effective actions at a scope)", () => {
  it("returns the permission blocks of every role that applies, for any caller", async () => {
    const blocks = async (caller: Caller, scope: string) =>
      (
        bodyOf(await call("GET", `${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`, caller)).value as { actions: string[] }[]
      ).flatMap((b) => b.actions);
    expect(await blocks(userCaller("admin"), workspaceScope("mlw-fraud-prod"))).toContain("*");
    const limited = await blocks(userCaller("limited-admin"), workspaceScope("mlw-fraud-prod"));
    // Reader directly and through ML Workspace Admins: one block per applicable assignment.
    expect(new Set(limited)).toEqual(new Set(["*/read"]));
    expect(await blocks(userCaller("no-role"), workspaceScope("mlw-recsys-prod"))).toEqual([]);
  });
});

describe("role-assignment usage metrics (the subscription's count against its limit)", () => {
  const metrics = (subscriptionId: string, caller: Caller, version = "2019-08-01-preview") =>
    call("GET", `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics?api-version=${version}`, caller);

  it("counts every assignment in the subscription, and moves with a new one", async () => {
    const before = await metrics(prod(), userCaller("admin"));
    expect(before.status).toBe(200);
    const count = tenant.countRoleAssignmentsInSubscription(prod());
    expect(bodyOf(before)).toEqual({
      subscriptionId: prod(),
      roleAssignmentsLimit: settings.roleAssignmentLimitPerSubscription,
      roleAssignmentsCurrentCount: count,
      roleAssignmentsRemainingCount: settings.roleAssignmentLimitPerSubscription - count,
    });
    const created = await call(
      "PUT",
      `${workspaceScope("mlw-fraud-prod")}/providers/Microsoft.Authorization/roleAssignments/${NEW_NAME}?${API}`,
      userCaller("admin"),
      createBody(persona("no-role").objectId),
    );
    expect(created.status).toBe(201);
    expect(bodyOf(await metrics(prod(), userCaller("admin"))).roleAssignmentsCurrentCount).toBe(count + 1);
  });

  it("asks for role-assignment read at the subscription, serves only its api-version and only at a subscription", async () => {
    const refused = await metrics(prod(), userCaller("no-role"));
    expect(refused.status).toBe(403);
    expect(errorOf(refused).code).toBe("AuthorizationFailed");
    const version = await metrics(prod(), userCaller("admin"), "2022-04-01");
    expect(version.status).toBe(400);
    expect(errorOf(version).code).toBe("NoRegisteredProviderFound");
    const atWorkspace = await call(
      "GET",
      `${workspaceScope("mlw-fraud-prod")}/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics?api-version=2019-08-01-preview`,
      userCaller("admin"),
    );
    expect(atWorkspace.status).toBe(404);
  });
});

describe("MFA claims challenge on writes", () => {
  const name = "9b0e5bd2-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
  const body = () => ({
    properties: {
      roleDefinitionId: `/subscriptions/${subscription("Contoso ML Production")}/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.dataScientist}`,
      principalId: persona("no-role").objectId,
      principalType: "User",
    },
  });
  const path = () => `${workspaceScope("mlw-churn-prod")}/providers/Microsoft.Authorization/roleAssignments/${name}?${API}`;
  const decodeClaims = (header: string | undefined) =>
    JSON.parse(Buffer.from(/claims="([^"]+)"/.exec(header ?? "")?.[1] ?? "", "base64").toString("utf8")) as unknown;

  it("answers the step-up persona's PUT and DELETE without MFA with 401 and an insufficient_claims challenge, and changes nothing", async () => {
    const passwordOnly = userCaller("step-up-admin", ["user_impersonation"], ["pwd"]);
    const put = await call("PUT", path(), passwordOnly, body());
    expect(put.status).toBe(401);
    const header = put.headers?.["www-authenticate"];
    expect(header).toMatch(/^Bearer authorization_uri="[^"]+\/oauth2\/authorize", error="insufficient_claims", claims="[A-Za-z0-9+/=]+"$/);
    expect(decodeClaims(header)).toEqual({ access_token: { acrs: { essential: true, values: ["p1"] } } });
    expect(tenant.roleAssignments.has(name)).toBe(false);
    expect((await call("DELETE", path(), passwordOnly)).status).toBe(401);
    // Reads are not writes: mandatory MFA phase 2 covers create, update and delete only.
    expect((await call("GET", path(), passwordOnly)).status).toBe(404);
  });

  it("lets the same writes through with mfa in amr, and never challenges unmarked users or app tokens", async () => {
    const withMfa = userCaller("step-up-admin", ["user_impersonation"], ["pwd", "mfa"]);
    expect((await call("PUT", path(), withMfa, body())).status).toBe(201);
    expect((await call("DELETE", path(), withMfa)).status).toBe(200);
    expect((await call("PUT", path(), userCaller("admin", ["user_impersonation"], ["pwd"]), body())).status).toBe(201);
    tenant.armWriteMfaUsers.add(persona("admin").objectId);
    expect((await call("DELETE", path(), userCaller("admin", ["user_impersonation"], ["pwd"]))).status).toBe(401);
    expect(tenant.armWriteMfaUsers.has(persona("step-up-admin").objectId)).toBe(true);
    const app = await call("DELETE", path(), appCaller());
    expect(app.status).not.toBe(401);
  });
});
