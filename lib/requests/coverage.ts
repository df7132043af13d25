import "server-only";

import type { RoleAssignment } from "@azure/arm-authorization";

import { armError, authorizationClient } from "@/lib/arm/client";
import type { Database } from "@/lib/db";
import { appGraphClient } from "@/lib/graph/client";
import { memberGroupsAmong } from "@/lib/graph/memberships";
import { formatUtc } from "@/lib/ownership/describe";
import { listHeldAccess } from "@/lib/ownership/holders";
import { assignmentOrigin, listedAssignmentApplies, ORIGIN_LABELS, parseScope } from "@/lib/shared/arm-scope";
import { roleCovers } from "@/lib/shared/rbac-actions";
import { getRoleDefinitions, roleDefinitionGuid } from "@/lib/workspaces/role-definitions";
import { verifyPrincipals } from "./verify";

/** Access the principal already has that gives everything a request asks for. */
export interface Coverage {
  /** In words, with the path: "already has AzureML Data Scientist through DS - Fraud, permanently". */
  readonly explanation: string;
  readonly assignmentId: string;
  readonly roleName: string;
  /** The group holding the assignment when the access comes through one. */
  readonly throughGroup: string | null;
  /** When the covering access ends (held only by time-bound requests); null = permanent. */
  readonly until: Date | null;
}

export interface CoverageQuery {
  readonly workspaceId: string;
  readonly principalId: string;
  readonly principalName: string;
  readonly roleDefinitionId: string;
  /** The request's end; time-bound access that ends before it does not cover it. Null = permanent. */
  readonly wantedUntil: Date | null;
  readonly db: Database;
}

/** Which of `groupIds` the object belongs to, transitively, asked as the console's own identity. */
function memberGroups(objectId: string, groupIds: readonly string[]): Promise<Set<string>> {
  return memberGroupsAmong(appGraphClient(), objectId, groupIds);
}

/**
 * Looks in ARM, as the console's own identity, for an assignment that already gives the principal the requested role
 * (or a role whose permissions include it) at or above the workspace: its own, or one of a group it belongs to
 * (nested groups included), inherited from a resource group, subscription or management group too. Conditional
 * assignments (ABAC) never count as covering. Access that Gatehouse holds only through time-bound requests covers a
 * request only if it lasts at least as long. Throws `AppError` when ARM or Graph cannot answer.
 */
export async function findCoveringAccess(query: CoverageQuery): Promise<Coverage | undefined> {
  const workspace = parseScope(query.workspaceId);
  if (workspace?.level !== "workspace") return undefined;
  const identity = { kind: "app" } as const;
  const roleId = query.roleDefinitionId.toLowerCase();
  const principalId = query.principalId.toLowerCase();
  const [assignments, definitions] = await Promise.all([
    (async () => {
      const list: RoleAssignment[] = [];
      try {
        for await (const assignment of authorizationClient(identity, workspace.subscriptionId!).roleAssignments.listForScope(workspace.scope, {
          filter: "atScope()",
        })) {
          if (assignment.scope && listedAssignmentApplies(assignment.scope, workspace.scope)) list.push(assignment);
        }
      } catch (error) {
        throw armError(error);
      }
      return list;
    })(),
    getRoleDefinitions(identity, workspace.scope),
  ]);
  const requested = definitions.get(roleId);
  const covering = assignments.filter((assignment) => {
    if (assignment.condition) return false;
    const holderRole = roleDefinitionGuid(assignment.roleDefinitionId ?? "");
    if (holderRole === roleId) return true;
    const holder = definitions.get(holderRole);
    return requested !== undefined && holder !== undefined && roleCovers(holder.permissions, requested.permissions);
  });
  if (covering.length === 0) return undefined;

  const groupIds = [...new Set(covering.filter((a) => (a.principalType ?? "").toLowerCase() === "group").map((a) => (a.principalId ?? "").toLowerCase()))];
  const groups = groupIds.length > 0 ? await memberGroups(principalId, groupIds) : new Set<string>();
  const reaching = covering.filter((a) => {
    const holder = (a.principalId ?? "").toLowerCase();
    return holder === principalId || groups.has(holder);
  });
  if (reaching.length === 0) return undefined;

  // How long each reaching assignment lasts: Gatehouse knows only of access it holds at the workspace itself.
  const held = await listHeldAccess(query.db, workspace.scope);
  const untilOf = (assignment: RoleAssignment): Date | null => {
    if (assignmentOrigin(assignment.scope ?? "", workspace.scope) !== "workspace") return null;
    const record = held.get(`${(assignment.principalId ?? "").toLowerCase()}|${roleDefinitionGuid(assignment.roleDefinitionId ?? "")}`);
    if (!record || record.holders.length === 0 || record.holders.some((holder) => holder.expiresAt === null)) return null;
    return new Date(Math.max(...record.holders.map((holder) => holder.expiresAt!.getTime())));
  };
  const lasting = reaching
    .map((assignment) => ({ assignment, until: untilOf(assignment) }))
    .filter(({ until }) => until === null || (query.wantedUntil !== null && until.getTime() >= query.wantedUntil.getTime()));
  if (lasting.length === 0) return undefined;
  // The clearest explanation first: permanent over time-bound, the same role over a larger one, direct over a group.
  lasting.sort(
    (a, b) =>
      Number(a.until !== null) - Number(b.until !== null) ||
      Number(roleDefinitionGuid(a.assignment.roleDefinitionId ?? "") !== roleId) - Number(roleDefinitionGuid(b.assignment.roleDefinitionId ?? "") !== roleId) ||
      Number((a.assignment.principalId ?? "").toLowerCase() !== principalId) - Number((b.assignment.principalId ?? "").toLowerCase() !== principalId),
  );
  const best = lasting[0]!;
  const holderId = (best.assignment.principalId ?? "").toLowerCase();
  const direct = holderId === principalId;
  const groupName = direct ? null : ((await verifyPrincipals([holderId])).get(holderId)?.displayName ?? holderId);
  const holderRoleId = roleDefinitionGuid(best.assignment.roleDefinitionId ?? "");
  const roleName = definitions.get(holderRoleId)?.name ?? holderRoleId;
  const origin = assignmentOrigin(best.assignment.scope ?? "", workspace.scope);
  const includes = holderRoleId === roleId ? "" : ` (which includes ${requested?.name ?? "the requested role"})`;
  const where = origin === "workspace" ? "" : `, inherited from the ${ORIGIN_LABELS[origin].toLowerCase()}`;
  const path = direct ? "directly" : `through the group ${groupName}`;
  const until = best.until ? `until ${formatUtc(best.until)}` : "permanently";
  return {
    explanation: `${query.principalName} already has ${roleName}${includes} on this workspace ${path}${where}, ${until}.`,
    assignmentId: best.assignment.id ?? "",
    roleName,
    throughGroup: groupName,
    until: best.until,
  };
}
