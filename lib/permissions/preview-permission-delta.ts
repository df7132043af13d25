import "server-only";

import type { ArmIdentity } from "@/lib/arm/client";
import { linkedResourceOf, type WorkspaceLinkKind } from "@/lib/arm/linked-resources";
import type { DelegatedContext } from "@/lib/auth/caller";
import { AppError, refusal } from "@/lib/errors";
import { type DirectoryPrincipal, resolvePrincipals } from "@/lib/graph/principals";
import { describeError, log } from "@/lib/log";
import { getRequestPolicy, type RequestPolicy } from "@/lib/requests/policy";
import { type AssignmentOrigin, parseScope } from "@/lib/shared/arm-scope";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import { actionMatches, ROLE_ASSIGNMENT_DELETE, ROLE_ASSIGNMENT_WRITE, roleCovers } from "@/lib/shared/rbac-actions";
import { type AccessTarget, checkAccessAt, type EffectiveAccess } from "@/lib/workspaces/check-workspace-access";
import { getRoleDefinitions, type RoleDefinition } from "@/lib/workspaces/role-definitions";

import type { OperationsCatalogue, Plane } from "./catalogue";
import type { GrantedOperation } from "./expand-role";
import { permissionDelta, type PermissionDelta } from "./permission-delta";
import { getOperationsCatalogue } from "./provider-operations";

/** One role on one scope: a request or a grant is one part; a bundle is several. */
export interface DeltaPart {
  readonly scope: string;
  readonly roleDefinitionId: string;
}

export interface PreviewPermissionDeltaInput {
  readonly principalId: string;
  readonly parts: readonly DeltaPart[];
}

/** What a preview's scope is: a workspace, or a resource a bundle part lands on (its kind as the workspace links it). */
export interface DeltaTarget {
  readonly kind: "workspace" | WorkspaceLinkKind | "amlRegistry";
  /** The resource's name, from its id. */
  readonly name: string;
}

/** A role the principal holds at the scope now, and how it reaches them. */
export interface HeldRole {
  readonly roleName: string;
  /** `workspace`: assigned at the preview's scope itself (whatever resource that is); otherwise the ancestor it comes from. */
  readonly origin: AssignmentOrigin;
  /** The groups it comes through, outermost last; empty when assigned directly, null when the chain is unknown. */
  readonly via: readonly string[] | null;
  /** The group or principal the assignment names. */
  readonly assignedTo: string;
  /** An ABAC condition narrows it: not counted as covering anything. */
  readonly conditional: boolean;
}

/** A deny assignment naming the principal, and the gained operations it still refuses them. */
export interface DenyEffect {
  readonly name: string;
  readonly operations: readonly string[];
}

/** A NotActions/NotDataActions entry of a requested role that matches no operation the catalogue lists. */
export interface IneffectiveExclusion {
  readonly role: string;
  readonly plane: Plane;
  readonly pattern: string;
}

export interface PermissionDeltaPreview {
  readonly scope: string;
  readonly target: DeltaTarget;
  readonly principal: { readonly id: string; readonly displayName: string; readonly kind: DirectoryPrincipal["kind"] };
  readonly roles: readonly { readonly id: string; readonly name: string }[];
  /** `unknown`: Gatehouse could not read what the principal holds there, so `delta` is everything the roles allow. */
  readonly currentAccess: "read" | "unknown";
  /** Why current access is unknown, in plain words. */
  readonly currentAccessNotice: string | null;
  readonly held: readonly HeldRole[];
  /** When nothing is gained: the held roles that give it (each alone, or all together). */
  readonly coveredBy: readonly HeldRole[];
  readonly delta: PermissionDelta;
  /** Gained catalogued operations, counted (more when `delta.atLeast`); `notable` names the most consequential one. */
  readonly summary: { readonly count: number; readonly notable: string | null };
  readonly denies: readonly DenyEffect[];
  readonly ineffectiveExclusions: readonly IneffectiveExclusion[];
}

export interface PreviewOptions {
  /** The caller's console roles: a requester may preview only the roles the request policy offers. */
  readonly consoleRoles: readonly ConsoleRole[];
  readonly policy?: RequestPolicy;
  /**
   * Roles a requester may preview besides the policy's roles, read as the console as those are: a policy bundle's
   * roles, which the bundle preview passes for the parts it planned itself (never ids from the browser).
   */
  readonly offeredRoleIds?: readonly string[];
  /** One preview per part instead of one per scope (a bundle shows each part); current access is read once per scope. */
  readonly onePerPart?: boolean;
  readonly now?: number;
}

const UNKNOWN_NOTICE = "Gatehouse could not read current access; this is everything the role allows.";

/**
 * What a principal would gain from roles on workspaces, or on the resources a bundle's parts land on (a workspace's
 * storage account, key vault, container registry, Application Insights, an AML registry): the roles' operations
 * (expanded over ARM's provider-operations catalogue) less those that every path they hold there already gives (Check
 * access at that scope: direct, nested groups, inherited scopes), with deny assignments that still refuse some of them.
 * One preview per scope named by the parts (or per part, `onePerPart`).
 *
 * Who may see it: whoever may file a request for the principal (any requester, for the roles the request policy
 * offers) and admins (who grant and approve, any role). The role definition of a policy role is read as the console,
 * as the request's submission and approval read it; any other role only as the admin. Current access is always read
 * as the caller: when Azure will not show it to them, the preview says so and lists everything the roles allow.
 */
export async function previewPermissionDelta(
  context: DelegatedContext,
  input: PreviewPermissionDeltaInput,
  options: PreviewOptions,
): Promise<PermissionDeltaPreview[]> {
  const admin = options.consoleRoles.includes("Console.Admin");
  const policy = options.policy ?? getRequestPolicy();
  const policyRoles = new Set([...policy.roles.map((role) => role.roleDefinitionId), ...(options.offeredRoleIds ?? [])].map((id) => id.toLowerCase()));
  const groups = new Map<string, { target: AccessTarget & DeltaTarget; roleIds: string[] }>();
  for (const part of input.parts) {
    const target = deltaTarget(part.scope);
    const roleId = part.roleDefinitionId.toLowerCase();
    if (!admin && !policyRoles.has(roleId)) {
      throw refusal("forbidden", "role outside the request policy", "This role cannot be requested, so Gatehouse does not preview it.", "roleDefinitionId");
    }
    const key = options.onePerPart ? `${target.scope.toLowerCase()} ${roleId}` : target.scope.toLowerCase();
    const entry = groups.get(key) ?? { target, roleIds: [] };
    if (!entry.roleIds.includes(roleId)) entry.roleIds.push(roleId);
    groups.set(key, entry);
  }

  const lookup = await resolvePrincipals(context.caller, [input.principalId]);
  if (!lookup.complete) {
    throw new AppError({ code: "upstream_unavailable", message: "getByIds failed", userMessage: lookup.failureMessage ?? "Microsoft Graph is unavailable." });
  }
  const principal = lookup.found.get(input.principalId.toLowerCase());
  if (!principal) {
    throw refusal("not_found", "principal not found", "No user, group or service principal has that id.", "principalId");
  }

  const delegated: ArmIdentity = { kind: "delegated", caller: context.caller };
  // Several parts on one scope (a bundle's two storage roles) share one read of what the principal holds there.
  const reads = new Map<string, Promise<CurrentAccess>>();
  const currentAt = (target: AccessTarget) => {
    const key = target.scope.toLowerCase();
    const read = reads.get(key) ?? readCurrentAccess(context, target, principal.id);
    reads.set(key, read);
    return read;
  };
  return Promise.all(
    [...groups.values()].map(async ({ target, roleIds }) => {
      const [requested, current] = await Promise.all([requestedRoles(delegated, target.scope, roleIds, policyRoles), currentAt(target)]);
      return previewOne(delegated, target, principal, requested, current, options.now);
    }),
  );
}

/** A part's scope: an AML workspace, or a resource a bundle part lands on (a workspace's linked resource, an AML registry). */
function deltaTarget(scope: string): AccessTarget & DeltaTarget {
  const workspace = parseScope(scope);
  if (workspace?.level === "workspace") {
    return { scope: workspace.scope, subscriptionId: workspace.subscriptionId!, kind: "workspace", name: workspace.workspaceName! };
  }
  const linked = linkedResourceOf(scope);
  if (linked) return { scope: linked.resource.id, subscriptionId: linked.resource.subscriptionId, kind: linked.kind, name: linked.resource.name };
  throw refusal("invalid_input", "scope not a workspace or a bundle part's resource", "Choose a workspace from the list.", "workspaceId");
}

/** Policy roles as the console reads them for requests; any other role as the admin asking. */
async function requestedRoles(delegated: ArmIdentity, scope: string, roleIds: readonly string[], policyRoles: ReadonlySet<string>): Promise<RoleDefinition[]> {
  const asConsole = roleIds.some((id) => policyRoles.has(id)) ? await getRoleDefinitions({ kind: "app" }, scope) : undefined;
  const asCaller = roleIds.some((id) => !policyRoles.has(id)) ? await getRoleDefinitions(delegated, scope) : undefined;
  return roleIds.map((id) => {
    const definition = (policyRoles.has(id) ? asConsole : asCaller)?.get(id);
    if (!definition) {
      throw refusal("not_found", "role definition not found", "Azure has no such role for this workspace. Choose one from the list.", "roleDefinitionId");
    }
    return definition;
  });
}

type CurrentAccess =
  { readonly known: true; readonly access: EffectiveAccess; readonly definitions: ReadonlyMap<string, RoleDefinition> } | { readonly known: false };

async function readCurrentAccess(context: DelegatedContext, target: AccessTarget, principalId: string): Promise<CurrentAccess> {
  try {
    const access = await checkAccessAt(context.caller, target, principalId);
    // checkAccessAt read these a moment ago: the per-caller cache answers.
    const definitions = await getRoleDefinitions({ kind: "delegated", caller: context.caller }, target.scope);
    return { known: true, access, definitions };
  } catch (error) {
    // A refusal (a requester cannot read role assignments there) or an outage: say "unknown", never "nothing new".
    if (error instanceof AppError && ["upstream_forbidden", "upstream_unavailable", "upstream_throttled", "upstream_failed"].includes(error.code)) {
      log("info", "permissions", "current access not readable for the delta", { error: describeError(error) });
      return { known: false };
    }
    throw error;
  }
}

function heldRole(grant: EffectiveAccess["grants"][number]): HeldRole {
  return {
    roleName: grant.roleName,
    origin: grant.origin,
    via: grant.via === null ? null : grant.via.map((step) => step.displayName),
    assignedTo: grant.assignedTo.displayName,
    conditional: grant.condition !== null,
  };
}

async function previewOne(
  identity: ArmIdentity,
  target: AccessTarget & DeltaTarget,
  principal: DirectoryPrincipal,
  requested: readonly RoleDefinition[],
  current: CurrentAccess,
  now: number | undefined,
): Promise<PermissionDeltaPreview> {
  // Conditional grants allow only what their condition permits: they never make anything "already held".
  const counted = current.known ? current.access.grants.filter((grant) => grant.condition === null) : [];
  const currentRoles = current.known ? counted.flatMap((grant) => current.definitions.get(grant.roleDefinitionId) ?? []) : [];
  const patterns = [...requested, ...currentRoles].flatMap((role) =>
    role.permissions.flatMap((block) => [...block.actions, ...block.notActions, ...block.dataActions, ...block.notDataActions]),
  );
  const catalogue = await getOperationsCatalogue(identity, patterns, now === undefined ? {} : { now });
  const delta = permissionDelta(requested, currentRoles, catalogue);
  const gained = [...delta.control, ...delta.data].flatMap((group) => group.operations);
  const held = current.known ? current.access.grants.map(heldRole) : [];
  return {
    scope: target.scope,
    target: { kind: target.kind, name: target.name },
    principal: { id: principal.id, displayName: principal.displayName, kind: principal.kind },
    roles: requested.map((role) => ({ id: role.id, name: role.name })),
    currentAccess: current.known ? "read" : "unknown",
    currentAccessNotice: current.known ? null : UNKNOWN_NOTICE,
    held,
    coveredBy: delta.alreadyCovered && current.known ? coveringRoles(requested, counted, current.definitions) : [],
    delta,
    summary: { count: gained.length, notable: mostConsequential(gained, delta) },
    denies: current.known ? denyEffects(current.access, gained) : [],
    ineffectiveExclusions: ineffectiveExclusions(requested, catalogue),
  };
}

/** The held roles that each alone give everything requested; when none does alone, all of them together. */
function coveringRoles(requested: readonly RoleDefinition[], grants: EffectiveAccess["grants"], definitions: ReadonlyMap<string, RoleDefinition>): HeldRole[] {
  const requestedBlocks = requested.flatMap((role) => role.permissions);
  const alone = grants.filter((grant) => {
    const definition = definitions.get(grant.roleDefinitionId);
    return definition !== undefined && roleCovers(definition.permissions, requestedBlocks);
  });
  return (alone.length > 0 ? alone : grants).map(heldRole);
}

// Which gained operation the one-line summary names. Compute first among writes: it runs arbitrary code as the
// workspace's identity and is billed; then the workspace itself, endpoints (serving), connections and datastores
// (credentials to other systems).
const CONSEQUENTIAL_TYPES = ["/workspaces/computes", "/workspaces", "/workspaces/onlineendpoints", "/workspaces/connections", "/workspaces/datastores"];
const VERB_WEIGHT: Record<GrantedOperation["verb"], number> = { write: 0, delete: 1, action: 2, read: 3 };

function mostConsequential(gained: readonly GrantedOperation[], delta: PermissionDelta): string | null {
  const assignment = delta.dangers.find((danger) => danger.kind === "role_assignment_write" || danger.kind === "role_assignment_delete");
  if (assignment) return assignment.kind === "role_assignment_write" ? ROLE_ASSIGNMENT_WRITE : ROLE_ASSIGNMENT_DELETE;
  const typeRank = (operation: GrantedOperation) => {
    const index = CONSEQUENTIAL_TYPES.findIndex((suffix) => operation.resourceType.toLowerCase().endsWith(suffix));
    return index === -1 ? CONSEQUENTIAL_TYPES.length : index;
  };
  const ranked = [...gained].sort(
    (a, b) =>
      Number(a.plane === "data") - Number(b.plane === "data") ||
      VERB_WEIGHT[a.verb] - VERB_WEIGHT[b.verb] ||
      typeRank(a) - typeRank(b) ||
      Number(b.readsSecrets) - Number(a.readsSecrets) ||
      a.name.localeCompare(b.name),
  );
  const best = ranked[0];
  // A read is consequential only when it hands out a secret; otherwise name the widest pattern, if any.
  if (best && (best.verb !== "read" || best.readsSecrets)) return best.name;
  const secret = gained.find((operation) => operation.readsSecrets);
  return secret?.name ?? best?.name ?? delta.uncatalogued[0]?.pattern ?? null;
}

/** The gained operations each deny assignment naming the principal still refuses. */
function denyEffects(access: EffectiveAccess, gained: readonly GrantedOperation[]): DenyEffect[] {
  return access.denies.flatMap((deny) => {
    const refused = gained.filter((operation) => {
      if (operation.plane === "data") return deny.dataActions.some((pattern) => actionMatches(pattern, operation.name));
      return (
        deny.actions.some((pattern) => actionMatches(pattern, operation.name)) && !deny.notActions.some((pattern) => actionMatches(pattern, operation.name))
      );
    });
    return refused.length > 0 ? [{ name: deny.name, operations: refused.map((operation) => operation.name) }] : [];
  });
}

/**
 * Exclusions that take nothing away from what Gatehouse knows of: a NotActions entry over a catalogued namespace that
 * matches no catalogued operation. ARM matches them literally, so such a role still allows what its description may
 * say it does not (AzureML Data Scientist's `workspaces/computes/*\/write` matches no operation: `computes/write` has
 * no segment between `computes/` and `/write`).
 */
function ineffectiveExclusions(roles: readonly RoleDefinition[], catalogue: OperationsCatalogue): IneffectiveExclusion[] {
  const found: IneffectiveExclusion[] = [];
  for (const role of roles) {
    for (const block of role.permissions) {
      for (const [plane, excluded] of [
        ["control", block.notActions],
        ["data", block.notDataActions],
      ] as const) {
        for (const pattern of excluded) {
          const namespace = (pattern.split("/")[0] ?? "").toLowerCase();
          if (namespace.includes("*") || !catalogue.namespaces.has(namespace)) continue;
          const matches = catalogue.operations.some((operation) => operation.plane === plane && actionMatches(pattern, operation.name));
          if (!matches && !found.some((entry) => entry.role === role.name && entry.pattern === pattern)) found.push({ role: role.name, plane, pattern });
        }
      }
    }
  }
  return found;
}
