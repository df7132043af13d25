/**
 * A workspace's linked resources and AML registries: GET of one storage account, key vault, container registry,
 * Application Insights component or AML registry, read-only, authorized as ARM does (the type's `read` action at the
 * resource or above, checked before the lookup, so a missing resource is a 403 to those who may not read there).
 *
 * Bodies have the properties of the Get examples of the public REST specs (Azure/azure-rest-api-specs,
 * resource-manager; the test lists the paths it checks): Microsoft.Storage stable/2023-05-01
 * StorageAccountGetProperties.json, Microsoft.KeyVault stable/2023-07-01 getVault.json (plus
 * `properties.enableRbacAuthorization` of the spec's VaultProperties, `accessPolicies` empty in RBAC mode; `vaultUri`
 * with the trailing slash live answers have), Microsoft.ContainerRegistry stable/2023-07-01 RegistryGet.json,
 * applicationinsights Microsoft.Insights stable/2020-02-02 ComponentsGet.json (the type lower-cased as workspaces name
 * it), and Microsoft.MachineLearningServices stable/2024-10-01 Registries/get-SystemCreated.json (no identity: the
 * sandbox models none for registries). Values the sandbox has no data for are the examples' defaults or the
 * locally-redundant, non-replicated case.
 */
import type { SandboxResponse } from "../contract";
import { linkedResourceArmId, resourceGroupArmId } from "../tenant/arm-ids";
import { LINKED_RESOURCE_TYPES, type LinkedResourceKind, type LinkedResourceRecord } from "../tenant/model";
import type { Tenant } from "../tenant/tenant";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { ARM_MESSAGES, armError, armJson } from "./responses";
import { isResponse, resolveOrError } from "./resources";

/** The stable api-versions each type's provider registers (the public REST specs' stable folders), oldest first. */
export const LINKED_RESOURCE_API_VERSIONS: Record<LinkedResourceKind, readonly string[]> = {
  storageAccount: ["2021-09-01", "2022-09-01", "2023-01-01", "2023-05-01", "2024-01-01"],
  keyVault: ["2022-07-01", "2023-02-01", "2023-07-01", "2024-11-01"],
  containerRegistry: ["2022-12-01", "2023-07-01", "2023-11-01-preview", "2025-04-01"],
  applicationInsights: ["2015-05-01", "2020-02-02"],
  amlRegistry: ["2023-04-01", "2024-04-01", "2024-10-01"],
};

/** The action that reads a resource of the kind: `{namespace}/{type}/read`. */
export function linkedResourceReadAction(kind: LinkedResourceKind): string {
  return `${LINKED_RESOURCE_TYPES[kind]}/read`;
}

export function linkedResourceId(resource: LinkedResourceRecord): string {
  return linkedResourceArmId(resource.kind, resource.subscriptionId, resource.resourceGroup, resource.name);
}

/** The type name ARM's api-version refusal names (`storageAccounts`, `vaults`, …). */
export function linkedResourceTypeName(kind: LinkedResourceKind): string {
  return LINKED_RESOURCE_TYPES[kind].split("/")[1] ?? LINKED_RESOURCE_TYPES[kind];
}

/** Callers check the api-version first (`LINKED_RESOURCE_API_VERSIONS`), as ARM's front door does. */
export function getLinkedResource(context: ArmContext, kind: LinkedResourceKind, subscriptionId: string, resourceGroup: string, name: string): SandboxResponse {
  const type = LINKED_RESOURCE_TYPES[kind];
  const rgResolved = resolveOrError(context, `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`);
  if (isResponse(rgResolved)) return rgResolved;
  const requested = `${rgResolved.scope}/providers/${type}/${name}`;
  const denied = denyUnlessAuthorized(context, linkedResourceReadAction(kind), requested);
  if (denied) return denied;
  const resource = context.tenant.linkedResources.get(requested.toLowerCase());
  if (!resource) return armError(context, 404, "ResourceNotFound", ARM_MESSAGES.resourceNotFound(type, name, resourceGroup));
  return armJson(context, 200, renderLinkedResource(resource, context.tenant));
}

export function renderLinkedResource(resource: LinkedResourceRecord, tenant: Tenant): unknown {
  switch (resource.kind) {
    case "storageAccount":
      return renderStorageAccount(resource);
    case "keyVault":
      return renderKeyVault(resource, tenant.tenantId);
    case "containerRegistry":
      return renderContainerRegistry(resource);
    case "applicationInsights":
      return renderApplicationInsights(resource, tenant.tenantId);
    case "amlRegistry":
      return renderAmlRegistry(resource);
  }
}

/** The common fields a generic listing (`/resources`, Resource Graph) shows for the resource. */
export function genericLinkedResource(
  resource: LinkedResourceRecord,
  tenant: Tenant,
): { id: string; name: string; type: string; sku?: unknown; kind?: unknown; location: string; tags: Record<string, string> } {
  const wire = renderLinkedResource(resource, tenant) as Record<string, unknown>;
  return {
    id: linkedResourceId(resource),
    name: resource.name,
    type: LINKED_RESOURCE_TYPES[resource.kind],
    ...(wire.sku !== undefined ? { sku: wire.sku } : {}),
    ...(wire.kind !== undefined ? { kind: wire.kind } : {}),
    location: resource.location,
    tags: resource.tags,
  };
}

function systemData(resource: LinkedResourceRecord): unknown {
  return {
    createdBy: resource.createdBy,
    createdByType: "User",
    createdAt: resource.createdAt,
    lastModifiedBy: resource.createdBy,
    lastModifiedByType: "User",
    lastModifiedAt: resource.createdAt,
  };
}

function renderStorageAccount(resource: LinkedResourceRecord): unknown {
  const host = (service: string) => `https://${resource.name}.${service}.core.windows.net/`;
  return {
    sku: { name: "Standard_LRS", tier: "Standard" },
    kind: "StorageV2",
    id: linkedResourceId(resource),
    name: resource.name,
    type: LINKED_RESOURCE_TYPES.storageAccount,
    location: resource.location,
    tags: resource.tags,
    properties: {
      keyCreationTime: { key1: resource.createdAt, key2: resource.createdAt },
      privateEndpointConnections: [],
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      isHnsEnabled: false,
      networkAcls: { bypass: "AzureServices", virtualNetworkRules: [], ipRules: [], defaultAction: "Allow" },
      supportsHttpsTrafficOnly: true,
      encryption: {
        services: {
          file: { keyType: "Account", enabled: true, lastEnabledTime: resource.createdAt },
          blob: { keyType: "Account", enabled: true, lastEnabledTime: resource.createdAt },
        },
        keySource: "Microsoft.Storage",
      },
      accessTier: "Hot",
      provisioningState: "Succeeded",
      creationTime: resource.createdAt,
      primaryEndpoints: {
        dfs: host("dfs"),
        web: host("web"),
        blob: host("blob"),
        queue: host("queue"),
        table: host("table"),
        file: host("file"),
      },
      primaryLocation: resource.location,
      statusOfPrimary: "available",
    },
  };
}

/** Access-policy mode: the permissions AML gives a workspace identity on its vault (the portal's "Key, Secret & Certificate Management"). */
const WORKSPACE_VAULT_PERMISSIONS = {
  keys: ["all"],
  secrets: ["all"],
  certificates: ["all"],
};

function renderKeyVault(resource: LinkedResourceRecord, tenantId: string): unknown {
  const usesRbac = resource.enableRbacAuthorization === true;
  return {
    id: linkedResourceId(resource),
    name: resource.name,
    type: LINKED_RESOURCE_TYPES.keyVault,
    location: resource.location,
    tags: resource.tags,
    systemData: systemData(resource),
    properties: {
      sku: { family: "A", name: "standard" },
      tenantId,
      accessPolicies: usesRbac
        ? []
        : (resource.accessPolicyObjectIds ?? []).map((objectId) => ({ tenantId, objectId, permissions: WORKSPACE_VAULT_PERMISSIONS })),
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enableRbacAuthorization: usesRbac,
      enablePurgeProtection: true,
      vaultUri: `https://${resource.name}.vault.azure.net/`,
      provisioningState: "Succeeded",
      publicNetworkAccess: "Enabled",
    },
  };
}

function renderContainerRegistry(resource: LinkedResourceRecord): unknown {
  const sku = resource.skuName ?? "Standard";
  return {
    sku: { name: sku, tier: sku },
    type: LINKED_RESOURCE_TYPES.containerRegistry,
    id: linkedResourceId(resource),
    name: resource.name,
    location: resource.location,
    tags: resource.tags,
    systemData: systemData(resource),
    properties: {
      loginServer: `${resource.name.toLowerCase()}.azurecr.io`,
      creationDate: resource.createdAt,
      provisioningState: "Succeeded",
      adminUserEnabled: false,
      networkRuleSet: { defaultAction: "Allow", ipRules: [] },
      policies: {
        quarantinePolicy: { status: "disabled" },
        trustPolicy: { type: "Notary", status: "disabled" },
        retentionPolicy: { days: 7, lastUpdatedTime: resource.createdAt, status: "disabled" },
        exportPolicy: { status: "enabled" },
      },
      encryption: { status: "disabled" },
      status: null,
      dataEndpointEnabled: false,
      dataEndpointHostNames: [],
      privateEndpointConnections: [],
      publicNetworkAccess: "Enabled",
      networkRuleBypassOptions: "AzureServices",
      zoneRedundancy: "Disabled",
      anonymousPullEnabled: false,
    },
  };
}

function renderApplicationInsights(resource: LinkedResourceRecord, tenantId: string): unknown {
  const instrumentationKey = resource.instrumentationKey ?? "";
  return {
    id: linkedResourceId(resource),
    name: resource.name,
    type: LINKED_RESOURCE_TYPES.applicationInsights,
    location: resource.location,
    tags: resource.tags,
    kind: "web",
    etag: `"${instrumentationKey.slice(0, 8)}-0000-0100-0000-000000000000"`,
    properties: {
      ApplicationId: resource.name,
      AppId: resource.appId ?? null,
      Application_Type: "web",
      Flow_Type: "Bluefield",
      Request_Source: "rest",
      InstrumentationKey: instrumentationKey,
      ConnectionString: `InstrumentationKey=${instrumentationKey};IngestionEndpoint=https://${resource.location}-0.in.applicationinsights.azure.com/`,
      Name: resource.name,
      CreationDate: resource.createdAt,
      TenantId: tenantId,
      HockeyAppId: "",
      HockeyAppToken: "",
      provisioningState: "Succeeded",
      SamplingPercentage: null,
      RetentionInDays: 90,
      // Workspace-based, as every component is since classic Application Insights was retired.
      WorkspaceResourceId: `${resourceGroupArmId(resource.subscriptionId, resource.resourceGroup)}/providers/Microsoft.OperationalInsights/workspaces/log-${resource.name}`,
      DisableIpMasking: false,
      IngestionMode: "LogAnalytics",
      publicNetworkAccessForIngestion: "Enabled",
      publicNetworkAccessForQuery: "Enabled",
    },
  };
}

function renderAmlRegistry(resource: LinkedResourceRecord): unknown {
  const id = linkedResourceId(resource);
  const sku = resource.skuName ?? "Basic";
  return {
    id,
    name: resource.name,
    type: LINKED_RESOURCE_TYPES.amlRegistry,
    location: resource.location,
    tags: resource.tags,
    kind: "registry",
    sku: { name: sku, tier: sku },
    systemData: systemData(resource),
    properties: {
      discoveryUrl: `https://${resource.location}.api.azureml.ms/registrymanagement/v1.0/registries/${resource.name}/discovery`,
      intellectualPropertyPublisher: null,
      managedResourceGroup: null,
      mlFlowRegistryUri: `azureml://${resource.location}.api.azureml.ms/mlflow/v1.0${id}`,
      publicNetworkAccess: "Enabled",
      regionDetails: (resource.replicationLocations ?? [resource.location]).map((location) => ({
        location,
        acrDetails: [{ systemCreatedAcrAccount: { acrAccountSku: "Premium" } }],
        storageAccountDetails: [{ systemCreatedStorageAccount: { storageAccountType: "Standard_LRS", storageAccountHnsEnabled: false } }],
      })),
      registryPrivateEndpointConnections: [],
    },
  };
}
