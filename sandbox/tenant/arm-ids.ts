/** ARM resource ids for the tenant's resources, in ARM's canonical casing. */

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
