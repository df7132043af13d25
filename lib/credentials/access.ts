import "server-only";

import { z } from "zod";

import { describeError } from "@/lib/log";
import type { WorkspaceRole } from "@/lib/shared/credentials";
import { armListAll, type ArmIdentity } from "@/lib/arm/client";
import { AppError } from "@/lib/errors";
import { PRIVILEGED_ROLE_IDS, READER_ROLE_ID } from "@/lib/shared/aml-roles";
import { listedAssignmentApplies, parseScope } from "@/lib/shared/arm-scope";
import { WORKSPACES_API_VERSION, WorkspaceWire } from "@/lib/workspaces/list-workspaces";
import { getRoleDefinitions, roleDefinitionGuid } from "@/lib/workspaces/role-definitions";

/**
 * The ARM side of the inventory, as the console's own identity (Reader on each subscription): for every service
 * principal, the Azure ML workspaces it holds roles on, from the role assignments at each subscription (an assignment
 * at the subscription or resource group applies to the workspaces below it). Roles assigned to groups are returned
 * per group; `withGroupRoles` gives them to the groups' service-principal members once Graph has listed those.
 */

const SUBSCRIPTIONS_API_VERSION = "2022-12-01";
const ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01";

const SubscriptionWire = z.object({ subscriptionId: z.string(), displayName: z.string() });
const AssignmentWire = z.object({
  properties: z.object({
    scope: z.string(),
    principalId: z.string(),
    principalType: z.string().optional(),
    roleDefinitionId: z.string(),
  }),
});

export interface WorkspaceAccess {
  /** Workspace roles by service-principal object id (lower case), assigned to the service principal itself. */
  readonly rolesByPrincipal: ReadonlyMap<string, WorkspaceRole[]>;
  /** Workspace roles by group object id (lower case): members of these groups hold them too. */
  readonly rolesByGroup: ReadonlyMap<string, WorkspaceRole[]>;
  readonly armCalls: number;
  readonly warnings: readonly string[];
}

export async function readWorkspaceAccess(): Promise<WorkspaceAccess> {
  const identity: ArmIdentity = { kind: "app" };
  let armCalls = 1;
  const subscriptions = (await armListAll(identity, "/subscriptions", SUBSCRIPTIONS_API_VERSION)).map((item) => SubscriptionWire.parse(item));
  const rolesByPrincipal = new Map<string, WorkspaceRole[]>();
  const rolesByGroup = new Map<string, WorkspaceRole[]>();
  const warnings: string[] = [];
  await Promise.all(
    subscriptions.map(async (subscription) => {
      const subscriptionId = subscription.subscriptionId.toLowerCase();
      try {
        armCalls += 3;
        const [workspaceItems, assignmentItems, definitions] = await Promise.all([
          armListAll(identity, `/subscriptions/${subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces`, WORKSPACES_API_VERSION),
          armListAll(identity, `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleAssignments`, ROLE_ASSIGNMENTS_API_VERSION),
          getRoleDefinitions(identity, `/subscriptions/${subscriptionId}`, { below: true }),
        ]);
        const workspaces = workspaceItems.flatMap((item) => {
          const wire = WorkspaceWire.parse(item);
          const parsed = parseScope(wire.id);
          if (parsed?.level === "workspace") return [{ name: wire.name, scope: parsed.scope }];
          warnings.push(`Subscription ${subscription.displayName}: the workspace id ${wire.id} could not be read, so roles on it are not shown.`);
          return [];
        });
        for (const item of assignmentItems) {
          const assignment = AssignmentWire.safeParse(item);
          if (!assignment.success) continue;
          const { scope, principalId, principalType, roleDefinitionId } = assignment.data.properties;
          if (principalType !== undefined && principalType !== "ServicePrincipal" && principalType !== "Group") continue;
          const target = principalType === "Group" ? rolesByGroup : rolesByPrincipal;
          const roleId = roleDefinitionGuid(roleDefinitionId);
          const roleName = definitions.get(roleId)?.name ?? roleId;
          for (const workspace of workspaces) {
            if (!listedAssignmentApplies(scope, workspace.scope)) continue;
            const key = principalId.toLowerCase();
            const list = target.get(key) ?? [];
            list.push({
              workspace: workspace.name,
              workspaceScope: workspace.scope,
              roleId,
              roleName,
              // From the role's permissions (custom roles included); the fixed list when the definition is unknown.
              privileged: definitions.get(roleId)?.privileged ?? PRIVILEGED_ROLE_IDS.has(roleId),
              assignmentScope: scope,
            });
            target.set(key, list);
          }
        }
      } catch (error) {
        const message = error instanceof AppError ? error.userMessage : describeError(error);
        warnings.push(`Subscription ${subscription.displayName}: role assignments could not be read (${message}).`);
      }
    }),
  );
  for (const roles of rolesByPrincipal.values()) sortRoles(roles);
  return { rolesByPrincipal, rolesByGroup, armCalls, warnings };
}

/** Privileged roles first, Reader last, then by workspace, direct before via a group: the table shows the first few. */
function sortRoles(roles: WorkspaceRole[]): void {
  const weight = (role: WorkspaceRole) => (role.privileged ? 0 : role.roleId === READER_ROLE_ID ? 2 : 1);
  roles.sort(
    (a, b) =>
      weight(a) - weight(b) ||
      a.workspace.localeCompare(b.workspace) ||
      a.roleName.localeCompare(b.roleName) ||
      Number(a.viaGroup !== undefined) - Number(b.viaGroup !== undefined),
  );
}

/**
 * Every service principal's roles: its own, plus those of each group it is a (transitive) member of, marked with the
 * group's name. A role it already holds directly on the same workspace at the same scope is not repeated.
 */
export function withGroupRoles(
  access: Pick<WorkspaceAccess, "rolesByPrincipal" | "rolesByGroup">,
  groups: ReadonlyMap<string, { readonly displayName: string; readonly servicePrincipalIds: readonly string[] }>,
): Map<string, WorkspaceRole[]> {
  const merged = new Map<string, WorkspaceRole[]>([...access.rolesByPrincipal].map(([id, roles]) => [id, [...roles]]));
  for (const [groupId, roles] of access.rolesByGroup) {
    const group = groups.get(groupId);
    if (!group) continue;
    for (const memberId of group.servicePrincipalIds) {
      const key = memberId.toLowerCase();
      const list = merged.get(key) ?? [];
      for (const role of roles) {
        const same = list.some(
          (held) => held.workspaceScope === role.workspaceScope && held.roleId === role.roleId && held.assignmentScope === role.assignmentScope,
        );
        if (!same) list.push({ ...role, viaGroup: group.displayName });
      }
      merged.set(key, list);
    }
  }
  for (const roles of merged.values()) sortRoles(roles);
  return merged;
}
