import "server-only";

import { z } from "zod";

import { type ArmIdentity, armListAll } from "@/lib/arm/client";
import type { AppError } from "@/lib/errors";
import { type AssignmentOrigin, assignmentOrigin, listedAssignmentApplies } from "@/lib/shared/arm-scope";
import { roleDefinitionGuid } from "./role-definitions";

/**
 * What decides access on a workspace besides its role assignments, read from ARM's Microsoft.Authorization provider:
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

const PIM_API_VERSION = "2020-10-01";
const DENY_API_VERSION = "2022-04-01";

// Every field is nullish: ARM leaves out or nulls what does not apply (a permanent eligibility has no end).
const EligibilityWire = z.object({
  id: z.string().nullish(),
  properties: z
    .object({
      scope: z.string().nullish(),
      roleDefinitionId: z.string().nullish(),
      principalId: z.string().nullish(),
      principalType: z.string().nullish(),
      memberType: z.string().nullish(),
      startDateTime: z.string().nullish(),
      endDateTime: z.string().nullish(),
      condition: z.string().nullish(),
    })
    .nullish(),
});

const ActivationWire = z.object({
  properties: z
    .object({
      scope: z.string().nullish(),
      originRoleAssignmentId: z.string().nullish(),
      assignmentType: z.string().nullish(),
      endDateTime: z.string().nullish(),
    })
    .nullish(),
});

const DenyPrincipalWire = z.object({ id: z.string().nullish(), type: z.string().nullish(), displayName: z.string().nullish() });

const DenyAssignmentWire = z.object({
  id: z.string().nullish(),
  name: z.string().nullish(),
  properties: z
    .object({
      denyAssignmentName: z.string().nullish(),
      description: z.string().nullish(),
      scope: z.string().nullish(),
      permissions: z
        .array(z.object({ actions: z.array(z.string()).nullish(), notActions: z.array(z.string()).nullish(), dataActions: z.array(z.string()).nullish() }))
        .nullish(),
      principals: z.array(DenyPrincipalWire).nullish(),
      excludePrincipals: z.array(DenyPrincipalWire).nullish(),
      isSystemProtected: z.boolean().nullish(),
    })
    .nullish(),
});

// The same normal form the SDK's date-time deserializer gave (a Date, then its ISO string): what pages compare and show.
const iso = (value: string | null | undefined): string | null => (value ? new Date(value).toISOString() : null);

function listAt(identity: ArmIdentity, scope: string, collection: string, filter: string, apiVersion: string): Promise<unknown[]> {
  return armListAll(identity, `${scope}/providers/Microsoft.Authorization/${collection}?$filter=${encodeURIComponent(filter)}`, apiVersion);
}

/**
 * PIM and deny assignments that apply to a workspace. `assignedTo` (a user or service principal: ARM takes no group
 * there) narrows eligibilities and activations to what reaches that principal, through groups too; deny assignments
 * are always every one that applies (`atScope()`), as whom they name is decided by the caller against the
 * principal's groups. Throws an `AppError` when ARM refuses or fails.
 *
 * Read as plain JSON, with the requests `@azure/arm-authorization`'s `listForScope` makes, without its model
 * deserializer: these lists are read on every access check, where the SDK's per-call client and models were a
 * measurable share of the CPU.
 */
export async function listAccessBeyondAssignments(identity: ArmIdentity, workspace: string, assignedTo?: string): Promise<AccessBeyondAssignments> {
  const filter = assignedTo ? `assignedTo('${assignedTo}')` : "atScope()";
  const [eligible, active, denies] = await Promise.all([
    listAt(identity, workspace, "roleEligibilityScheduleInstances", filter, PIM_API_VERSION),
    listAt(identity, workspace, "roleAssignmentScheduleInstances", filter, PIM_API_VERSION),
    listAt(identity, workspace, "denyAssignments", "atScope()", DENY_API_VERSION),
  ]);
  const applies = (scope: string | null | undefined): scope is string => typeof scope === "string" && listedAssignmentApplies(scope, workspace);
  const eligibilities: Eligibility[] = [];
  for (const raw of eligible) {
    const item = EligibilityWire.parse(raw);
    const properties = item.properties ?? {};
    if (!applies(properties.scope)) continue;
    eligibilities.push({
      id: item.id ?? "",
      scope: properties.scope,
      origin: assignmentOrigin(properties.scope, workspace),
      roleDefinitionId: roleDefinitionGuid(properties.roleDefinitionId ?? ""),
      principalId: (properties.principalId ?? "").toLowerCase(),
      principalType: properties.principalType ?? "Unknown",
      memberType: properties.memberType ?? null,
      startDateTime: iso(properties.startDateTime),
      endDateTime: iso(properties.endDateTime),
      condition: properties.condition ?? null,
    });
  }
  const activations = new Map<string, PimActivation>();
  for (const raw of active) {
    const properties = ActivationWire.parse(raw).properties ?? {};
    if (!applies(properties.scope) || !properties.originRoleAssignmentId) continue;
    activations.set(properties.originRoleAssignmentId.toLowerCase(), {
      assignmentType: properties.assignmentType ?? "Assigned",
      endDateTime: iso(properties.endDateTime),
    });
  }
  const principal = (p: z.output<typeof DenyPrincipalWire>): DenyPrincipal => ({
    id: (p.id ?? "").toLowerCase(),
    type: p.type ?? "Unknown",
    displayName: p.displayName ?? null,
  });
  const denyAssignments: DenyAssignment[] = [];
  for (const raw of denies) {
    const item = DenyAssignmentWire.parse(raw);
    const properties = item.properties ?? {};
    if (!applies(properties.scope)) continue;
    const blocks = properties.permissions ?? [];
    const principals = (properties.principals ?? []).map(principal);
    denyAssignments.push({
      id: item.id ?? "",
      name: properties.denyAssignmentName ?? item.name ?? "",
      description: properties.description ?? null,
      scope: properties.scope,
      origin: assignmentOrigin(properties.scope, workspace),
      actions: blocks.flatMap((block) => block.actions ?? []),
      notActions: blocks.flatMap((block) => block.notActions ?? []),
      dataActions: blocks.flatMap((block) => block.dataActions ?? []),
      everyone: principals.some((p) => p.id === EVERYONE),
      principals: principals.filter((p) => p.id !== EVERYONE),
      excluded: (properties.excludePrincipals ?? []).map(principal),
      systemProtected: properties.isSystemProtected ?? false,
    });
  }
  return { eligibilities, activations, denies: denyAssignments };
}

/** A user-facing sentence for when PIM or deny assignments could not be read: the rest of the page still shows. */
export function beyondAssignmentsNotice(error: AppError): string {
  return `PIM eligibilities and deny assignments could not be read (${error.userMessage}); people may be eligible for roles, or denied actions, that this page does not show.`;
}
