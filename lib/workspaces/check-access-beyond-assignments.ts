import "server-only";

import type { ArmIdentity } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import { isAppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { memberGroupsAmong } from "@/lib/graph/memberships";
import { type DirectoryPrincipal, resolvePrincipals } from "@/lib/graph/principals";
import type { AssignmentOrigin } from "@/lib/shared/arm-scope";
import { beyondAssignmentsNotice, type DenyAssignment, listAccessBeyondAssignments, type PimActivation } from "./access-beyond-assignments";
import type { RoleDefinition } from "./role-definitions";

/** A role the principal may activate through PIM: they do not hold it until then. */
export interface EligibleGrant {
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly scope: string;
  readonly origin: AssignmentOrigin;
  /** Null: permanently eligible. */
  readonly endDateTime: string | null;
  readonly condition: string | null;
  /** The group the eligibility is on, when it reaches the principal through one; null when it is their own. */
  readonly throughGroup: { readonly id: string; readonly displayName: string } | null;
}

export interface AccessBeyondAssignmentsForPrincipal {
  readonly eligible: readonly EligibleGrant[];
  /** Deny assignments on the workspace that name the principal (directly, through a group, or everyone) and spare them not. */
  readonly denies: readonly DenyAssignment[];
  /** Set when PIM and deny assignments could not be read: then "no eligibility" is unknown, not "none". */
  readonly beyondAssignmentsNotice: string | null;
}

export interface BeyondAssignmentsForPrincipal extends AccessBeyondAssignmentsForPrincipal {
  /** PIM activations by the lower-cased ARM id of the role assignment PIM made. */
  readonly activations: ReadonlyMap<string, PimActivation>;
}

/**
 * What else decides a principal's access on the workspace (or another scope a bundle part lands on) besides their
 * role assignments: PIM eligibilities (so an eligible person reads as "eligible", never as "no access"), which roles
 * PIM activated and until when, and deny assignments that refuse them actions whatever their roles allow. Kept apart
 * from the role-assignment query so that query can change on its own.
 */
export async function listAccessBeyondAssignmentsFor(
  caller: DelegatedCaller,
  target: { readonly scope: string; readonly subscriptionId: string },
  principal: DirectoryPrincipal,
  definitions: ReadonlyMap<string, RoleDefinition>,
): Promise<BeyondAssignmentsForPrincipal> {
  const identity: ArmIdentity = { kind: "delegated", caller };
  const principalId = principal.id.toLowerCase();
  // assignedTo() takes users and service principals only; for a group, everything at the workspace is read and kept
  // when it is on the group or on a group it is in (below).
  const isGroup = principal.kind === "group";
  let beyond;
  try {
    beyond = await listAccessBeyondAssignments(identity, target.scope, isGroup ? undefined : principalId);
  } catch (error) {
    if (!isAppError(error)) throw error;
    return { eligible: [], denies: [], activations: new Map(), beyondAssignmentsNotice: beyondAssignmentsNotice(error) };
  }

  const groupIds = [
    ...new Set([
      ...beyond.eligibilities
        .filter((eligibility) => eligibility.principalId !== principalId && eligibility.principalType.toLowerCase() === "group")
        .map((eligibility) => eligibility.principalId),
      ...beyond.denies.flatMap((deny) => [...deny.principals, ...deny.excluded].filter((p) => p.type.toLowerCase() === "group").map((p) => p.id)),
    ]),
  ];
  const [names, memberOf] = await Promise.all([
    groupIds.length > 0 ? resolvePrincipals(caller, groupIds).then((lookup) => lookup.found) : Promise.resolve(new Map<string, DirectoryPrincipal>()),
    memberGroups(caller, principalId, groupIds),
  ]);
  const reaches = (id: string) => id === principalId || (memberOf?.has(id) ?? false);

  const eligible = beyond.eligibilities
    .filter((eligibility) => !isGroup || reaches(eligibility.principalId))
    .map((eligibility): EligibleGrant => ({
      roleDefinitionId: eligibility.roleDefinitionId,
      roleName: definitions.get(eligibility.roleDefinitionId)?.name ?? eligibility.roleDefinitionId,
      scope: eligibility.scope,
      origin: eligibility.origin,
      endDateTime: eligibility.endDateTime,
      condition: eligibility.condition,
      throughGroup:
        eligibility.principalId === principalId
          ? null
          : { id: eligibility.principalId, displayName: names.get(eligibility.principalId)?.displayName ?? eligibility.principalId },
    }));
  // When Graph cannot say which groups the principal is in, a deny naming a group is shown rather than hidden: it may
  // apply, and hiding it would overstate what the principal can do.
  const denies = beyond.denies.filter(
    (deny) =>
      (deny.everyone || deny.principals.some((p) => reaches(p.id) || (memberOf === undefined && p.type.toLowerCase() === "group"))) &&
      !deny.excluded.some((p) => reaches(p.id)),
  );
  return { eligible, denies, activations: beyond.activations, beyondAssignmentsNotice: null };
}

/** Which of `groupIds` the principal is a member of, transitively; undefined when Graph could not say. */
async function memberGroups(caller: DelegatedCaller, principalId: string, groupIds: readonly string[]): Promise<Set<string> | undefined> {
  try {
    return await memberGroupsAmong(delegatedGraphClient(caller), principalId, groupIds);
  } catch {
    return undefined;
  }
}
