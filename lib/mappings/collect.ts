import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";

import { armError, authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import type { Database } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { getConfig } from "@/lib/config";
import { graphError } from "@/lib/graph/client";
import { type ResolvedPrincipal, toResolvedPrincipal } from "@/lib/graph/principals";
import { log } from "@/lib/log";
import { parseScope, sameScope } from "@/lib/shared/arm-scope";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { getRoleDefinitions, type RoleDefinition, roleDefinitionGuid } from "@/lib/workspaces/role-definitions";
import { computeDrift, type DriftItem, type MappingRecord, type WorkspaceAssignment } from "./drift";
import { lookupPrincipals, transitiveUserIds } from "./directory";
import { listMappings } from "./store";

export interface WorkspaceDrift {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly mappingCount: number;
  readonly items: readonly DriftItem[];
  /** Set when the workspace could not be read; its items are then unknown, not empty. */
  readonly error: string | null;
  /**
   * Mapped groups whose members could not be read (names, or ids when unnamed): direct assignments they would make
   * redundant are then unknown, not absent. Missing in reports stored before this was recorded.
   */
  readonly unreadGroups?: readonly string[];
}

export interface DriftReport {
  readonly generatedAt: string;
  readonly workspaces: readonly WorkspaceDrift[];
  /** False when names could not be read from Graph: nobody is then reported as deleted. */
  readonly principalsResolved: boolean;
}

export function invalidMappingWorkspace(value: string): AppError {
  return new AppError({
    code: "invalid_input",
    message: `not a workspace scope: ${value.slice(0, 200)}`,
    userMessage: "That is not an Azure ML workspace id (/subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/…).",
  });
}

/**
 * Reads Azure and the directory and computes the drift report, for one workspace or every workspace the identity can
 * read (plus every mapped workspace). Read-only. Upstream calls: the workspace list (for all), one assignment list
 * per workspace and the role definitions per subscription (cached) in parallel, one round of getByIds, and the
 * transitive users of mapped groups that have a direct user assignment with the same role.
 */
export async function collectDrift(db: Database, identity: ArmIdentity, graph: Client, options: { workspaceId?: string } = {}): Promise<DriftReport> {
  const mappings = await listMappings(db, options.workspaceId);
  const workspaces = new Map<string, { id: string; name: string }>();
  if (options.workspaceId) {
    const parsed = parseScope(options.workspaceId);
    if (parsed?.level !== "workspace") throw invalidMappingWorkspace(options.workspaceId);
    workspaces.set(parsed.scope.toLowerCase(), { id: parsed.scope, name: parsed.workspaceName! });
  } else {
    for (const workspace of (await listWorkspaces(identity)).workspaces) workspaces.set(workspace.id.toLowerCase(), { id: workspace.id, name: workspace.name });
  }
  for (const mapping of mappings) {
    const key = mapping.scope.toLowerCase();
    if (!workspaces.has(key)) workspaces.set(key, { id: mapping.scope, name: parseScope(mapping.scope)?.workspaceName ?? mapping.scope });
  }

  const read = await Promise.all(
    [...workspaces.values()].map(async (workspace) => {
      try {
        return { workspace, assignments: await workspaceAssignments(identity, workspace.id) };
      } catch (error) {
        const appError = error instanceof AppError ? error : armError(error);
        return { workspace, error: appError.userMessage };
      }
    }),
  );

  const principalIds = new Set<string>(mappings.map((mapping) => mapping.groupId));
  for (const entry of read) for (const assignment of entry.assignments ?? []) principalIds.add(assignment.principalId);
  const lookup = await lookupPrincipals<ResolvedPrincipal>(graph, principalIds, toResolvedPrincipal);
  const names = new Map([...lookup.found].map(([id, principal]) => [id, principal.displayName]));

  // Only groups that could make a direct assignment redundant are expanded.
  const groupsToExpand = new Set<string>();
  for (const entry of read) {
    const mapped = mappings.filter((mapping) => sameScope(mapping.scope, entry.workspace.id));
    for (const assignment of entry.assignments ?? []) {
      if (assignment.principalType.toLowerCase() !== "user") continue;
      for (const mapping of mapped) if (mapping.roleDefinitionId === assignment.roleDefinitionId) groupsToExpand.add(mapping.groupId);
    }
  }
  const groupUsers = new Map<string, ReadonlySet<string>>();
  const unreadGroups = new Set<string>();
  await Promise.all(
    [...groupsToExpand].map(async (groupId) => {
      try {
        groupUsers.set(groupId, await transitiveUserIds(graph, groupId));
      } catch (error) {
        // Unknown membership: no redundancy is claimed for this group, and the report says so.
        log("warn", "graph", "group members unreadable", { groupId, problem: graphError(error).message });
        unreadGroups.add(groupId);
      }
    }),
  );

  const now = Date.now();
  const { replicationWindowMs } = getConfig().roleAssignments;
  const result: WorkspaceDrift[] = read.map((entry) => {
    const mapped: MappingRecord[] = mappings.filter((mapping) => sameScope(mapping.scope, entry.workspace.id));
    if (!entry.assignments) {
      return {
        workspaceId: entry.workspace.id,
        workspaceName: entry.workspace.name,
        mappingCount: mapped.length,
        items: [],
        error: entry.error ?? "Could not be read.",
      };
    }
    const items = computeDrift({
      workspace: entry.workspace,
      mappings: mapped,
      assignments: entry.assignments,
      principals: names,
      principalsComplete: lookup.complete,
      now,
      replicationWindowMs,
      groupUsers,
    });
    const unread = [...new Set(mapped.map((mapping) => mapping.groupId))].filter((groupId) => unreadGroups.has(groupId));
    return {
      workspaceId: entry.workspace.id,
      workspaceName: entry.workspace.name,
      mappingCount: mapped.length,
      items,
      error: null,
      ...(unread.length > 0 ? { unreadGroups: unread.map((groupId) => names.get(groupId) ?? groupId) } : {}),
    };
  });
  result.sort((a, b) => a.workspaceName.localeCompare(b.workspaceName));
  return { generatedAt: new Date().toISOString(), workspaces: result, principalsResolved: lookup.complete };
}

/** Assignments made at the workspace itself, with role names. */
export async function workspaceAssignments(identity: ArmIdentity, workspaceId: string): Promise<WorkspaceAssignment[]> {
  const parsed = parseScope(workspaceId);
  if (parsed?.level !== "workspace") throw invalidMappingWorkspace(workspaceId);
  const subscriptionId = parsed.subscriptionId!;
  const [list, definitions] = await Promise.all([
    (async () => {
      const items = [];
      try {
        for await (const assignment of authorizationClient(identity, subscriptionId).roleAssignments.listForScope(parsed.scope, { filter: "atScope()" })) {
          items.push(assignment);
        }
      } catch (error) {
        throw armError(error);
      }
      return items;
    })(),
    getRoleDefinitions(identity, parsed.scope).catch((): ReadonlyMap<string, RoleDefinition> => new Map()),
  ]);
  return list
    .filter((assignment) => sameScope(assignment.scope ?? "", parsed.scope))
    .map((assignment) => {
      const roleId = roleDefinitionGuid(assignment.roleDefinitionId ?? "");
      return {
        assignmentId: assignment.id ?? "",
        assignmentName: assignment.name ?? "",
        principalId: (assignment.principalId ?? "").toLowerCase(),
        principalType: assignment.principalType ?? "Unknown",
        roleDefinitionId: roleId,
        roleName: definitions.get(roleId)?.name ?? roleId,
        createdOn: assignment.createdOn?.toISOString() ?? null,
      };
    });
}
