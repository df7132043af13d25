import "server-only";

import { principalStatus } from "@/lib/shared/principal-status";

/**
 * Drift between mappings and Azure for one workspace: a pure function over what was read, so every rule is tested
 * table-driven without Graph or ARM. Only assignments made at the workspace itself are compared (a mapping creates
 * its assignment there; inherited ones belong to their own scope).
 */

export interface MappingRecord {
  readonly id: string;
  readonly scope: string;
  readonly groupId: string;
  readonly groupDisplayName: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly assignmentName: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface WorkspaceAssignment {
  readonly assignmentId: string;
  readonly assignmentName: string;
  readonly principalId: string;
  /** As ARM recorded it: User, Group, ServicePrincipal, ForeignGroup, Device, … */
  readonly principalType: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  /** When ARM made it (ISO); an assignment within the replication window is never called deleted. */
  readonly createdOn: string | null;
}

export interface DriftInput {
  readonly workspace: { readonly id: string; readonly name: string };
  readonly mappings: readonly MappingRecord[];
  /** Assignments made at the workspace (not inherited ones). */
  readonly assignments: readonly WorkspaceAssignment[];
  /** Display names of principals that exist, by lower-case id (CSP partner references included). */
  readonly principals: ReadonlyMap<string, string>;
  /** When the report is made (ms) and the replication window (`lib/shared/principal-status.ts`). */
  readonly now: number;
  readonly replicationWindowMs: number;
  /** False when the directory could not be asked: nobody is then called deleted. */
  readonly principalsComplete: boolean;
  /** Transitive user members of mapped groups; a group missing here could not be read (no redundancy claimed). */
  readonly groupUsers: ReadonlyMap<string, ReadonlySet<string>>;
}

export type DriftKind = "missing" | "unmapped_group" | "redundant_direct" | "deleted_principal" | "mapped_group_deleted";
export type PlanChange = "grant" | "revoke";

export interface DriftItem {
  /** Stable id of the item: `grant:<scope>|<group>|<role>` or `revoke:<assignment id>` (lower case). */
  readonly key: string;
  readonly kind: DriftKind;
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly principalId: string;
  readonly principalType: string;
  readonly principalName: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly assignmentId: string | null;
  readonly mappingId: string | null;
  /** What reconcile would do; null when there is nothing Gatehouse can do in Azure (the admin fixes the mapping). */
  readonly change: PlanChange | null;
  /** A create that must have succeeded first (a direct assignment is only redundant once the group's exists). */
  readonly dependsOn: string | null;
  readonly reason: string;
}

export const DRIFT_LABELS: Record<DriftKind, string> = {
  missing: "Mapped but missing in Azure",
  unmapped_group: "Group assignment not mapped",
  redundant_direct: "Redundant direct assignment",
  deleted_principal: "Assigned to a deleted identity",
  mapped_group_deleted: "Mapped group was deleted",
};

export function grantKey(scope: string, groupId: string, roleDefinitionId: string): string {
  return `grant:${scope.toLowerCase()}|${groupId.toLowerCase()}|${roleDefinitionId.toLowerCase()}`;
}

export function revokeKey(assignmentId: string): string {
  return `revoke:${assignmentId.toLowerCase()}`;
}

const ORDER: Record<DriftKind, number> = { missing: 0, mapped_group_deleted: 1, redundant_direct: 2, deleted_principal: 3, unmapped_group: 4 };

export function computeDrift(input: DriftInput): DriftItem[] {
  const { workspace } = input;
  const lower = (value: string) => value.toLowerCase();
  const assignments = input.assignments.map((a) => ({ ...a, principalId: lower(a.principalId), roleDefinitionId: lower(a.roleDefinitionId) }));
  const mappings = input.mappings.map((m) => ({ ...m, groupId: lower(m.groupId), roleDefinitionId: lower(m.roleDefinitionId) }));
  const exists = (id: string) => !input.principalsComplete || input.principals.has(id);
  const nameOf = (id: string, fallback?: string) => input.principals.get(id) ?? fallback ?? id;
  const hasGroupAssignment = (groupId: string, roleId: string) =>
    assignments.some((a) => a.principalId === groupId && a.roleDefinitionId === roleId && a.principalType.toLowerCase() === "group");
  const base = { workspaceId: workspace.id, workspaceName: workspace.name };
  const items: DriftItem[] = [];

  for (const mapping of mappings) {
    if (hasGroupAssignment(mapping.groupId, mapping.roleDefinitionId)) continue;
    const common = {
      ...base,
      principalId: mapping.groupId,
      principalType: "Group",
      principalName: nameOf(mapping.groupId, mapping.groupDisplayName),
      roleDefinitionId: mapping.roleDefinitionId,
      roleName: mapping.roleName,
      assignmentId: null,
      mappingId: mapping.id,
      dependsOn: null,
    };
    if (!exists(mapping.groupId)) {
      items.push({
        ...common,
        key: `mapping:${mapping.id}`,
        kind: "mapped_group_deleted",
        change: null,
        reason: `The mapped group "${mapping.groupDisplayName}" no longer exists in the directory, so its assignment can't be restored. Delete the mapping.`,
      });
      continue;
    }
    items.push({
      ...common,
      key: grantKey(workspace.id, mapping.groupId, mapping.roleDefinitionId),
      kind: "missing",
      change: "grant",
      reason: `Mapped to ${mapping.roleName}, but the group has no ${mapping.roleName} assignment on this workspace (removed in Azure or never created). Reconcile creates it.`,
    });
  }

  for (const assignment of assignments) {
    const common = {
      ...base,
      key: revokeKey(assignment.assignmentId),
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      principalName: nameOf(assignment.principalId),
      roleDefinitionId: assignment.roleDefinitionId,
      roleName: assignment.roleName,
      assignmentId: assignment.assignmentId,
      change: "revoke" as const,
    };
    if (!exists(assignment.principalId)) {
      // Only an identity the directory says is gone: a partner's group, a type Graph cannot look up or an assignment
      // made moments ago is no evidence of that, and a revoke planned on it would remove live access.
      const status = principalStatus(
        { principal: null, principalType: assignment.principalType, createdOn: assignment.createdOn },
        input.now,
        input.replicationWindowMs,
      );
      if (status !== "not_found") continue;
      const mapping = mappings.find((m) => m.groupId === assignment.principalId && m.roleDefinitionId === assignment.roleDefinitionId);
      items.push({
        ...common,
        kind: "deleted_principal",
        mappingId: mapping?.id ?? null,
        dependsOn: null,
        reason: `Assigned to an identity that no longer exists in the directory: it grants nothing and still uses one of the subscription's 4,000 assignment slots.`,
      });
      continue;
    }
    const type = assignment.principalType.toLowerCase();
    if (type === "group") {
      if (mappings.some((m) => m.groupId === assignment.principalId && m.roleDefinitionId === assignment.roleDefinitionId)) continue;
      items.push({
        ...common,
        kind: "unmapped_group",
        mappingId: null,
        dependsOn: null,
        reason: `The group holds ${assignment.roleName} here, but no mapping says so (created outside Gatehouse). Import it as a mapping to keep it, or remove it.`,
      });
      continue;
    }
    if (type !== "user") continue;
    const via = mappings.find(
      (m) => m.roleDefinitionId === assignment.roleDefinitionId && input.groupUsers.get(m.groupId)?.has(assignment.principalId) === true,
    );
    if (!via) continue;
    const groupName = nameOf(via.groupId, via.groupDisplayName);
    const present = hasGroupAssignment(via.groupId, via.roleDefinitionId);
    items.push({
      ...common,
      kind: "redundant_direct",
      mappingId: via.id,
      dependsOn: present ? null : grantKey(workspace.id, via.groupId, via.roleDefinitionId),
      reason: present
        ? `Also gets ${assignment.roleName} as a member of mapped group "${groupName}": this direct assignment is redundant, and removing it frees one of the subscription's 4,000 slots.`
        : `Is a member of mapped group "${groupName}", whose ${assignment.roleName} assignment is missing: redundant once that assignment is restored (reconcile creates it first).`,
    });
  }

  return items.sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || a.principalName.localeCompare(b.principalName));
}
