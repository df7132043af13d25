/**
 * A workspace's linked resources and AML registries: the seed (deterministic, consistent with the ids the workspace
 * names, with the awkward cases), ARM GET of each type, and role assignments at their scopes, authorized like ARM.
 */
import { beforeEach, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { linkedResourceArmId, resourceGroupArmId, subscriptionArmId, workspaceArmId, workspaceLinks } from "../tenant/arm-ids";
import { createTenant, newRoleAssignment, restoreTenant, ROLE_IDS, type Tenant } from "../tenant/index";
import type { WorkspaceRecord } from "../tenant/model";
import { LINKED_ROLE_IDS, SEEDED_LINKED } from "../tenant/seed-linked";
import { buildRequest, TEST_NOW, testSettings, userCaller, userCallerById } from "../tenant/testing/support";
import { createArmHandler } from "./index";

const AUTH_API = "api-version=2022-04-01";
let tenant: Tenant;
let handler: ReturnType<typeof createArmHandler>;

beforeEach(() => {
  tenant = createTenant({ seed: 11, scale: "default", now: TEST_NOW });
  handler = createArmHandler(tenant, testSettings());
});

const call = (method: string, path: string, caller: Caller, body?: unknown): Promise<SandboxResponse> =>
  Promise.resolve(handler(buildRequest(method, path, { caller, body })));
const bodyOf = (response: SandboxResponse) => response.body as Record<string, unknown> & { properties: Record<string, unknown> };
const errorOf = (response: SandboxResponse) => (response.body as { error: { code: string; message: string } }).error;

function workspace(name: string, from: Tenant = tenant): WorkspaceRecord {
  const found = [...from.workspaces.values()].find((candidate) => candidate.name === name);
  if (!found) throw new Error(name);
  return found;
}
const links = (name: string) => workspaceLinks(workspace(name));
const subscription = (displayName: string) => [...tenant.subscriptions.values()].find((s) => s.displayName === displayName)!.subscriptionId;
const assignmentPath = (scope: string, name: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}?${AUTH_API}`;
const createBody = (principalId: string, roleId: string) => ({
  properties: { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${roleId}`, principalId },
});
const NEW_NAME = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const OTHER_NAME = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
/** A member user with no role anywhere and in no group. */
const unassignedUser = () =>
  [...tenant.users.values()].find(
    (user) => user.userType === "Member" && tenant.roleAssignmentsOfPrincipal(user.id).length === 0 && tenant.transitiveGroupIds(user.id).length === 0,
  )!;

describe("the seed", () => {
  it("is deterministic: the same seed gives the same linked resources, another seed other instrumentation keys", () => {
    const again = createTenant({ seed: 11, scale: "default", now: TEST_NOW });
    expect([...again.linkedResources.entries()]).toEqual([...tenant.linkedResources.entries()]);
    const other = createTenant({ seed: 12, scale: "default", now: TEST_NOW });
    const keys = (t: Tenant) => [...t.linkedResources.values()].map((r) => r.instrumentationKey).filter(Boolean);
    expect(keys(other)).not.toEqual(keys(tenant));
    // The tenant's own draws did not move: workspaces keep their GUIDs whatever the linked resources draw.
    expect([...other.workspaces.values()].map((w) => w.workspaceId)).not.toEqual([...tenant.workspaces.values()].map((w) => w.workspaceId));
    expect([...again.workspaces.values()].map((w) => w.workspaceId)).toEqual([...tenant.workspaces.values()].map((w) => w.workspaceId));
  });

  it("gives every workspace the resources its properties name, except the one whose storage account was deleted", async () => {
    const missing: string[] = [];
    for (const w of tenant.workspaces.values()) {
      const response = await call("GET", `${workspaceArmId(w.subscriptionId, w.resourceGroup, w.name)}?api-version=2024-10-01`, userCaller("security"));
      const properties = bodyOf(response).properties;
      for (const kind of ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"] as const) {
        const id = properties[kind] as string;
        expect(id).toBe(workspaceLinks(w)[kind]);
        if (!tenant.linkedResources.has(id.toLowerCase())) missing.push(`${w.name} ${kind}`);
      }
    }
    expect(missing).toEqual([`${SEEDED_LINKED.storageDeleted} storageAccount`]);
    const counts = (kind: string) => [...tenant.linkedResources.values()].filter((r) => r.kind === kind).length;
    expect(counts("amlRegistry")).toBe(2);
    expect(counts("keyVault")).toBeGreaterThan(5);
  });

  it("has the awkward cases: a vault in another resource group and in another subscription, a shared registry, projects on their hub's", () => {
    expect(links(SEEDED_LINKED.keyVaultInOtherGroup.workspace).keyVault).toBe(
      linkedResourceArmId("keyVault", subscription("Contoso ML Production"), "rg-shared-prod", SEEDED_LINKED.keyVaultInOtherGroup.vault),
    );
    const research = workspace(SEEDED_LINKED.keyVaultInOtherSubscription.workspace);
    expect(research.subscriptionId).toBe(subscription("Contoso ML Research"));
    expect(links(research.name).keyVault).toContain(`/subscriptions/${subscription("Contoso ML Production")}/resourceGroups/rg-shared-prod/`);
    const registries = new Set(SEEDED_LINKED.sharedContainerRegistry.workspaces.map((name) => links(name).containerRegistry));
    expect(registries.size).toBe(1);
    expect([...registries][0]).toMatch(/\/resourceGroups\/rg-ml-dev\/providers\/Microsoft\.ContainerRegistry\/registries\/crcontosomldev$/);
    expect(links("proj-genai")).toEqual(links(SEEDED_LINKED.hub));
    expect(links("proj-nlp")).toEqual(links(SEEDED_LINKED.hub));
    const vault = (name: string) => tenant.linkedResources.get(links(name).keyVault.toLowerCase())!;
    expect(SEEDED_LINKED.accessPolicyVaultsOf.map((name) => vault(name).enableRbacAuthorization)).toEqual([false, false]);
    expect(vault("mlw-fraud-prod").enableRbacAuthorization).toBe(true);
  });

  it("survives a snapshot and restore", () => {
    const restored = restoreTenant(tenant.snapshot());
    expect([...restored.linkedResources.values()]).toEqual([...tenant.linkedResources.values()]);
    expect(workspaceLinks(workspace("proj-genai", restored))).toEqual(links("proj-genai"));
  });

  it("seeds companion roles already granted: a user's direct Storage Blob Data Contributor on a storage account", () => {
    const direct = tenant.roleAssignments.get(SEEDED_LINKED.directBlobAssignment)!;
    expect(direct).toMatchObject({
      scope: links("mlw-fraud-prod").storageAccount,
      roleDefinitionName: LINKED_ROLE_IDS.storageBlobDataContributor,
      principalType: "User",
    });
    expect(tenant.getUser(direct.principalId)).toBeDefined();
    expect(tenant.roleAssignments.get(SEEDED_LINKED.groupAcrPullAssignment)?.scope).toBe(links("mlw-fraud-prod").containerRegistry);
    expect(tenant.roleAssignments.get(SEEDED_LINKED.directSecretsUserAssignment)?.scope).toBe(links(SEEDED_LINKED.keyVaultInOtherGroup.workspace).keyVault);
  });
});

describe("GET of a linked resource", () => {
  it("answers each type in its REST shape, key vaults with enableRbacAuthorization", async () => {
    const fraud = links("mlw-fraud-prod");
    const storage = await call("GET", `${fraud.storageAccount}?api-version=2023-05-01`, userCaller("security"));
    expect(storage.status).toBe(200);
    expect(bodyOf(storage)).toMatchObject({ id: fraud.storageAccount, type: "Microsoft.Storage/storageAccounts", kind: "StorageV2" });
    expect(bodyOf(storage).properties).toMatchObject({
      provisioningState: "Succeeded",
      primaryEndpoints: { blob: expect.stringMatching(/^https:\/\/st.+\.blob\.core\.windows\.net\/$/) as string },
    });

    const vault = bodyOf(await call("GET", `${fraud.keyVault}?api-version=2023-07-01`, userCaller("security")));
    expect(vault.properties).toMatchObject({ enableRbacAuthorization: true, accessPolicies: [], tenantId: tenant.tenantId });
    const legacy = bodyOf(await call("GET", `${links("mlw-sandbox-dev").keyVault}?api-version=2023-07-01`, userCaller("security")));
    expect(legacy.properties.enableRbacAuthorization).toBe(false);
    expect(legacy.properties.accessPolicies).toEqual([
      expect.objectContaining({ objectId: workspace("mlw-sandbox-dev").systemAssignedPrincipalId, tenantId: tenant.tenantId }),
    ]);

    const registry = bodyOf(await call("GET", `${fraud.containerRegistry}?api-version=2023-07-01`, userCaller("security")));
    expect(registry).toMatchObject({ type: "Microsoft.ContainerRegistry/registries", sku: { name: "Premium" } });
    expect(registry.properties.loginServer).toMatch(/^cr.+\.azurecr\.io$/);
    const insights = bodyOf(await call("GET", `${fraud.applicationInsights}?api-version=2020-02-02`, userCaller("security")));
    expect(insights).toMatchObject({ type: "microsoft.insights/components", kind: "web" });
    expect(insights.properties.InstrumentationKey).toMatch(/^[0-9a-f-]{36}$/);

    const amlRegistry = linkedResourceArmId("amlRegistry", subscription("Contoso ML Production"), "rg-shared-prod", SEEDED_LINKED.sharedRegistry.name);
    const aml = bodyOf(await call("GET", `${amlRegistry}?api-version=2024-10-01`, userCaller("security")));
    expect(aml).toMatchObject({ id: amlRegistry, type: "Microsoft.MachineLearningServices/registries", name: "mlr-contoso-shared" });
    expect((aml.properties.regionDetails as unknown[]).length).toBe(3);
  });

  it("matches ids ignoring case and answers in the resource's own casing", async () => {
    const id = links("mlw-fraud-prod").keyVault;
    const response = await call("GET", `${id.toLowerCase()}?api-version=2023-07-01`, userCaller("security"));
    expect(response.status).toBe(200);
    expect(bodyOf(response).id).toBe(id);
  });

  it("refuses an api-version the provider does not register and a missing one", async () => {
    const id = links("mlw-fraud-prod").storageAccount;
    const wrong = await call("GET", `${id}?api-version=2024-10-01`, userCaller("security"));
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong)).toMatchObject({ code: "NoRegisteredProviderFound", message: expect.stringContaining("for type 'storageAccounts'") as string });
    expect(errorOf(await call("GET", id, userCaller("security"))).code).toBe("MissingApiVersionParameter");
  });

  it("answers 404 ResourceNotFound for the deleted storage account, 403 to a caller who may not read there", async () => {
    const deleted = links(SEEDED_LINKED.storageDeleted).storageAccount;
    const missing = await call("GET", `${deleted}?api-version=2023-05-01`, userCaller("security"));
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe("ResourceNotFound");
    // ARM authorizes before it looks: whoever cannot read there learns nothing of what exists.
    const stranger = userCallerById(unassignedUser().id);
    expect((await call("GET", `${deleted}?api-version=2023-05-01`, stranger)).status).toBe(403);
    const denied = await call("GET", `${links("mlw-fraud-prod").storageAccount}?api-version=2023-05-01`, stranger);
    expect(denied.status).toBe(403);
    expect(errorOf(denied)).toMatchObject({
      code: "AuthorizationFailed",
      message: expect.stringContaining("'Microsoft.Storage/storageAccounts/read'") as string,
    });
  });

  it("answers 404 once a resource is deleted, while the workspace still names it", async () => {
    const vault = links("mlw-fraud-prod").keyVault;
    expect(tenant.deleteLinkedResource(vault.toUpperCase())).toBe(true);
    expect((await call("GET", `${vault}?api-version=2023-07-01`, userCaller("security"))).status).toBe(404);
    const fraud = workspace("mlw-fraud-prod");
    const read = await call("GET", `${workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, fraud.name)}?api-version=2024-10-01`, userCaller("security"));
    expect(bodyOf(read).properties.keyVault).toBe(vault);
  });

  it("needs the type's read action: Storage Blob Data Contributor alone does not read the account", async () => {
    const storage = links("mlw-fraud-prod").storageAccount;
    const user = unassignedUser();
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: NEW_NAME,
        scope: storage,
        roleDefinitionName: LINKED_ROLE_IDS.storageBlobDataContributor,
        principalId: user.id,
        principalType: "User",
        createdOn: "2025-01-01T00:00:00.0000000Z",
      }),
    );
    const response = await call("GET", `${storage}?api-version=2023-05-01`, userCallerById(user.id));
    expect(response.status).toBe(403);
    expect(errorOf(response).message).toContain("'Microsoft.Storage/storageAccounts/read'");
  });

  it("is listed by the generic resource list and Resource Graph, filtered by what the caller reads", async () => {
    const production = subscription("Contoso ML Production");
    const rows = (await call("GET", `/subscriptions/${production}/resourceGroups/rg-shared-prod/resources?api-version=2021-04-01`, userCaller("security")))
      .body as { value: { id: string; type: string }[] };
    expect(rows.value.map((row) => row.type).sort()).toEqual([
      "Microsoft.KeyVault/vaults",
      "Microsoft.KeyVault/vaults",
      "Microsoft.MachineLearningServices/registries",
      "microsoft.insights/components",
    ]);
    const graph = await call("POST", `/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01`, userCaller("security"), {
      subscriptions: [production],
      query: "resources | where type =~ 'microsoft.keyvault/vaults' | project id, name",
    });
    expect(graph.status).toBe(200);
    const ids = (graph.body as { data: { id: string }[] }).data.map((row) => row.id.toLowerCase());
    expect(ids).toContain(links("mlw-fraud-prod").keyVault.toLowerCase());
    expect(ids).toContain(links(SEEDED_LINKED.keyVaultInOtherSubscription.workspace).keyVault.toLowerCase());
  });
});

/** The property paths each REST spec Get example's 200 body has (see arm/linked-resources.ts for the files). */
const SPEC_EXAMPLE_PATHS: Record<string, { apiVersion: string; paths: readonly string[] }> = {
  storageAccount: {
    apiVersion: "2023-05-01",
    paths: [
      "id",
      "kind",
      "location",
      "name",
      "sku.name",
      "sku.tier",
      "tags",
      "type",
      "properties.keyCreationTime.key1",
      "properties.keyCreationTime.key2",
      "properties.isHnsEnabled",
      "properties.creationTime",
      "properties.networkAcls.bypass",
      "properties.networkAcls.defaultAction",
      "properties.networkAcls.ipRules",
      "properties.networkAcls.virtualNetworkRules",
      "properties.primaryEndpoints.web",
      "properties.primaryEndpoints.dfs",
      "properties.primaryEndpoints.blob",
      "properties.primaryEndpoints.file",
      "properties.primaryEndpoints.queue",
      "properties.primaryEndpoints.table",
      "properties.primaryLocation",
      "properties.provisioningState",
      "properties.encryption.services.file.keyType",
      "properties.encryption.services.blob.enabled",
      "properties.encryption.services.blob.lastEnabledTime",
      "properties.encryption.keySource",
      "properties.statusOfPrimary",
      "properties.supportsHttpsTrafficOnly",
    ],
  },
  keyVault: {
    apiVersion: "2023-07-01",
    paths: [
      "id",
      "name",
      "type",
      "location",
      "tags",
      "systemData.createdBy",
      "systemData.createdByType",
      "systemData.createdAt",
      "systemData.lastModifiedBy",
      "systemData.lastModifiedByType",
      "systemData.lastModifiedAt",
      "properties.sku.family",
      "properties.sku.name",
      "properties.tenantId",
      "properties.accessPolicies",
      "properties.enabledForDeployment",
      "properties.enabledForDiskEncryption",
      "properties.enabledForTemplateDeployment",
      "properties.vaultUri",
      "properties.provisioningState",
      "properties.publicNetworkAccess",
    ],
  },
  containerRegistry: {
    apiVersion: "2023-07-01",
    paths: [
      "id",
      "name",
      "type",
      "location",
      "tags",
      "sku.name",
      "sku.tier",
      "properties.loginServer",
      "properties.creationDate",
      "properties.provisioningState",
      "properties.adminUserEnabled",
      "properties.networkRuleSet.defaultAction",
      "properties.networkRuleSet.ipRules",
      "properties.policies.quarantinePolicy.status",
      "properties.policies.trustPolicy.type",
      "properties.policies.trustPolicy.status",
      "properties.policies.retentionPolicy.days",
      "properties.policies.retentionPolicy.lastUpdatedTime",
      "properties.policies.retentionPolicy.status",
      "properties.policies.exportPolicy.status",
      "properties.encryption.status",
      "properties.status",
      "properties.dataEndpointEnabled",
      "properties.dataEndpointHostNames",
      "properties.privateEndpointConnections",
      "properties.publicNetworkAccess",
      "properties.networkRuleBypassOptions",
      "properties.zoneRedundancy",
    ],
  },
  applicationInsights: {
    apiVersion: "2020-02-02",
    paths: [
      "id",
      "name",
      "type",
      "location",
      "tags",
      "kind",
      "properties.ApplicationId",
      "properties.AppId",
      "properties.Application_Type",
      "properties.Flow_Type",
      "properties.Request_Source",
      "properties.InstrumentationKey",
      "properties.CreationDate",
      "properties.TenantId",
      "properties.HockeyAppId",
      "properties.HockeyAppToken",
      "properties.provisioningState",
      "properties.SamplingPercentage",
      "properties.WorkspaceResourceId",
      "properties.ConnectionString",
      "properties.DisableIpMasking",
      "properties.publicNetworkAccessForQuery",
      "properties.publicNetworkAccessForIngestion",
      "properties.IngestionMode",
    ],
  },
  amlRegistry: {
    apiVersion: "2024-10-01",
    paths: [
      "tags",
      "location",
      "kind",
      "sku.name",
      "sku.tier",
      "id",
      "name",
      "type",
      "properties.regionDetails",
      "properties.intellectualPropertyPublisher",
      "properties.publicNetworkAccess",
      "properties.discoveryUrl",
      "properties.managedResourceGroup",
      "properties.mlFlowRegistryUri",
      "properties.registryPrivateEndpointConnections",
      "systemData.createdAt",
      "systemData.createdBy",
      "systemData.createdByType",
      "systemData.lastModifiedAt",
      "systemData.lastModifiedBy",
      "systemData.lastModifiedByType",
    ],
  },
};

describe("the REST spec examples' shapes", () => {
  it.each(Object.entries(SPEC_EXAMPLE_PATHS))("a %s has every property its Get example has", async (kind, { apiVersion, paths }) => {
    const resource = [...tenant.linkedResources.values()].find((candidate) => candidate.kind === kind)!;
    const id = linkedResourceArmId(resource.kind, resource.subscriptionId, resource.resourceGroup, resource.name);
    const response = await call("GET", `${id}?api-version=${apiVersion}`, userCaller("security"));
    expect(response.status).toBe(200);
    const missing = paths.filter((path) => {
      let value: unknown = response.body;
      for (const key of path.split(".")) {
        if (typeof value !== "object" || value === null || !(key in value)) return true;
        value = (value as Record<string, unknown>)[key];
      }
      return false;
    });
    expect(missing).toEqual([]);
  });
});

describe("role assignments at a linked resource", () => {
  it("creates, reads and deletes one on a storage account; the role list there has the companion roles", async () => {
    const storage = links("mlw-churn-prod").storageAccount;
    const user = unassignedUser();
    const created = await call("PUT", assignmentPath(storage, NEW_NAME), userCaller("admin"), createBody(user.id, LINKED_ROLE_IDS.storageBlobDataContributor));
    expect(created.status).toBe(201);
    expect(bodyOf(created).properties).toMatchObject({ scope: storage, principalId: user.id });
    expect(bodyOf(created).id).toBe(`${storage}/providers/Microsoft.Authorization/roleAssignments/${NEW_NAME}`);
    expect((await call("GET", assignmentPath(storage.toUpperCase(), NEW_NAME), userCaller("admin"))).status).toBe(200);

    const again = await call("PUT", assignmentPath(storage, OTHER_NAME), userCaller("admin"), createBody(user.id, LINKED_ROLE_IDS.storageBlobDataContributor));
    expect(again.status).toBe(409);
    expect(errorOf(again).code).toBe("RoleAssignmentExists");

    const definitions = (await call("GET", `${storage}/providers/Microsoft.Authorization/roleDefinitions?${AUTH_API}`, userCaller("admin"))).body as {
      value: { name: string; properties: { roleName: string } }[];
    };
    expect(definitions.value.map((d) => d.properties.roleName)).toEqual(
      expect.arrayContaining(["Storage Blob Data Contributor", "Storage File Data Privileged Contributor", "Key Vault Secrets User", "AcrPull"]),
    );

    const removed = await call("DELETE", assignmentPath(storage, NEW_NAME), userCaller("admin"));
    expect(removed.status).toBe(200);
    expect(tenant.roleAssignments.has(NEW_NAME)).toBe(false);
  });

  it("lists at the resource what applies there (its own and inherited), and not at the workspace", async () => {
    const storage = links("mlw-fraud-prod").storageAccount;
    const fraud = workspace("mlw-fraud-prod");
    const list = async (scope: string, filter = "") =>
      (
        (await call("GET", `${scope}/providers/Microsoft.Authorization/roleAssignments?${AUTH_API}${filter}`, userCaller("admin"))).body as {
          value: { name: string; properties: { scope: string } }[];
        }
      ).value;
    const atStorage = await list(storage);
    expect(atStorage.map((a) => a.name)).toContain(SEEDED_LINKED.directBlobAssignment);
    // Inherited from the subscription (the admin's Owner) and the resource group.
    expect(atStorage.some((a) => a.properties.scope === subscriptionArmId(fraud.subscriptionId))).toBe(true);
    expect(atStorage.some((a) => a.properties.scope === resourceGroupArmId(fraud.subscriptionId, fraud.resourceGroup))).toBe(true);
    // The workspace is not an ancestor of its storage account: neither list shows the other's own assignments.
    const atWorkspace = await list(workspaceArmId(fraud.subscriptionId, fraud.resourceGroup, fraud.name));
    expect(atWorkspace.map((a) => a.name)).not.toContain(SEEDED_LINKED.directBlobAssignment);
    expect(atStorage.some((a) => a.properties.scope.toLowerCase().includes("/workspaces/"))).toBe(false);
    // A resource group's list shows what is below it, the storage account's included.
    expect((await list(resourceGroupArmId(fraud.subscriptionId, fraud.resourceGroup))).map((a) => a.name)).toContain(SEEDED_LINKED.directBlobAssignment);
    expect((await list(storage, "&$filter=atScope()")).map((a) => a.name)).toContain(SEEDED_LINKED.directBlobAssignment);
  });

  it("is authorized like ARM: roleAssignments/write at the resource or above, not on the workspace beside it", async () => {
    const storage = links("mlw-fraud-prod").storageAccount;
    const user = unassignedUser();
    // The team lead holds Data Scientist on the workspace and Reader on its resource group: neither writes assignments.
    const fromWorkspace = await call(
      "PUT",
      assignmentPath(storage, NEW_NAME),
      userCaller("team-lead"),
      createBody(user.id, LINKED_ROLE_IDS.storageBlobDataContributor),
    );
    expect(fromWorkspace.status).toBe(403);
    expect(errorOf(fromWorkspace)).toMatchObject({
      code: "AuthorizationFailed",
      message: expect.stringContaining("Microsoft.Authorization/roleAssignments/write") as string,
    });
    // An RBAC Administrator assignment on the storage account itself is enough there, and only there.
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: "0c0ffee0-0000-4000-8000-0000000000aa",
        scope: storage,
        roleDefinitionName: ROLE_IDS.rbacAdministrator,
        principalId: user.id,
        principalType: "User",
        createdOn: "2025-01-01T00:00:00.0000000Z",
      }),
    );
    const other = [...tenant.users.values()].find((candidate) => candidate.id !== user.id && candidate.userType === "Member")!;
    const own = await call("PUT", assignmentPath(storage, NEW_NAME), userCallerById(user.id), createBody(other.id, LINKED_ROLE_IDS.storageBlobDataReader));
    expect(own.status).toBe(201);
    const registry = links("mlw-fraud-prod").containerRegistry;
    expect((await call("PUT", assignmentPath(registry, OTHER_NAME), userCallerById(user.id), createBody(other.id, LINKED_ROLE_IDS.acrPull))).status).toBe(403);
  });

  it("serves the other authorization lists at a resource scope: permissions, PIM instances, deny assignments", async () => {
    const storage = links("mlw-fraud-prod").storageAccount;
    const permissions = await call("GET", `${storage}/providers/Microsoft.Authorization/permissions?${AUTH_API}`, userCaller("admin"));
    expect(permissions.status).toBe(200);
    expect((permissions.body as { value: unknown[] }).value.length).toBeGreaterThan(0);
    for (const collection of ["roleEligibilityScheduleInstances", "roleAssignmentScheduleInstances"]) {
      const response = await call("GET", `${storage}/providers/Microsoft.Authorization/${collection}?api-version=2020-10-01`, userCaller("admin"));
      expect(response.status).toBe(200);
    }
    // The deployment stack's deny assignment is on the workspace, which is not above the storage account.
    const denies = await call("GET", `${storage}/providers/Microsoft.Authorization/denyAssignments?${AUTH_API}`, userCaller("admin"));
    expect(denies.status).toBe(200);
    expect((denies.body as { value: unknown[] }).value).toEqual([]);
  });

  it("reaches a vault in another subscription through that subscription's grants, and refuses a deleted resource's scope", async () => {
    const vault = links(SEEDED_LINKED.keyVaultInOtherSubscription.workspace).keyVault;
    const user = unassignedUser();
    // The admin owns Production, where the vault is, although the workspace is in Research.
    const created = await call("PUT", assignmentPath(vault, NEW_NAME), userCaller("admin"), createBody(user.id, LINKED_ROLE_IDS.keyVaultSecretsUser));
    expect(created.status).toBe(201);
    const deleted = links(SEEDED_LINKED.storageDeleted).storageAccount;
    const gone = await call("PUT", assignmentPath(deleted, OTHER_NAME), userCaller("admin"), createBody(user.id, LINKED_ROLE_IDS.storageBlobDataContributor));
    expect(gone.status).toBe(404);
    expect(errorOf(gone).code).toBe("ResourceNotFound");
  });
});
