import "server-only";

import { z } from "zod";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import { AppError } from "@/lib/errors";
import { delegatedGraphClient, graphError } from "@/lib/graph/client";
import { memberGroupsAmong } from "@/lib/graph/memberships";
import { readAllPages } from "@/lib/graph/pages";
import { type DirectoryPrincipal, resolvePrincipals } from "@/lib/graph/principals";
import { type AssignmentOrigin, assignmentOrigin, listedAssignmentApplies, parseScope } from "@/lib/shared/arm-scope";
import { GUID } from "@/lib/shared/patterns";
import type { PimActivation } from "./access-beyond-assignments";
import { type AccessBeyondAssignmentsForPrincipal, listAccessBeyondAssignmentsFor } from "./check-access-beyond-assignments";
import { invalidWorkspace } from "./get-workspace-access";
import { getRoleDefinitions, roleDefinitionGuid } from "./role-definitions";
import { listRoleAssignmentsAt } from "./role-assignments";

export interface GroupStep {
  readonly id: string;
  readonly displayName: string;
}

export interface EffectiveGrant {
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly scope: string;
  readonly origin: AssignmentOrigin;
  /**
   * How the role reaches the principal: empty when assigned directly; otherwise the chain of groups from the one the
   * principal is a member of to the one holding the assignment. `null` when the chain could not be worked out.
   */
  readonly via: readonly GroupStep[] | null;
  /** The group (or principal) that holds the assignment. */
  readonly assignedTo: GroupStep;
  readonly assignmentId: string;
  /** An ABAC condition: the role allows only what it permits. */
  readonly condition: string | null;
  /** Set when PIM activated this role (it ends then). */
  readonly pim: PimActivation | null;
}

/** A principal's roles on a workspace, and what else decides their access there (PIM eligibility, deny assignments). */
export interface EffectiveAccess extends AccessBeyondAssignmentsForPrincipal {
  readonly principal: DirectoryPrincipal;
  readonly grants: readonly EffectiveGrant[];
}

const MAX_DEPTH = 8;
const MembershipWire = z.object({ "@odata.type": z.string().optional(), id: z.string(), displayName: z.string().nullable().optional() });
const MAX_GROUP_LOOKUPS = 200;

const COLLECTION = { user: "users", group: "groups", servicePrincipal: "servicePrincipals", managedIdentity: "servicePrincipals" } as const;

/** A scope Gatehouse reads a principal's access at: a workspace, or a resource a bundle part lands on. */
export interface AccessTarget {
  /** Canonical ARM id of the scope. */
  readonly scope: string;
  /** Lower case. */
  readonly subscriptionId: string;
}

/**
 * A principal's effective roles on a workspace, each explained by the path of group memberships that grants it.
 * For a user or service principal, ARM's `atScope() and assignedTo('{id}')` lists every assignment at or above the
 * workspace that reaches it, directly or through (nested) groups. `assignedTo()` "only accepts an object ID for a user or
 * a service principal. You cannot pass an object ID for a group", so for a group the assignments at and above the
 * workspace (`atScope()`) are kept when they are the group's own or one of a group it is a member of (Graph's
 * `checkMemberGroups`, transitive).
 * Added to them: PIM eligibilities, PIM activations' ends, conditions and the deny assignments that refuse the principal
 * actions (`check-access-beyond-assignments.ts`).
 */
export async function checkWorkspaceAccess(caller: DelegatedCaller, workspaceId: string, principalId: string): Promise<EffectiveAccess> {
  const workspace = parseScope(workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(workspaceId);
  return checkAccessAt(caller, { scope: workspace.scope, subscriptionId: workspace.subscriptionId! }, principalId);
}

/**
 * The same reading at any scope below a subscription (a workspace, a storage account, a key vault, an AML registry):
 * the assignments at the scope and its ancestors (resource group, subscription, management groups, root) that reach
 * the principal directly or through its transitive groups, with PIM and the deny assignments there. A workspace is not
 * an ancestor of its storage account: each scope is read for itself. Origin `workspace` means "at this scope itself".
 */
export async function checkAccessAt(caller: DelegatedCaller, target: AccessTarget, principalId: string): Promise<EffectiveAccess> {
  const identity = { kind: "delegated", caller } as const;
  const listAt = async (filter: string) =>
    (await listRoleAssignmentsAt(identity, target.scope, filter)).filter(
      (assignment) => assignment.scope && listedAssignmentApplies(assignment.scope, target.scope),
    );
  // Most checks are of a user or a service principal, so their assignments (and the role definitions) are asked for
  // beside the principal's lookup, one round trip sooner. Should it be a group, whose id `assignedTo()` refuses, that
  // answer (or refusal) is dropped once the lookup says so; nothing is shown before the lookup has answered.
  const definitionsRead = getRoleDefinitions(identity, target.scope);
  const listAssignedTo = (id: string) => listAt(`atScope() and assignedTo('${id}')`);
  const speculativeList = GUID.test(principalId) ? listAssignedTo(principalId) : undefined;
  // Settled below, or left unused when the lookup fails or finds a group: never an unhandled rejection.
  definitionsRead.catch(() => undefined);
  speculativeList?.catch(() => undefined);

  const lookup = await resolvePrincipals(caller, [principalId]);
  if (!lookup.complete) {
    throw new AppError({ code: "upstream_unavailable", message: "getByIds failed", userMessage: lookup.failureMessage ?? "Microsoft Graph is unavailable." });
  }
  const principal = lookup.found.get(principalId.toLowerCase());
  if (!principal) {
    throw new AppError({ code: "not_found", message: `principal ${principalId} not found`, userMessage: "No user, group or service principal has that id." });
  }

  // Three reads side by side: its assignments, then the groups holding them (their membership paths and names,
  // together); the role definitions; and, once those are in, PIM and the deny assignments. One after another they took
  // up to three round trips more (a nested group's check: ~310 ms against ~220 at 40 ms).
  const [{ assignments, paths, holderNames }, definitions, beyond] = await Promise.all([
    (async () => {
      const reaching =
        principal.kind === "group"
          ? await reachingGroup(caller, principal.id, await listAt("atScope()"))
          : await (speculativeList ?? listAssignedTo(principal.id));
      const holders = new Set(reaching.map((assignment) => (assignment.principalId ?? "").toLowerCase()).filter((id) => id !== principal.id.toLowerCase()));
      if (holders.size === 0) return { assignments: reaching, paths: new Map<string, GroupStep[]>(), holderNames: new Map<string, DirectoryPrincipal>() };
      const [groupSteps, names] = await Promise.all([groupPaths(caller, principal, holders), resolvePrincipals(caller, holders)]);
      return { assignments: reaching, paths: groupSteps, holderNames: names.found };
    })(),
    definitionsRead,
    definitionsRead.then((read) => listAccessBeyondAssignmentsFor(caller, target, principal, read)),
  ]);

  const grants = assignments.map((assignment): EffectiveGrant => {
    const holderId = (assignment.principalId ?? "").toLowerCase();
    const roleId = roleDefinitionGuid(assignment.roleDefinitionId ?? "");
    const direct = holderId === principal.id.toLowerCase();
    return {
      roleDefinitionId: roleId,
      roleName: definitions.get(roleId)?.name ?? roleId,
      scope: assignment.scope ?? "",
      origin: assignmentOrigin(assignment.scope ?? "", target.scope),
      via: direct ? [] : (paths.get(holderId) ?? null),
      assignedTo: direct
        ? { id: principal.id, displayName: principal.displayName }
        : { id: holderId, displayName: holderNames.get(holderId)?.displayName ?? holderId },
      assignmentId: assignment.id ?? "",
      condition: assignment.condition ?? null,
      pim: beyond.activations.get((assignment.id ?? "").toLowerCase()) ?? null,
    };
  });
  return { principal, grants, eligible: beyond.eligible, denies: beyond.denies, beyondAssignmentsNotice: beyond.beyondAssignmentsNotice };
}

/** The assignments, of all those at and above a workspace, that are the group's own or a group's it is a member of. */
async function reachingGroup<T extends { principalId?: string; principalType?: string }>(
  caller: DelegatedCaller,
  groupId: string,
  assignments: readonly T[],
): Promise<T[]> {
  const self = groupId.toLowerCase();
  const candidates = [
    ...new Set(
      assignments
        .filter((assignment) => (assignment.principalType ?? "").toLowerCase() === "group")
        .map((assignment) => (assignment.principalId ?? "").toLowerCase())
        .filter((id) => id !== "" && id !== self),
    ),
  ];
  const memberOf = await memberGroupsAmong(delegatedGraphClient(caller), self, candidates);
  return assignments.filter((assignment) => {
    const holder = (assignment.principalId ?? "").toLowerCase();
    return holder === self || memberOf.has(holder);
  });
}

/** Breadth-first over `memberOf`, so each group is reached by its shortest chain of memberships. Bounded. */
async function groupPaths(caller: DelegatedCaller, start: DirectoryPrincipal, targets: ReadonlySet<string>): Promise<Map<string, GroupStep[]>> {
  const client = delegatedGraphClient(caller);
  const pathTo = new Map<string, GroupStep[]>();
  let frontier: Array<{ path: string; chain: GroupStep[] }> = [{ path: `/${COLLECTION[start.kind]}/${start.id}/memberOf`, chain: [] }];
  let lookups = 0;
  try {
    for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0 && lookups < MAX_GROUP_LOOKUPS; depth++) {
      const level = frontier.slice(0, MAX_GROUP_LOOKUPS - lookups);
      lookups += level.length;
      const pages = await Promise.all(
        level.map(async ({ path, chain }) => {
          const items = await readAllPages(client, `${path}?$select=id,displayName&$top=999`, MembershipWire);
          return { chain, groups: items.filter((item) => item["@odata.type"] === undefined || item["@odata.type"] === "#microsoft.graph.group") };
        }),
      );
      frontier = [];
      for (const { chain, groups } of pages) {
        for (const group of groups) {
          const id = group.id.toLowerCase();
          if (pathTo.has(id)) continue;
          const next = [...chain, { id, displayName: group.displayName ?? id }];
          pathTo.set(id, next);
          frontier.push({ path: `/groups/${id}/memberOf`, chain: next });
        }
      }
      if ([...targets].every((target) => pathTo.has(target))) break;
    }
  } catch (error) {
    // Without paths the grants still show, marked as "through a group" with the holder named.
    const appError = graphError(error);
    if (appError.code !== "upstream_unavailable" && appError.code !== "upstream_throttled") throw appError;
  }
  return pathTo;
}
