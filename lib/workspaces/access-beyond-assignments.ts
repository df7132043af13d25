import "server-only";

import { armError, type ArmIdentity, authorizationClient } from "@/lib/arm/client";
import type { AppError } from "@/lib/errors";
import { type AssignmentOrigin, assignmentOrigin, listedAssignmentApplies } from "@/lib/shared/arm-scope";
import { roleDefinitionGuid } from "./role-definitions";

/**
 * What decides access on a workspace besides its role assignments, read through `@azure/arm-authorization`:
 * PIM eligibilities (`roleEligibilityScheduleInstances`, 2020-10-01: not role assignments, so ARM's assignment list
 * leaves them out), active PIM assignments (`roleAssignmentScheduleInstances`: an activation's role assignment is in
 * the list, with nothing there to say PIM made it or when it ends) and deny assignments (`denyAssignments`,
 * 2022-04-01), which override role assignments.
 */

/** A principal may activate a role here through PIM; it holds nothing until then. */
export interface Eligibility {
  readonly id: string;
  readonly scope: string;
  readonly origin: AssignmentOrigin;
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType: string;
  /** How PIM says it reaches the principal asked about: Direct, Group (through membership) or Inherited. */
  readonly memberType: string | null;
  readonly startDateTime: string | null;
  /** Null: permanently eligible. */
  readonly endDateTime: string | null;
  readonly condition: string | null;
}

/** A role assignment PIM made, and when it ends. */
export interface PimActivation {
  /** Activated: from an eligibility; Assigned: a time-bound active assignment made in PIM. */
  readonly assignmentType: string;
  readonly endDateTime: string | null;
}

export interface DenyPrincipal {
  readonly id: string;
  readonly type: string;
  readonly displayName: string | null;
}

export interface DenyAssignment {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly scope: string;
  readonly origin: AssignmentOrigin;
  /** The actions it refuses (and the exceptions). */
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  /** Everyone (the all-zero id) or the principals named; `excluded` are spared. */
  readonly everyone: boolean;
  readonly principals: readonly DenyPrincipal[];
  readonly excluded: readonly DenyPrincipal[];
  readonly systemProtected: boolean;
}

/** The id that stands for everyone in a deny assignment's principals. */
export const EVERYONE = "00000000-0000-0000-0000-000000000000";

export interface AccessBeyondAssignments {
  readonly eligibilities: readonly Eligibility[];
  /** PIM activations by the lower-cased ARM id of the role assignment they made. */
  readonly activations: ReadonlyMap<string, PimActivation>;
  readonly denies: readonly DenyAssignment[];
}

const iso = (value: Date | undefined): string | null => (value ? value.toISOString() : null);

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  try {
    for await (const item of pages) items.push(item);
  } catch (error) {
    throw armError(error);
  }
  return items;
}

/**
 * PIM and deny assignments that apply to a workspace. `assignedTo` (a user or service principal: ARM takes no group
 * there) narrows eligibilities and activations to what reaches that principal, through groups too; deny assignments
 * are always every one that applies (`atScope()`), as whom they name is decided by the caller against the
 * principal's groups. Throws an `AppError` when ARM refuses or fails.
 */
export async function listAccessBeyondAssignments(
  identity: ArmIdentity,
  subscriptionId: string,
  workspace: string,
  assignedTo?: string,
): Promise<AccessBeyondAssignments> {
  const client = authorizationClient(identity, subscriptionId);
  const filter = assignedTo ? `assignedTo('${assignedTo}')` : "atScope()";
  const [eligible, active, denies] = await Promise.all([
    collect(client.roleEligibilityScheduleInstances.listForScope(workspace, { filter })),
    collect(client.roleAssignmentScheduleInstances.listForScope(workspace, { filter })),
    collect(client.denyAssignments.listForScope(workspace, { filter: "atScope()" })),
  ]);
  const applies = (scope: string | undefined): scope is string => scope !== undefined && listedAssignmentApplies(scope, workspace);
  return {
    eligibilities: eligible
      .filter((item) => applies(item.scope))
      .map((item) => ({
        id: item.id ?? "",
        scope: item.scope!,
        origin: assignmentOrigin(item.scope!, workspace),
        roleDefinitionId: roleDefinitionGuid(item.roleDefinitionId ?? ""),
        principalId: (item.principalId ?? "").toLowerCase(),
        principalType: item.principalType ?? "Unknown",
        memberType: item.memberType ?? null,
        startDateTime: iso(item.startDateTime),
        endDateTime: iso(item.endDateTime),
        condition: item.condition ?? null,
      })),
    activations: new Map(
      active
        .filter((item) => applies(item.scope) && item.originRoleAssignmentId)
        .map((item) => [item.originRoleAssignmentId!.toLowerCase(), { assignmentType: item.assignmentType ?? "Assigned", endDateTime: iso(item.endDateTime) }]),
    ),
    denies: denies
      .filter((item) => applies(item.scope))
      .map((item) => {
        const blocks = item.permissions ?? [];
        const principal = (p: { id?: string; type?: string; displayName?: string }): DenyPrincipal => ({
          id: (p.id ?? "").toLowerCase(),
          type: p.type ?? "Unknown",
          displayName: p.displayName ?? null,
        });
        const principals = (item.principals ?? []).map(principal);
        return {
          id: item.id ?? "",
          name: item.denyAssignmentName ?? item.name ?? "",
          description: item.description ?? null,
          scope: item.scope!,
          origin: assignmentOrigin(item.scope!, workspace),
          actions: blocks.flatMap((block) => block.actions ?? []),
          notActions: blocks.flatMap((block) => block.notActions ?? []),
          dataActions: blocks.flatMap((block) => block.dataActions ?? []),
          everyone: principals.some((p) => p.id === EVERYONE),
          principals: principals.filter((p) => p.id !== EVERYONE),
          excluded: (item.excludePrincipals ?? []).map(principal),
          systemProtected: item.isSystemProtected ?? false,
        };
      }),
  };
}

/** A user-facing sentence for when PIM or deny assignments could not be read: the rest of the page still shows. */
export function beyondAssignmentsNotice(error: AppError): string {
  return `PIM eligibilities and deny assignments could not be read (${error.userMessage}); people may be eligible for roles, or denied actions, that this page does not show.`;
}
