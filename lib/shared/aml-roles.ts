/**
 * How the role picker presents Azure roles: the ones that matter for Azure ML first, each with a plain-language
 * summary, and warnings where a role is more than it looks. Ids are the built-in role definitions' GUIDs, the same in
 * every subscription.
 */

import { grantsAccessManagement, type PermissionBlock } from "./rbac-actions";
export interface RoleGuidance {
  readonly id: string;
  readonly name: string;
  /** What it lets someone do, in one sentence a team lead understands. */
  readonly summary: string;
  /** Can grant or change access, or change everything: shown with a warning and needs two approvers for requests. */
  readonly privileged: boolean;
  readonly warning?: string;
}

export const OWNER_ROLE_ID = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
export const READER_ROLE_ID = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/**
 * Featured roles all grant something on an ML workspace (hub and project included). Two that look related do not:
 * Azure AI User's actions and data actions are all `Microsoft.CognitiveServices/*` (a role for Foundry accounts and
 * their non-hub projects), and AzureML Registry User's are all on `registries`, assigned on a registry.
 */
export const ROLE_GUIDANCE: readonly RoleGuidance[] = [
  {
    id: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    name: "AzureML Data Scientist",
    summary: "Run experiments, train and deploy models, use compute and data — but not change the workspace itself or who has access.",
    privileged: false,
  },
  {
    id: "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    name: "AzureML Compute Operator",
    summary: "Create, start, stop and delete compute instances and clusters; no access to data or models.",
    privileged: false,
  },
  {
    id: "64702f94-c441-49e6-a78b-ef80e0188fee",
    name: "Azure AI Developer",
    summary: "Build and deploy in Azure AI hubs and projects (prompt flow, deployments); not manage the hub or access.",
    privileged: false,
  },
  {
    id: "ea01e6af-a1c1-4350-9563-ad00f8c72ec5",
    name: "Azure Machine Learning Workspace Connection Secrets Reader",
    summary: "Read the secrets of the workspace's connections (keys to storage, registries, AI services).",
    privileged: false,
    warning: "Reveals credentials of the workspace's connections. Grant only to automation that needs them.",
  },
  {
    id: READER_ROLE_ID,
    name: "Reader",
    summary: "See everything in the workspace without changing it.",
    privileged: false,
    warning: "In Azure ML, Reader can list and view assets including datastore credentials — it is not harmless.",
  },
  {
    id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    name: "Contributor",
    summary: "Change anything in the workspace, including its settings and linked resources, but not who has access.",
    privileged: true,
    warning: "Privileged: can change or delete the workspace and its resources.",
  },
  {
    id: OWNER_ROLE_ID,
    name: "Owner",
    summary: "Full control, including granting roles to others.",
    privileged: true,
    warning: "Privileged: full control, including granting any role to anyone.",
  },
  {
    id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    name: "User Access Administrator",
    summary: "Grant and revoke any role on the workspace.",
    privileged: true,
    warning: "Privileged: can grant anyone any role, including Owner.",
  },
  {
    id: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    name: "Role Based Access Control Administrator",
    summary: "Grant and revoke roles on the workspace (optionally limited by a condition).",
    privileged: true,
    warning: "Privileged: can grant roles to others.",
  },
];

/**
 * Roles Gatehouse always treats as privileged, whatever ARM says they allow (Contributor cannot write role assignments
 * but can change the workspace's own security). Every other role is judged from its permissions (role-definitions.ts:
 * can write role assignments, `Microsoft.Authorization/*` or `*`, including roles that delegate under a condition).
 */
export const PRIVILEGED_ROLE_IDS: ReadonlySet<string> = new Set(ROLE_GUIDANCE.filter((role) => role.privileged).map((role) => role.id));

/** The one privileged-role decision (two approvers, step-up): on the list above, or able to change who has access, or `*`. */
export function isPrivilegedRole(roleDefinitionId: string, permissions: readonly PermissionBlock[]): boolean {
  return PRIVILEGED_ROLE_IDS.has(roleDefinitionId.toLowerCase()) || grantsAccessManagement(permissions);
}

export function roleGuidance(roleDefinitionId: string): RoleGuidance | undefined {
  return ROLE_GUIDANCE.find((role) => role.id === roleDefinitionId.toLowerCase());
}
