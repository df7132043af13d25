/** ARM resource ids for the tenant's resources, in ARM's canonical casing. */
import { LINKED_RESOURCE_TYPES, type LinkedResourceKind, type WorkspaceLinks, type WorkspaceRecord } from "./model";

export const WORKSPACE_PROVIDER = "Microsoft.MachineLearningServices/workspaces";

export function subscriptionArmId(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}`;
}

export function managementGroupArmId(name: string): string {
  return `/providers/Microsoft.Management/managementGroups/${name}`;
}

/** The management group name in a `/providers/Microsoft.Management/managementGroups/{name}` scope, lower-cased. */
export function managementGroupOfScope(scope: string): string | undefined {
  const match = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)\/?$/i.exec(scope);
  return match?.[1]?.toLowerCase();
}

export function resourceGroupArmId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function workspaceArmId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${resourceGroupArmId(subscriptionId, resourceGroup)}/providers/${WORKSPACE_PROVIDER}/${name}`;
}

export function userAssignedIdentityArmId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${resourceGroupArmId(subscriptionId, resourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/** ARM ids compare case-insensitively; keys in maps are lower-cased ids. */
export function armKey(id: string): string {
  return id.toLowerCase();
}

/** The subscription id a scope belongs to, or undefined for the root and management groups. */
export function subscriptionOfScope(scope: string): string | undefined {
  const match = /^\/subscriptions\/([^/]+)/i.exec(scope);
  return match?.[1]?.toLowerCase();
}

/** ARM's seven-digit timestamps (`2023-08-23T12:47:46.5507039Z`) from a Date. */
export function armTimestamp(date: Date, extraDigits = "0000"): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, `.$1${extraDigits}Z`);
}

/** The ARM id of a storage account, key vault, container registry, Application Insights component or AML registry. */
export function linkedResourceArmId(kind: LinkedResourceKind, subscriptionId: string, resourceGroup: string, name: string): string {
  return `${resourceGroupArmId(subscriptionId, resourceGroup)}/providers/${LINKED_RESOURCE_TYPES[kind]}/${name}`;
}

/**
 * The names a workspace's linked resources get when created with it in its resource group, as the portal derives them
 * from the workspace name: letters and digits only, storage accounts and registries without hyphens (their naming rules
 * allow none), storage accounts lower-case.
 */
export function defaultWorkspaceLinkNames(workspaceName: string): Record<keyof WorkspaceLinks, string> {
  const short = workspaceName.replace(/[^a-z0-9]/gi, "").slice(0, 16);
  return {
    storageAccount: `st${short.toLowerCase()}`,
    keyVault: `kv-${short}`,
    containerRegistry: `cr${short}`,
    applicationInsights: `appi-${short}`,
  };
}

/** The linked-resource ids a workspace created with its own resources has. */
export function defaultWorkspaceLinks(subscriptionId: string, resourceGroup: string, workspaceName: string): WorkspaceLinks {
  const names = defaultWorkspaceLinkNames(workspaceName);
  return {
    storageAccount: linkedResourceArmId("storageAccount", subscriptionId, resourceGroup, names.storageAccount),
    keyVault: linkedResourceArmId("keyVault", subscriptionId, resourceGroup, names.keyVault),
    containerRegistry: linkedResourceArmId("containerRegistry", subscriptionId, resourceGroup, names.containerRegistry),
    applicationInsights: linkedResourceArmId("applicationInsights", subscriptionId, resourceGroup, names.applicationInsights),
  };
}

/** The ids a workspace's properties name: its own overrides, else the defaults. The one source render and seed share. */
export function workspaceLinks(workspace: Pick<WorkspaceRecord, "subscriptionId" | "resourceGroup" | "name" | "links">): WorkspaceLinks {
  return { ...defaultWorkspaceLinks(workspace.subscriptionId, workspace.resourceGroup, workspace.name), ...workspace.links };
}
