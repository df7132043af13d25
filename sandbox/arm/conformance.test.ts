/**
 * Conformance: for each ARM example in sandbox/conformance/fixtures/, the sandbox's answer to the same request has the
 * same status, the same fields and the same JSON types. Spec examples are trimmed (no nulls, fewer fields), so they
 * are compared as subsets; live recordings are compared key for key.
 */
import { beforeAll, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { workspaceArmId } from "../tenant/arm-ids";
import { createTenant, CUSTOM_ROLE_IDS, ROLE_IDS, SEEDED_BEYOND_ASSIGNMENTS, type Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import { LINKED_ROLE_IDS } from "../tenant/seed-linked";
import { parseClaimsRequest } from "../entra/token";
import {
  appCaller,
  buildRequest,
  readReference,
  readReferenceText,
  type ShapeOptions,
  shapeDifferences,
  TEST_NOW,
  testSettings,
  userCaller,
} from "../tenant/testing/support";
import { createArmHandler } from "./index";

interface SpecOperation {
  description: string;
  parameters: { name?: string; description?: string }[];
}

interface SpecExample {
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: unknown }>;
}

let tenant: Tenant;
let handler: ReturnType<typeof createArmHandler>;
let production: string;
let fraudWorkspace: string;
const admin = (): Caller => userCaller("admin");

beforeAll(() => {
  tenant = createTenant({ seed: 3, scale: "default", now: TEST_NOW });
  handler = createArmHandler(tenant, testSettings());
  production = [...tenant.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")?.subscriptionId ?? "";
  const w = [...tenant.workspaces.values()].find((x) => x.name === "mlw-fraud-prod");
  fraudWorkspace = workspaceArmId(w?.subscriptionId ?? "", w?.resourceGroup ?? "", w?.name ?? "");
});

async function call(method: string, path: string, body?: unknown, caller: Caller = admin()): Promise<SandboxResponse> {
  return handler(buildRequest(method, path, { caller, body }));
}

function expectSameShape(expected: unknown, response: SandboxResponse, options: ShapeOptions): void {
  expect(shapeDifferences(expected, response.body, options)).toEqual([]);
}

function example(name: string): SpecExample {
  return readReference(`arm-authorization/${name}`) as SpecExample;
}

const SUBSET: ShapeOptions = { mode: "subset" };
const EXACT: ShapeOptions = { mode: "exact" };
const ROLE_DEF = (sub: string, role: string) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`;

describe("ARM conformance: role assignments (spec examples, 2022-04-01)", () => {
  it("RoleAssignments_ListForScope", async () => {
    const ex = example("RoleAssignments_ListForScope.json");
    const response = await call("GET", `/subscriptions/${production}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`);
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, SUBSET);
  });

  it("RoleAssignments_ListForResourceGroup", async () => {
    const ex = example("RoleAssignments_ListForResourceGroup.json");
    const response = await call(
      "GET",
      `/subscriptions/${production}/resourceGroups/rg-ml-prod-eastus/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`,
    );
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, SUBSET);
  });

  it("RoleAssignments_CreateForSubscription (201), again (201), Get, GetById, Delete (200, then 204)", async () => {
    const name = "05c5a614-a7d6-4502-b150-c2fb455033ff";
    const path = `/subscriptions/${production}/providers/Microsoft.Authorization/roleAssignments/${name}?api-version=2022-04-01`;
    const body = { properties: { roleDefinitionId: ROLE_DEF(production, ROLE_IDS.reader), principalId: persona("no-role").objectId, principalType: "User" } };
    const create = example("RoleAssignments_CreateForSubscription.json");
    const created = await call("PUT", path, body);
    expect(created.status).toBe(201);
    expectSameShape(create.responses["201"]?.body, created, SUBSET);
    // The spec example also lists a 200 for an update, but the service answers a re-PUT of an existing assignment
    // with 201 as well (see sandbox/arm/role-assignments.ts): the stricter behaviour, since a client then cannot tell
    // from the status that the assignment already existed.
    const again = await call("PUT", path, body);
    expect(again.status).toBe(201);
    expectSameShape(create.responses["200"]?.body, again, SUBSET);

    const got = await call("GET", path);
    expect(got.status).toBe(200);
    expectSameShape(example("RoleAssignments_Get.json").responses["200"]?.body, got, SUBSET);
    const byId = await call("GET", `/${(got.body as { id: string }).id.replace(/^\//, "")}?api-version=2022-04-01`);
    expect(byId.status).toBe(200);
    expectSameShape(example("RoleAssignments_GetById.json").responses["200"]?.body, byId, SUBSET);

    const del = example("RoleAssignments_Delete.json");
    const deleted = await call("DELETE", path);
    expect(deleted.status).toBe(200);
    expectSameShape(del.responses["200"]?.body, deleted, SUBSET);
    const missing = await call("DELETE", path);
    expect(missing.status).toBe(204);
    expect(missing.body).toBeUndefined();
  });

  it("RoleAssignments_CreateForResource (an AML workspace)", async () => {
    const ex = example("RoleAssignments_CreateForResource.json");
    const response = await call(
      "PUT",
      `${fraudWorkspace}/providers/Microsoft.Authorization/roleAssignments/15c5a614-a7d6-4502-b150-c2fb455033ff?api-version=2022-04-01`,
      {
        properties: { roleDefinitionId: ROLE_DEF(production, ROLE_IDS.computeOperator), principalId: persona("no-role").objectId, principalType: "User" },
      },
    );
    expect(response.status).toBe(201);
    expectSameShape(ex.responses["201"]?.body, response, SUBSET);
  });
});

describe("ARM conformance: role-assignment usage metrics (spec example, 2019-08-01-preview)", () => {
  it("GetRoleAssignmentUsageMetrics", async () => {
    const ex = example("GetRoleAssignmentUsageMetrics.json");
    expect(ex.parameters["api-version"]).toBe("2019-08-01-preview");
    const response = await call(
      "GET",
      `/subscriptions/${production}/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics?api-version=2019-08-01-preview`,
    );
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, EXACT);
  });
});

describe("ARM conformance: PIM schedule instances (2020-10-01) and deny assignments (2022-04-01), spec examples", () => {
  // Our unconditioned records have null conditions, permanent eligibilities a null end; the schema allows both.
  const PIM_SHAPE: ShapeOptions = {
    mode: "subset",
    nullable: ["value[].properties.condition", "value[].properties.conditionVersion", "value[].properties.endDateTime"],
  };
  const list = (type: string, filter: string, version: string) =>
    call("GET", `${fraudWorkspace}/providers/Microsoft.Authorization/${type}?api-version=${version}&$filter=${encodeURIComponent(filter)}`);

  it("GetRoleEligibilityScheduleInstancesByScope: assignedTo() of the seeded eligible member", async () => {
    const eligibility = tenant.roleEligibilities.get(SEEDED_BEYOND_ASSIGNMENTS.eligibility)!;
    const response = await list("roleEligibilityScheduleInstances", `assignedTo('${eligibility.principalId}')`, "2020-10-01");
    expect(response.status).toBe(200);
    expect((response.body as { value: unknown[] }).value).toHaveLength(1);
    expectSameShape(example("GetRoleEligibilityScheduleInstancesByScope.json").responses["200"]?.body, response, PIM_SHAPE);
  });

  it("GetRoleAssignmentScheduleInstancesByScope: assignedTo() of the seeded activated member", async () => {
    const activation = tenant.roleAssignmentSchedules.get(SEEDED_BEYOND_ASSIGNMENTS.activation)!;
    const response = await list("roleAssignmentScheduleInstances", `assignedTo('${activation.principalId}')`, "2020-10-01");
    expect(response.status).toBe(200);
    expect((response.body as { value: unknown[] }).value).toHaveLength(1);
    expectSameShape(example("GetRoleAssignmentScheduleInstancesByScope.json").responses["200"]?.body, response, PIM_SHAPE);
  });

  it("GetDenyAssignmentByScope: atScope() at the workspace", async () => {
    const response = await list("denyAssignments", "atScope()", "2022-04-01");
    expect(response.status).toBe(200);
    expect((response.body as { value: unknown[] }).value).toHaveLength(1);
    expectSameShape(example("GetDenyAssignmentByScope.json").responses["200"]?.body, response, SUBSET);
  });
});

describe("ARM conformance: live recordings (key for key)", () => {
  it("PUT at resource-group scope → 201 with all 12 properties", async () => {
    const expected = readReference("arm-authorization/recorded/roleAssignments_PUT_rg_scope.201.response.json");
    const request = readReference("arm-authorization/recorded/roleAssignments_PUT_rg_scope.request.json") as {
      properties: { roleDefinitionId: string; principalType: string };
    };
    const response = await call(
      "PUT",
      `/subscriptions/${production}/resourceGroups/rg-ml-prod-westeurope/providers/Microsoft.Authorization/roleAssignments/88888888-0000-4000-8000-000000000001?api-version=2022-04-01`,
      {
        properties: {
          ...request.properties,
          roleDefinitionId: request.properties.roleDefinitionId.replace("00000000-0000-0000-0000-000000000000", production),
          principalId: persona("no-role").objectId,
        },
      },
    );
    expect(response.status).toBe(201);
    expectSameShape(expected, response, EXACT);
    expect(Object.keys((response.body as { properties: object }).properties)).toEqual(Object.keys((expected as { properties: object }).properties));
    expect(Object.keys(response.body as object)).toEqual(Object.keys(expected as object));
  });

  it("list with atScope() at a resource group", async () => {
    const expected = readReference("arm-authorization/recorded/roleAssignments_list_rg_atScope.partial.json");
    const response = await call(
      "GET",
      `/subscriptions/${production}/resourceGroups/rg-ml-prod-eastus/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()`,
    );
    expect(response.status).toBe(200);
    expectSameShape(expected, response, EXACT);
  });

  it("roleDefinitions list with roleName eq at a resource group", async () => {
    const expected = readReference("arm-authorization/recorded/roleDefinitions_list_filter_roleName_rg_scope.2022-05-01-preview.json");
    const response = await call(
      "GET",
      `/subscriptions/${production}/resourceGroups/rg-ml-prod-eastus/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20'reader'`,
    );
    expect(response.status).toBe(200);
    expectSameShape(expected, response, EXACT);
  });

  it("the derived subscription-level role definition list (its built-in roles)", async () => {
    const expected = readReference("arm-authorization/DERIVED.roleDefinitions_list_at_subscription_scope.json");
    const response = await call(
      "GET",
      `/subscriptions/${production}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=${encodeURIComponent("type eq 'BuiltInRole'")}`,
    );
    expectSameShape(expected, response, EXACT);
    // The derived list has the AML roles; the sandbox also serves the companion roles of the linked resources.
    const names = (list: unknown) => (list as { value: { name: string }[] }).value.map((role) => role.name).sort();
    expect(names(response.body)).toEqual([...names(expected), ...Object.values(LINKED_ROLE_IDS)].sort());
  });
});

describe("ARM conformance: RoleDefinitions_List scopes (RoleDefinitions_List.2022-04-01.operation.json)", () => {
  const operation = () =>
    (readReference("arm-authorization/RoleDefinitions_List.2022-04-01.operation.json") as Record<string, { get: SpecOperation }>)[
      "/{scope}/providers/Microsoft.Authorization/roleDefinitions"
    ]!.get;
  const list = async (scope: string, filter?: string) => {
    const response = await call(
      "GET",
      `${scope}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01${filter ? `&$filter=${encodeURIComponent(filter)}` : ""}`,
    );
    expect(response.status).toBe(200);
    return (response.body as { value: { name: string; properties: { assignableScopes: string[] } }[] }).value;
  };

  it("lists the roles applicable at the scope and above: a custom role assignable at one resource group is not listed at its subscription", async () => {
    expect(operation().description).toBe("Get all role definitions that are applicable at scope and above.");
    const resourceGroup = `/subscriptions/${production}/resourceGroups/rg-ml-prod-eastus`;
    const atGroup = await list(resourceGroup);
    const reviewer = atGroup.find((definition) => definition.name === CUSTOM_ROLE_IDS.fraudModelReviewer);
    expect(reviewer?.properties.assignableScopes).toEqual([resourceGroup]);
    expect((await list(fraudWorkspace)).map((definition) => definition.name)).toContain(CUSTOM_ROLE_IDS.fraudModelReviewer);
    expect((await list(`/subscriptions/${production}`)).map((definition) => definition.name)).not.toContain(CUSTOM_ROLE_IDS.fraudModelReviewer);
  });

  it("searches below the scope as well with the filter the spec names", async () => {
    const filter = operation().parameters.find((parameter) => parameter.name === "$filter");
    expect(filter?.description).toContain("Use atScopeAndBelow filter to search below the given scope as well.");
    expect((await list(`/subscriptions/${production}`, "atScopeAndBelow()")).map((definition) => definition.name)).toContain(
      CUSTOM_ROLE_IDS.fraudModelReviewer,
    );
  });
});

describe("ARM conformance: role-assignment filters (docs/role-assignments-list-rest.filters.md)", () => {
  const doc = () => readReferenceText("arm-authorization/docs/role-assignments-list-rest.filters.md");
  const list = (scope: string, filter: string) =>
    call(
      "GET",
      `${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=${encodeURIComponent(filter)}`,
      undefined,
      userCaller("security"),
    );

  it("assignedTo() accepts a user's or service principal's object id and refuses a group's", async () => {
    expect(doc()).toContain("This filter only accepts an object ID for a user or a service principal. You cannot pass an object ID for a group.");
    const group = [...tenant.groups.values()].find((candidate) => candidate.displayName === "DS - Fraud")!;
    expect((await list(fraudWorkspace, `assignedTo('${group.id}')`)).status).toBe(400);
    expect((await list(fraudWorkspace, `atScope() and assignedTo('${group.id}')`)).status).toBe(400);
    expect((await list(fraudWorkspace, `assignedTo('${persona("team-lead").objectId}')`)).status).toBe(200);
  });

  it("principalId eq accepts a user, group or service principal", async () => {
    expect(doc()).toContain("Lists role assignments for a specified user, group, or service principal.");
    const group = [...tenant.groups.values()].find((candidate) => candidate.displayName === "DS - Fraud")!;
    const response = await list(`/subscriptions/${production}`, `principalId eq '${group.id}'`);
    expect(response.status).toBe(200);
    expect((response.body as { value: unknown[] }).value.length).toBeGreaterThan(0);
  });
});

describe("ARM conformance: errors (errors.arm-authorization.json)", () => {
  const errors = () => readReference("arm-authorization/errors.arm-authorization.json") as Record<string, { error: { code: string; message: string } }>;
  /** Turns a reference message into a pattern where ids, names and scopes may differ. */
  function messagePattern(message: string): RegExp {
    const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(
      `^${escaped
        .replace(/'[^']*'/g, "'[^']*'")
        .replace(/[0-9a-f]{32}/g, "[0-9a-f]{32}")
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "[0-9a-f-]{36}")}$`,
    );
  }
  function expectError(key: string, response: SandboxResponse, status: number): void {
    const expected = errors()[key];
    expect(response.status).toBe(status);
    expectSameShape(expected, response, EXACT);
    const actual = (response.body as { error: { code: string; message: string } }).error;
    expect(actual.code).toBe(expected?.error.code);
    expect(actual.message).toMatch(messagePattern(expected?.error.message ?? ""));
  }
  const base = () => `${fraudWorkspace}/providers/Microsoft.Authorization/roleAssignments`;

  it("AuthorizationFailed, InvalidRoleAssignmentId, InvalidPrincipalId, PrincipalNotFound, RoleAssignmentExists, UpdateNotPermitted, LimitExceeded", async () => {
    const body = (principalId: string, principalType?: string) => ({
      properties: { roleDefinitionId: ROLE_DEF(production, ROLE_IDS.reader), principalId, ...(principalType ? { principalType } : {}) },
    });
    const name = "2f826ae1-1728-4c63-bbb7-a8a150a5a52d";
    expectError(
      "AuthorizationFailed_403",
      await call("PUT", `${base()}/${name}?api-version=2022-04-01`, body(persona("no-role").objectId), userCaller("limited-admin")),
      403,
    );
    expectError(
      "InvalidRoleAssignmentId_400",
      await call("PUT", `${base()}/kv-role-assignement3?api-version=2022-04-01`, body(persona("no-role").objectId)),
      400,
    );
    expectError("InvalidPrincipalId_400", await call("PUT", `${base()}/${name}?api-version=2022-04-01`, body("User")), 400);
    expectError("PrincipalNotFound_400", await call("PUT", `${base()}/${name}?api-version=2022-04-01`, body("00000000-0000-4000-8000-00000000dead")), 400);
    expect((await call("PUT", `${base()}/${name}?api-version=2022-04-01`, body(persona("security").objectId))).status).toBe(201);
    expectError(
      "RoleAssignmentExists_409",
      await call("PUT", `${base()}/3f826ae1-1728-4c63-bbb7-a8a150a5a52d?api-version=2022-04-01`, body(persona("security").objectId)),
      409,
    );
    expectError("RoleAssignmentUpdateNotPermitted", await call("PUT", `${base()}/${name}?api-version=2022-04-01`, body(persona("team-lead").objectId)), 400);
    const limited = createArmHandler(tenant, testSettings({ roleAssignmentLimitPerSubscription: 1 }));
    const response = await limited(
      buildRequest("PUT", `${base()}/4f826ae1-1728-4c63-bbb7-a8a150a5a52d?api-version=2022-04-01`, {
        caller: admin(),
        body: body(persona("team-lead").objectId),
      }),
    );
    expectError("RoleAssignmentLimitExceeded", response, 400);
  });
});

describe("ARM conformance: subscriptions and workspaces", () => {
  it("Subscriptions_List (2022-12-01)", async () => {
    const ex = readReference("arm-other/Subscriptions_List.2022-12-01.json") as SpecExample;
    const response = await call("GET", "/subscriptions?api-version=2022-12-01", userCaller("security"));
    expect(response.status).toBe(200);
    // Our subscriptions have no managing tenants; nextLink is absent when there is no next page, as ARM does.
    expectSameShape(ex.responses["200"]?.body, response, { mode: "subset", maps: ["value[].tags"], optional: ["nextLink"] });
  });

  it("Workspaces_ListBySubscription (2024-10-01)", async () => {
    const ex = readReference("arm-other/Workspaces_ListBySubscription.2024-10-01.json") as SpecExample;
    const response = await call("GET", `/subscriptions/${production}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2024-10-01`);
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, { mode: "subset", optional: ["nextLink"] });
  });

  it("Workspaces_Get (2024-10-01), a customer-managed-key workspace behind a private endpoint", async () => {
    const ex = readReference("arm-other/Workspaces_Get.2024-10-01.json") as SpecExample;
    const response = await call("GET", `${fraudWorkspace}?api-version=2024-10-01`);
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, {
      mode: "subset",
      maps: ["identity.userAssignedIdentities"],
      nullable: ["properties.imageBuildCompute"],
    });
  });
});

describe("ARM conformance: a user-assigned identity's federated credentials (Microsoft.ManagedIdentity)", () => {
  const errorCode = (response: SandboxResponse) => [response.status, (response.body as { error: { code: string } }).error.code];
  const identityPath = (name: string) =>
    `/subscriptions/${production}/resourceGroups/rg-shared-prod/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

  it("FederatedIdentityCredentials_List (2023-01-31), to a caller with Reader", async () => {
    const ex = readReference("arm-other/FederatedIdentityCredentials_List.2023-01-31.json") as SpecExample;
    const response = await call("GET", `${identityPath("uami-ml-inference-prod")}/federatedIdentityCredentials?api-version=2023-01-31`, undefined, appCaller());
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, { mode: "subset", optional: ["nextLink"] });
    expect((response.body as { value: { name: string; properties: { subject: string } }[] }).value).toMatchObject([
      { name: "aks-scoring-workload", properties: { subject: "system:serviceaccount:ml-serving:scoring-api" } },
    ]);
    // An identity with none: an empty list. One that does not exist: 404 ResourceNotFound. A version ARM does not know: 400.
    const none = await call("GET", `${identityPath("uami-feature-store")}/federatedIdentityCredentials?api-version=2023-01-31`, undefined, appCaller());
    expect([none.status, (none.body as { value: unknown[] }).value]).toEqual([200, []]);
    const missing = await call("GET", `${identityPath("uami-nobody")}/federatedIdentityCredentials?api-version=2023-01-31`, undefined, appCaller());
    expect(errorCode(missing)).toEqual([404, "ResourceNotFound"]);
    const unknownVersion = await call(
      "GET",
      `${identityPath("uami-ml-inference-prod")}/federatedIdentityCredentials?api-version=2019-01-01`,
      undefined,
      appCaller(),
    );
    expect(errorCode(unknownVersion)).toEqual([400, "NoRegisteredProviderFound"]);
  });

  it("refuses a caller without read on the identity (403 AuthorizationFailed, before looking it up)", async () => {
    const refused = await call("GET", `${identityPath("uami-nobody")}/federatedIdentityCredentials?api-version=2023-01-31`, undefined, userCaller("no-role"));
    expect(errorCode(refused)).toEqual([403, "AuthorizationFailed"]);
    expect((refused.body as { error: { message: string } }).error.message).toContain(
      "'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read'",
    );
  });
});

describe("ARM conformance: the MFA claims challenge on a write (Microsoft's documented claims-challenge format)", () => {
  /** A Bearer challenge's parameters, as `name="value"` pairs. */
  function challengeParameters(header: string): Record<string, string> {
    expect(header).toMatch(/^Bearer /);
    return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
  }

  it("answers 401 with a www-authenticate challenge carrying the documented parameters and a base64 claims request", async () => {
    const documented = challengeParameters(
      readReferenceText("entra/docs/claims_challenge.401.header.txt")
        .replace(/^www-authenticate =/, "")
        .trim(),
    );
    const response = await call(
      "PUT",
      `${fraudWorkspace}/providers/Microsoft.Authorization/roleAssignments/5b0e5bd2-3c4d-4e5f-8a9b-0c1d2e3f4a5b?api-version=2022-04-01`,
      { properties: { roleDefinitionId: ROLE_DEF(production, ROLE_IDS.dataScientist), principalId: persona("no-role").objectId, principalType: "User" } },
      userCaller("step-up-admin", ["user_impersonation"], ["pwd"]),
    );
    expect(response.status).toBe(401);
    const sandbox = challengeParameters(response.headers?.["www-authenticate"] ?? "");
    // Every parameter the format requires (realm is optional), with the same meaning.
    for (const required of ["authorization_uri", "error", "claims"]) expect(Object.keys(sandbox)).toContain(required);
    expect(Object.keys(documented)).toEqual(expect.arrayContaining(["authorization_uri", "error", "claims"]));
    expect(sandbox.error).toBe(documented.error);
    expect(sandbox.authorization_uri).toMatch(/\/oauth2\/authorize$/);
    const decode = (claims: string) => JSON.parse(Buffer.from(claims, "base64").toString("utf8")) as { access_token: { acrs: { essential: boolean } } };
    expect(decode(documented.claims!).access_token.acrs.essential).toBe(true);
    expect(decode(sandbox.claims!)).toEqual({ access_token: { acrs: { essential: true, values: ["p1"] } } });
  });

  it("reads the documented claims request (one `value`) and ARM's (`values`) as asking for a stronger sign-in", () => {
    const documented = challengeParameters(
      readReferenceText("entra/docs/claims_challenge.401.header.txt")
        .replace(/^www-authenticate =/, "")
        .trim(),
    );
    expect(parseClaimsRequest(Buffer.from(documented.claims!, "base64").toString("utf8"))).toEqual({ acrs: ["cp1"], needsMfa: true });
    expect(parseClaimsRequest('{"access_token":{"acrs":{"essential":true,"values":["p1"]}}}')).toEqual({ acrs: ["p1"], needsMfa: true });
    expect(parseClaimsRequest('{"access_token":{"xms_cc":{"values":["cp1"]}}}')).toEqual({ acrs: [], needsMfa: false });
  });
});

describe("ARM conformance: Resource Graph (2024-04-01)", () => {
  // The examples' query (`where name contains 'test'`) is outside the KQL subset the sandbox understands, so the same
  // request shape is sent with the workspace query the console uses; the answer must have the example's fields and types.
  const query = "Resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id, name, type, location";

  it("ResourcesFirstPageQuery: $top and $skip, a $skipToken for the next page, resultTruncated as a string", async () => {
    const ex = readReference("arm-other/ResourceGraph_FirstPage.2024-04-01.json") as SpecExample;
    const parameters = ex.parameters.query as { options: unknown };
    const response = await call("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", {
      subscriptions: [production],
      query,
      options: parameters.options,
    });
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, EXACT);
  });

  it("ResourcesNextPageQuery: the token from the first page in the next request's body", async () => {
    const ex = readReference("arm-other/ResourceGraph_NextPage.2024-04-01.json") as SpecExample;
    const first = await call("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", {
      subscriptions: [production],
      query,
      options: { $top: 2 },
    });
    const token = (first.body as { $skipToken: string }).$skipToken;
    const response = await call("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", {
      subscriptions: [production],
      query,
      options: { $top: 2, $skipToken: token },
    });
    expect(response.status).toBe(200);
    expectSameShape(ex.responses["200"]?.body, response, EXACT);
    expect((response.body as { data: { id: string }[] }).data[0]?.id).not.toBe((first.body as { data: { id: string }[] }).data[0]?.id);
  });
});

describe("ARM conformance: Resource Graph errors (live body quoted in Azure/aztfexport#485)", () => {
  it("a malformed query: 400 BadRequest with a support message and InvalidQuery, then ParserFailure details", async () => {
    // The quote lacks the "{" opening its second detail; restored here, nothing else changed.
    const text = readReferenceText("arm-other/ResourceGraph_InvalidQuery.aztfexport-485.txt").replace(
      /},\n(\s+)"code": "ParserFailure"/,
      '},\n$1{\n$1"code": "ParserFailure"',
    );
    const live = JSON.parse(text) as { error: { code: string; message: string; details: { code: string; message: string }[] } };
    const response = await call("POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", {
      subscriptions: [production],
      query: "resources | where resourceGroup =~ DEV-T24' and type contains 'Microsoft.Network'",
    });
    expect(response.status).toBe(400);
    const error = (response.body as typeof live).error;
    expect(error.code).toBe(live.error.code);
    const supportMessage = /^Please provide below info when asking for support: timestamp = \S+, correlationId = \S+\.$/;
    expect(live.error.message).toMatch(supportMessage);
    expect(error.message).toMatch(supportMessage);
    expect(error.details[0]).toEqual(live.error.details[0]);
    expect(error.details.slice(1).map((detail) => [detail.code, detail.message])).toEqual([["ParserFailure", "ParserFailure"]]);
    expect(live.error.details.slice(1).every((detail) => detail.code === "ParserFailure" && detail.message === "ParserFailure")).toBe(true);
  });
});
