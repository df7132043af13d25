/** Renders tenant records in ARM's wire shapes (property order and nulls as in live responses). */
import { resourceGroupArmId, subscriptionArmId, subscriptionOfScope, workspaceArmId, workspaceLinks } from "../tenant/arm-ids";
import type { ResourceGroupRecord, RoleAssignmentRecord, RoleDefinitionRecord, SubscriptionRecord, WorkspaceRecord } from "../tenant/model";

const ROLE_ASSIGNMENTS_SEGMENT = "providers/Microsoft.Authorization/roleAssignments";
const ROLE_DEFINITIONS_SEGMENT = "providers/Microsoft.Authorization/roleDefinitions";

export function roleAssignmentId(scope: string, name: string): string {
  return scope === "/" ? `/${ROLE_ASSIGNMENTS_SEGMENT}/${name}` : `${scope}/${ROLE_ASSIGNMENTS_SEGMENT}/${name}`;
}

/** Built-in role ids are subscription-qualified inside a subscription context, tenant-level otherwise. */
export function roleDefinitionId(name: string, contextSubscriptionId: string | undefined): string {
  return contextSubscriptionId ? `/subscriptions/${contextSubscriptionId}/${ROLE_DEFINITIONS_SEGMENT}/${name}` : `/${ROLE_DEFINITIONS_SEGMENT}/${name}`;
}

export interface RenderAssignmentOptions {
  /** Subscription of the request's scope; defaults to the assignment's own. */
  readonly contextSubscriptionId?: string;
  /** The create response shows `createdBy: null` (later reads show the creator). */
  readonly asCreateResponse?: boolean;
}

export function renderRoleAssignment(assignment: RoleAssignmentRecord, options: RenderAssignmentOptions = {}): unknown {
  const context = options.contextSubscriptionId ?? subscriptionOfScope(assignment.scope);
  return {
    properties: {
      roleDefinitionId: roleDefinitionId(assignment.roleDefinitionName, context),
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      scope: assignment.scope,
      condition: assignment.condition,
      conditionVersion: assignment.conditionVersion,
      createdOn: assignment.createdOn,
      updatedOn: assignment.updatedOn,
      createdBy: options.asCreateResponse ? null : assignment.createdBy,
      updatedBy: assignment.updatedBy,
      delegatedManagedIdentityResourceId: assignment.delegatedManagedIdentityResourceId,
      description: assignment.description,
    },
    id: roleAssignmentId(assignment.scope, assignment.name),
    type: "Microsoft.Authorization/roleAssignments",
    name: assignment.name,
  };
}

export function renderRoleDefinition(definition: RoleDefinitionRecord, contextSubscriptionId: string | undefined): unknown {
  return {
    properties: {
      roleName: definition.roleName,
      type: definition.type,
      description: definition.description,
      assignableScopes: definition.assignableScopes,
      permissions: definition.permissions,
      createdOn: definition.createdOn,
      updatedOn: definition.updatedOn,
      createdBy: definition.createdBy,
      updatedBy: definition.updatedBy,
    },
    id: roleDefinitionId(definition.name, contextSubscriptionId),
    type: "Microsoft.Authorization/roleDefinitions",
    name: definition.name,
  };
}

export function renderSubscription(subscription: SubscriptionRecord, tenantId: string): unknown {
  return {
    id: subscriptionArmId(subscription.subscriptionId),
    subscriptionId: subscription.subscriptionId,
    tenantId,
    displayName: subscription.displayName,
    state: subscription.state,
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: subscription.quotaId,
      spendingLimit: subscription.spendingLimit,
    },
    authorizationSource: "RoleBased",
    managedByTenants: (subscription.managedByTenants ?? []).map((tenantId) => ({ tenantId })),
    tags: subscription.tags,
  };
}

export function renderResourceGroup(resourceGroup: ResourceGroupRecord): unknown {
  return {
    id: resourceGroupArmId(resourceGroup.subscriptionId, resourceGroup.name),
    name: resourceGroup.name,
    type: "Microsoft.Resources/resourceGroups",
    location: resourceGroup.location,
    tags: resourceGroup.tags,
    properties: { provisioningState: "Succeeded" },
  };
}

/** A workspace in the 2024-10-01 shape (see arm-other/Workspaces_Get.2024-10-01.json). */
export function renderWorkspace(workspace: WorkspaceRecord, tenantId: string): unknown {
  const id = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
  const rgId = resourceGroupArmId(workspace.subscriptionId, workspace.resourceGroup);
  const links = workspaceLinks(workspace);
  const keyVaultName = links.keyVault.split("/").pop() ?? "";
  const userAssigned = Object.entries(workspace.userAssignedIdentities);
  const encryptionIdentity = userAssigned[0]?.[0];
  return {
    id,
    name: workspace.name,
    type: "Microsoft.MachineLearningServices/workspaces",
    location: workspace.location,
    tags: workspace.tags,
    kind: workspace.kind,
    sku: { name: "Basic", tier: "Basic" },
    identity: {
      principalId: workspace.systemAssignedPrincipalId,
      tenantId,
      type: userAssigned.length > 0 ? "SystemAssigned,UserAssigned" : "SystemAssigned",
      ...(userAssigned.length > 0 ? { userAssignedIdentities: workspace.userAssignedIdentities } : {}),
    },
    systemData: {
      createdAt: workspace.createdAt,
      createdBy: workspace.createdBy,
      createdByType: "User",
      lastModifiedAt: workspace.createdAt,
      lastModifiedBy: workspace.createdBy,
      lastModifiedByType: "User",
    },
    properties: {
      workspaceId: workspace.workspaceId,
      friendlyName: workspace.friendlyName,
      description: workspace.description,
      provisioningState: "Succeeded",
      containerRegistry: links.containerRegistry,
      keyVault: links.keyVault,
      applicationInsights: links.applicationInsights,
      storageAccount: links.storageAccount,
      discoveryUrl: `https://${workspace.location}.api.azureml.ms/discovery`,
      mlFlowTrackingUri: `azureml://${workspace.location}.api.azureml.ms/mlflow/v1.0${id}`,
      hubResourceId: workspace.hubResourceId,
      encryption: encryptionIdentity
        ? {
            status: "Enabled",
            identity: { userAssignedIdentity: encryptionIdentity },
            keyVaultProperties: {
              keyVaultArmId: links.keyVault,
              keyIdentifier: `https://${keyVaultName}.vault.azure.net/keys/cmk/${workspace.workspaceId.replace(/-/g, "")}`,
              identityClientId: "",
            },
          }
        : null,
      hbiWorkspace: workspace.hbiWorkspace,
      serviceProvisionedResourceGroup: `${workspace.name}_${workspace.workspaceId.replace(/-/g, "").slice(0, 16)}`,
      privateLinkCount: workspace.publicNetworkAccess === "Disabled" ? 1 : 0,
      allowPublicAccessWhenBehindVnet: false,
      publicNetworkAccess: workspace.publicNetworkAccess,
      imageBuildCompute: null,
      privateEndpointConnections:
        workspace.publicNetworkAccess === "Disabled"
          ? [
              {
                id: `${id}/privateEndpointConnections/pe-${workspace.name}`,
                name: `pe-${workspace.name}`,
                type: "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections",
                properties: {
                  provisioningState: "Succeeded",
                  privateEndpoint: { id: `${rgId}/providers/Microsoft.Network/privateEndpoints/pe-${workspace.name}` },
                  privateLinkServiceConnectionState: { status: "Approved", description: "Auto-Approved", actionsRequired: "None" },
                },
              },
            ]
          : [],
      sharedPrivateLinkResources: [],
    },
  };
}
