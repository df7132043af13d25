import { kindLabel } from "@/components/shared/format";
import type { PrincipalStatus } from "@/lib/shared/principal-status";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";

/** How long a new assignment may take to take effect (Azure RBAC propagation). */
export const PROPAGATION_WINDOW_MS = 10 * 60 * 1000;

const ARM_TYPE_LABELS: Record<string, string> = {
  user: "User",
  group: "Group",
  serviceprincipal: "Service principal",
  foreigngroup: "Foreign group",
  device: "Device",
};

/** The principal's type: what the directory says when it answered, else the type ARM recorded on the assignment. */
export function principalTypeLabel(row: Pick<AccessRow, "principal" | "principalType">): string {
  if (row.principal) return kindLabel(row.principal.kind);
  return ARM_TYPE_LABELS[row.principalType.toLowerCase()] ?? row.principalType;
}

/** What the page calls a principal the directory did not return, by why it did not. */
const UNRETURNED_NAMES: Partial<Record<PrincipalStatus, string>> = {
  partner: "Partner organisation's group",
  not_resolvable: "Not resolvable",
  recent: "Not in the directory yet",
};

/** The name shown for a row's principal. */
export function principalName(row: Pick<AccessRow, "principal" | "principalId"> & { readonly principalStatus?: PrincipalStatus }): string {
  if (row.principal === null) return (row.principalStatus && UNRETURNED_NAMES[row.principalStatus]) ?? "Identity not found";
  if (row.principal === undefined) return row.principalId;
  if (row.principal.kind === "partner") return `Partner: ${row.principal.displayName}`;
  return row.principal.displayName;
}

export function isRecent(createdOn: string | null, now: number): boolean {
  if (!createdOn) return false;
  const created = Date.parse(createdOn);
  return !Number.isNaN(created) && now - created >= -60_000 && now - created < PROPAGATION_WINDOW_MS;
}

export function workspacePath(subscriptionId: string, resourceGroup: string, workspaceName: string): string {
  return `/workspaces/${encodeURIComponent(subscriptionId)}/${encodeURIComponent(resourceGroup)}/${encodeURIComponent(workspaceName)}`;
}

/** The scope an inherited assignment is managed at, shortened for display (the full scope is in the title). */
export function shortScope(scope: string): string {
  if (scope === "/" || scope === "") return "tenant root";
  const managementGroup = /\/managementGroups\/([^/]+)$/i.exec(scope);
  if (managementGroup) return `management group ${managementGroup[1]}`;
  const resourceGroup = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(scope);
  if (resourceGroup) return `resource group ${resourceGroup[2]}`;
  const subscription = /^\/subscriptions\/([^/]+)$/i.exec(scope);
  if (subscription) return `subscription ${subscription[1]}`;
  return scope;
}
