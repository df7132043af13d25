/**
 * The generic listings real clients use beside the typed ones: `GET /subscriptions/{id}/resources` (and the resource
 * group form), the tenant-level `GET /providers`, and the cloud metadata `GET /metadata/endpoints`. The resources the
 * tenant models are AML workspaces, their linked resources and AML registries, so those are the rows these lists can have.
 */
import type { SandboxCloud, SandboxResponse } from "../contract";
import { workspaceArmId } from "../tenant/arm-ids";
import { LINKED_RESOURCE_TYPES, type LinkedResourceKind, type WorkspaceRecord } from "../tenant/model";
import { isAuthorized } from "./authorize";
import { genericLinkedResource, LINKED_RESOURCE_API_VERSIONS, linkedResourceId, linkedResourceReadAction } from "./linked-resources";
import { MANAGED_IDENTITY_API_VERSIONS } from "./managed-identities";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { armPage } from "./paging";
import { PROVIDER_OPERATIONS_API_VERSIONS } from "./provider-operations";
import { renderWorkspace } from "./render";
import { armError, armJson } from "./responses";
import { isScopeError, resolveScope } from "./scopes";

/** Microsoft.Resources api-versions of Resources_List in the public REST specs (stable). */
export const RESOURCES_API_VERSIONS = [
  "2019-10-01",
  "2020-06-01",
  "2021-04-01",
  "2022-09-01",
  "2023-07-01",
  "2024-03-01",
  "2024-07-01",
  "2024-11-01",
  "2025-04-01",
];
export const METADATA_API_VERSIONS = ["2019-05-01", "2022-09-01"];
const WORKSPACE_READ = "Microsoft.MachineLearningServices/workspaces/read";
const EXPANDABLE = new Set(["createdtime", "changedtime", "provisioningstate"]);

/**
 * `$filter` accepts only `resourceType eq '<type>'` here; ARM answers any filter it cannot read with 400
 * InvalidFilterInQueryString, "Invalid $filter '…' specified in the query string." (Azure/azure-sdk-for-net#18748).
 */
export function listResources(context: ArmContext, subscriptionId: string, resourceGroup?: string): SandboxResponse {
  const parent = resourceGroup ? `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}` : `/subscriptions/${subscriptionId}`;
  const resolved = resolveScope(context.tenant, parent);
  if (isScopeError(resolved)) return armError(context, resolved.status, resolved.code, resolved.message);
  const { request, tenant, settings } = context;
  const filter = request.query.get("$filter");
  let typeFilter: string | undefined;
  if (filter !== null) {
    const match = /^\s*resourceType\s+eq\s+'([^']+)'\s*$/i.exec(filter);
    if (!match) return armError(context, 400, "InvalidFilterInQueryString", `Invalid $filter '${filter}' specified in the query string.`);
    typeFilter = match[1]!.toLowerCase();
  }
  const expand = request.query.get("$expand");
  const expanded = new Set(
    (expand ?? "")
      .split(",")
      .map((e) => e.trim().toLowerCase())
      .filter(Boolean),
  );
  if ([...expanded].some((e) => !EXPANDABLE.has(e))) {
    return armError(context, 400, "InvalidExpandQueryString", `Invalid $expand '${expand}' specified in the query string.`);
  }
  const top = request.query.get("$top");
  if (top !== null && !/^[1-9]\d*$/.test(top)) return armError(context, 400, "InvalidTopQueryString", `Invalid $top '${top}' specified in the query string.`);
  const inParent = (r: { subscriptionId: string; resourceGroup: string }) =>
    r.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() && (!resourceGroup || r.resourceGroup.toLowerCase() === resourceGroup.toLowerCase());
  const may = (action: string, scope: string) => isAuthorized(tenant, settings, request.caller, request.now, action, scope);
  const workspaces = [...tenant.workspaces.values()]
    .filter(inParent)
    .filter(() => typeFilter === undefined || typeFilter === "microsoft.machinelearningservices/workspaces")
    .filter((w) => may(WORKSPACE_READ, workspaceArmId(w.subscriptionId, w.resourceGroup, w.name)))
    .map((w) => genericResource(w, tenant.tenantId, expanded));
  const linked = [...tenant.linkedResources.values()]
    .filter(inParent)
    .filter((r) => typeFilter === undefined || typeFilter === LINKED_RESOURCE_TYPES[r.kind].toLowerCase())
    .filter((r) => may(linkedResourceReadAction(r.kind), linkedResourceId(r)))
    .map((r) => ({
      ...genericLinkedResource(r, tenant),
      ...(expanded.has("createdtime") ? { createdTime: r.createdAt } : {}),
      ...(expanded.has("changedtime") ? { changedTime: r.createdAt } : {}),
      ...(expanded.has("provisioningstate") ? { provisioningState: "Succeeded" } : {}),
    }));
  const rows = [...workspaces, ...linked];
  if (rows.length === 0) {
    const denied = denyUnlessAuthorized(context, "Microsoft.Resources/subscriptions/resources/read", resolved.scope);
    if (denied) return denied;
  }
  const page = armPage(request, rows, top === null ? undefined : Math.min(Number(top), 1000));
  if (!page) return armError(context, 400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(context, 200, {
    value: page.value,
    ...(page.nextLink ? { nextLink: page.nextLink } : {}),
  });
}

/** GenericResourceExpanded: the common fields of the resource, never its `properties`. */
function genericResource(workspace: WorkspaceRecord, tenantId: string, expanded: Set<string>): unknown {
  const wire = renderWorkspace(workspace, tenantId) as Record<string, unknown>;
  return {
    id: wire.id,
    name: wire.name,
    type: wire.type,
    sku: wire.sku,
    kind: wire.kind,
    location: wire.location,
    identity: wire.identity,
    tags: wire.tags,
    ...(expanded.has("createdtime") ? { createdTime: workspace.createdAt } : {}),
    ...(expanded.has("changedtime") ? { changedTime: workspace.createdAt } : {}),
    ...(expanded.has("provisioningstate") ? { provisioningState: "Succeeded" } : {}),
  };
}

interface ProviderType {
  readonly resourceType: string;
  readonly locations: string[];
  readonly apiVersions: string[];
}

function linkedType(kind: LinkedResourceKind, locations: string[]): ProviderType {
  return { resourceType: LINKED_RESOURCE_TYPES[kind].split("/")[1] ?? "", locations, apiVersions: [...LINKED_RESOURCE_API_VERSIONS[kind]].reverse() };
}

/** The providers the sandbox serves, with the api-versions it accepts. */
export function listProvidersAtTenant(context: ArmContext, resourceGraphVersions: readonly string[]): SandboxResponse {
  const locations = [...new Set([...context.tenant.workspaces.values()].map((w) => w.location))].sort();
  const providers: { namespace: string; resourceTypes: ProviderType[] }[] = [
    {
      namespace: "Microsoft.Authorization",
      resourceTypes: [
        { resourceType: "roleAssignments", locations: [], apiVersions: ["2022-04-01"] },
        { resourceType: "roleDefinitions", locations: [], apiVersions: ["2022-04-01"] },
        { resourceType: "permissions", locations: [], apiVersions: ["2022-04-01"] },
        { resourceType: "providerOperations", locations: [], apiVersions: [...PROVIDER_OPERATIONS_API_VERSIONS].reverse() },
      ],
    },
    {
      namespace: "Microsoft.MachineLearningServices",
      resourceTypes: [{ resourceType: "workspaces", locations, apiVersions: ["2024-10-01"] }, linkedType("amlRegistry", locations)],
    },
    { namespace: "Microsoft.ContainerRegistry", resourceTypes: [linkedType("containerRegistry", locations)] },
    { namespace: "Microsoft.KeyVault", resourceTypes: [linkedType("keyVault", locations)] },
    { namespace: "microsoft.insights", resourceTypes: [linkedType("applicationInsights", locations)] },
    {
      namespace: "Microsoft.ManagedIdentity",
      resourceTypes: [
        { resourceType: "userAssignedIdentities/federatedIdentityCredentials", locations: [], apiVersions: [...MANAGED_IDENTITY_API_VERSIONS].reverse() },
      ],
    },
    { namespace: "Microsoft.ResourceGraph", resourceTypes: [{ resourceType: "resources", locations: [], apiVersions: [...resourceGraphVersions].reverse() }] },
    {
      namespace: "Microsoft.Resources",
      resourceTypes: [
        { resourceType: "subscriptions", locations: [], apiVersions: ["2022-12-01"] },
        { resourceType: "resources", locations: [], apiVersions: [...RESOURCES_API_VERSIONS].reverse() },
      ],
    },
    { namespace: "Microsoft.Storage", resourceTypes: [linkedType("storageAccount", locations)] },
  ];
  return armJson(context, 200, { value: providers.map((p) => ({ id: `/providers/${p.namespace}`, namespace: p.namespace, resourceTypes: p.resourceTypes })) });
}

/**
 * Cloud metadata: the cloud whose sign-in authority and Resource Manager are the sandbox. 2022-09-01 answers the one
 * cloud as an object (the shape hashicorp/go-azure-helpers' metadata client decodes); 2019-05-01 answers a list of
 * clouds (what azure-cli's `ARM_CLOUD_METADATA_URL` reading iterates).
 */
export function cloudMetadata(origin: string, apiVersion: string, emulated: SandboxCloud): unknown {
  const cloud = {
    portal: origin,
    authentication: {
      loginEndpoint: origin,
      // ARM's token audiences in the emulated cloud (the real document lists the classic one first).
      audiences: [`${emulated.armResources[1]}/`, `${emulated.armResources[0]}/`],
      tenant: "common",
      identityProvider: "AAD",
    },
    media: origin,
    graphAudience: "https://graph.windows.net/",
    graph: "https://graph.windows.net/",
    name: "GatehouseSandbox",
    suffixes: {
      azureDataLakeStoreFileSystem: "azuredatalakestore.net",
      acrLoginServer: "azurecr.io",
      sqlServerHostname: "database.windows.net",
      azureDataLakeAnalyticsCatalogAndJob: "azuredatalakeanalytics.net",
      keyVaultDns: "vault.azure.net",
      storage: "core.windows.net",
      azureFrontDoorEndpointSuffix: "azurefd.net",
      storageSyncEndpointSuffix: "afs.azure.net",
      mhsmDns: "managedhsm.azure.net",
      mysqlServerEndpoint: "mysql.database.azure.com",
      postgresqlServerEndpoint: "postgres.database.azure.com",
      mariadbServerEndpoint: "mariadb.database.azure.com",
      synapseAnalytics: "dev.azuresynapse.net",
      attestationEndpoint: "attest.azure.net",
    },
    batch: "https://batch.core.windows.net/",
    resourceManager: `${origin}/`,
    vmImageAliasDoc: "",
    activeDirectoryDataLake: "https://datalake.azure.net/",
    sqlManagement: "https://management.core.windows.net:8443/",
    // A resource id is a token audience: the sandbox's Graph tokens carry Graph's own.
    microsoftGraphResourceId: `${emulated.graphResource}/`,
    appInsightsResourceId: "https://api.applicationinsights.io",
    appInsightsTelemetryChannelResourceId: "https://dc.applicationinsights.azure.com/v2/track",
    attestationResourceId: "https://attest.azure.net",
    synapseAnalyticsResourceId: "https://dev.azuresynapse.net",
    logAnalyticsResourceId: "https://api.loganalytics.io",
    ossrDbmsResourceId: "https://ossrdbms-aad.database.windows.net",
  };
  return apiVersion === "2019-05-01" ? [cloud] : cloud;
}
