import "server-only";

import { ROLE_ASSIGNMENT_DELETE, ROLE_ASSIGNMENT_WRITE, roleAllows, roleCovers, type PermissionBlock } from "@/lib/shared/rbac-actions";

import type { OperationsCatalogue, Plane } from "./catalogue";
import { blockAllows, expandRole, type GrantedOperation, type OperationVerb, type RoleToExpand, type UncataloguedReach } from "./expand-role";
import { groupLabel } from "./plain-words";

/** Operations of one resource type and verb the principal would gain, under one short English label. */
export interface PermissionGroup {
  readonly plane: Plane;
  readonly resourceType: string;
  readonly verb: OperationVerb;
  readonly readsSecrets: boolean;
  readonly label: string;
  readonly operations: readonly GrantedOperation[];
}

export type DangerKind = "all_actions" | "role_assignment_write" | "role_assignment_delete" | "secret_read";

export interface Danger {
  readonly kind: DangerKind;
  /** The operations or patterns behind it. */
  readonly operations: readonly string[];
}

export interface PermissionDelta {
  readonly control: readonly PermissionGroup[];
  readonly data: readonly PermissionGroup[];
  readonly dangers: readonly Danger[];
  /** Patterns of the requested roles whose reach the catalogue cannot list and the current roles do not cover. */
  readonly uncatalogued: readonly UncataloguedReach[];
  /** Nothing is gained: the current roles already give everything requested. */
  readonly alreadyCovered: boolean;
  /** The groups list what is gained at least; the uncatalogued patterns may give more. */
  readonly atLeast: boolean;
}

function allBlocks(roles: readonly RoleToExpand[]): PermissionBlock[] {
  return roles.flatMap((role) => role.permissions);
}

function alreadyHeld(current: readonly PermissionBlock[], operation: GrantedOperation): boolean {
  return current.some((block) => blockAllows(block, operation.plane, operation.name));
}

/** Whether the current roles give everything an uncatalogued pattern gives (erring towards "not covered"). */
function reachHeld(current: readonly PermissionBlock[], reach: UncataloguedReach): boolean {
  const requested: PermissionBlock =
    reach.plane === "control"
      ? { actions: [reach.pattern], notActions: reach.excluded, dataActions: [], notDataActions: [] }
      : { actions: [], notActions: [], dataActions: [reach.pattern], notDataActions: reach.excluded };
  return roleCovers(current, [requested]);
}

function groupsOf(operations: readonly GrantedOperation[]): PermissionGroup[] {
  const groups = new Map<string, GrantedOperation[]>();
  for (const operation of operations) {
    const key = [operation.resourceType.toLowerCase(), operation.verb, operation.readsSecrets].join(" ");
    groups.set(key, [...(groups.get(key) ?? []), operation]);
  }
  return [...groups.values()]
    .map((members) => {
      const first = members[0]!;
      return {
        plane: first.plane,
        resourceType: first.resourceType,
        verb: first.verb,
        readsSecrets: first.readsSecrets,
        label: groupLabel(
          first.resourceType,
          first.verb,
          first.readsSecrets,
          members.map((member) => member.name),
        ),
        operations: members,
      };
    })
    .sort((a, b) => Number(b.readsSecrets) - Number(a.readsSecrets) || a.resourceType.localeCompare(b.resourceType) || a.verb.localeCompare(b.verb));
}

function assignmentDanger(requested: readonly PermissionBlock[], current: readonly PermissionBlock[], action: string): boolean {
  return requested.some((block) => roleAllows(block, action)) && !current.some((block) => roleAllows(block, action));
}

/**
 * What a principal would gain on a workspace from `requested` roles, given the `current` roles it already holds there
 * through every path (direct, groups, inherited scopes): the requested roles' operations that no current role gives,
 * grouped by plane, resource type and verb in plain words, with the dangerous ones flagged.
 */
export function permissionDelta(requested: readonly RoleToExpand[], current: readonly RoleToExpand[], catalogue: OperationsCatalogue): PermissionDelta {
  const currentBlocks = allBlocks(current);
  const requestedBlocks = allBlocks(requested);
  const expansions = requested.map((role) => expandRole(role, catalogue));
  const gained = new Map<string, GrantedOperation>();
  for (const operation of expansions.flatMap((expansion) => [...expansion.control, ...expansion.data])) {
    const key = `${operation.plane} ${operation.name.toLowerCase()}`;
    if (!gained.has(key) && !alreadyHeld(currentBlocks, operation)) gained.set(key, operation);
  }
  const uncatalogued = expansions.flatMap((expansion) => expansion.uncatalogued).filter((reach) => !reachHeld(currentBlocks, reach));
  const operations = [...gained.values()];

  const dangers: Danger[] = [];
  const everything = uncatalogued.filter((reach) => reach.pattern.trim() === "*").map((reach) => reach.pattern);
  if (everything.length > 0) dangers.push({ kind: "all_actions", operations: ["*"] });
  if (assignmentDanger(requestedBlocks, currentBlocks, ROLE_ASSIGNMENT_WRITE)) {
    dangers.push({ kind: "role_assignment_write", operations: [ROLE_ASSIGNMENT_WRITE] });
  }
  if (assignmentDanger(requestedBlocks, currentBlocks, ROLE_ASSIGNMENT_DELETE)) {
    dangers.push({ kind: "role_assignment_delete", operations: [ROLE_ASSIGNMENT_DELETE] });
  }
  const secrets = operations.filter((operation) => operation.readsSecrets).map((operation) => operation.name);
  if (secrets.length > 0) dangers.push({ kind: "secret_read", operations: secrets.sort() });

  return {
    control: groupsOf(operations.filter((operation) => operation.plane === "control")),
    data: groupsOf(operations.filter((operation) => operation.plane === "data")),
    dangers,
    uncatalogued,
    alreadyCovered: operations.length === 0 && uncatalogued.length === 0,
    atLeast: uncatalogued.length > 0,
  };
}
