/**
 * ARM's authorization check: the caller (object id plus every group it belongs to, transitively) is allowed an action
 * at a scope if an assignment at that scope or above grants a role whose permission block lists a matching action and
 * no matching notAction. New assignments only count after the configured propagation delay, as ARM's cache does.
 */
import type { Caller, SandboxSettings } from "../contract";
import { EVERYONE_PRINCIPAL_ID, type RoleAssignmentRecord } from "../tenant/model";
import type { Tenant } from "../tenant/tenant";
import { scopeCovers } from "./scopes";

const patternCache = new Map<string, RegExp>();
const CONDITION_GATED_ACTIONS = ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"];

/**
 * ARM action wildcards: `*` matches any text, and `a/*\/b` also matches `a/b` (so `workspaces/*\/read` covers
 * `workspaces/read`, which is why AzureML Data Scientist lists `workspaces/write` under notActions). Case-insensitive.
 */
export function actionMatches(pattern: string, action: string): boolean {
  let regex = patternCache.get(pattern);
  if (!regex) {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    const source = escaped.replace(/\/\*\//g, "(?:/.*)?/").replace(/\*/g, ".*");
    regex = new RegExp(`^${source}$`, "i");
    patternCache.set(pattern, regex);
  }
  return regex.test(action);
}

/** The caller's principal ids as ARM sees them: itself plus transitive group memberships. */
export function callerPrincipalIds(tenant: Tenant, caller: Caller): string[] {
  return [caller.objectId.toLowerCase(), ...tenant.transitiveGroupIds(caller.objectId)];
}

export function isAssignmentEffective(assignment: RoleAssignmentRecord, settings: SandboxSettings, now: Date): boolean {
  return Date.parse(assignment.createdOn) + settings.propagationDelaySeconds * 1000 <= now.getTime();
}

/** Effective assignments of the caller (incl. groups), optionally only those covering `scope`. */
export function effectiveAssignments(tenant: Tenant, settings: SandboxSettings, caller: Caller, now: Date): RoleAssignmentRecord[] {
  return callerPrincipalIds(tenant, caller)
    .flatMap((principalId) => tenant.roleAssignmentsOfPrincipal(principalId))
    .filter((assignment) => isAssignmentEffective(assignment, settings, now));
}

export function isAuthorized(tenant: Tenant, settings: SandboxSettings, caller: Caller, now: Date, action: string, scope: string): boolean {
  for (const assignment of effectiveAssignments(tenant, settings, caller, now)) {
    if (!scopeCovers(tenant, assignment.scope, scope)) continue;
    // ABAC conditions are not evaluated; a conditioned assignment never manages role assignments here, which is
    // stricter than ARM (there it may, for the roles or principals its condition names).
    if (assignment.condition && CONDITION_GATED_ACTIONS.some((gated) => actionMatches(gated, action))) continue;
    const definition = tenant.roleDefinitions.get(assignment.roleDefinitionName.toLowerCase());
    if (!definition) continue;
    const granted = definition.permissions.some(
      (block) => block.actions.some((pattern) => actionMatches(pattern, action)) && !block.notActions.some((pattern) => actionMatches(pattern, action)),
    );
    if (granted) return !isDenied(tenant, caller, action, scope);
  }
  return false;
}

/**
 * Deny assignments take precedence over role assignments ("deny assignments ... block users from performing specific
 * actions even if a role assignment grants them access", MicrosoftDocs azure-docs, role-based-access-control/
 * deny-assignments.md): a deny that reaches the scope, names the caller (or a group of theirs, or everyone) and does
 * not exclude them, refuses a matching action.
 */
export function isDenied(tenant: Tenant, caller: Caller, action: string, scope: string): boolean {
  const mine = new Set(callerPrincipalIds(tenant, caller));
  const names = (list: readonly { id: string }[]) => list.some((p) => p.id === EVERYONE_PRINCIPAL_ID || mine.has(p.id.toLowerCase()));
  for (const deny of tenant.denyAssignments.values()) {
    const reaches = deny.scope.toLowerCase() === scope.toLowerCase() || (!deny.doNotApplyToChildScopes && scopeCovers(tenant, deny.scope, scope));
    if (!reaches || !names(deny.principals)) continue;
    if (deny.excludePrincipals.some((p) => mine.has(p.id.toLowerCase()))) continue;
    if (deny.permissions.some((block) => block.actions.some((p) => actionMatches(p, action)) && !block.notActions.some((p) => actionMatches(p, action)))) {
      return true;
    }
  }
  return false;
}

/** ARM names users by UPN in AuthorizationFailed messages, and apps by object id. */
export function callerDisplayForErrors(tenant: Tenant, caller: Caller): string {
  if (caller.kind === "user") return tenant.getUser(caller.objectId)?.userPrincipalName ?? caller.objectId;
  return caller.objectId;
}

/**
 * `isAuthorized` for many checks by one caller in one request (Resource Graph, over thousands of resources): the
 * caller's effective assignments are read once and indexed by scope, and each check looks only at the scope's own
 * ancestors (every `/`-prefix, the management groups above it, the root). Same answers as `isAuthorized`.
 */
export function authorizer(tenant: Tenant, settings: SandboxSettings, caller: Caller, now: Date): (action: string, scope: string) => boolean {
  const byScope = new Map<string, RoleAssignmentRecord[]>();
  for (const assignment of effectiveAssignments(tenant, settings, caller, now)) {
    const key = normalisedScope(assignment.scope);
    byScope.set(key, [...(byScope.get(key) ?? []), assignment]);
  }
  return (action, scope) => {
    for (const ancestor of ancestorScopes(tenant, scope)) {
      for (const assignment of byScope.get(ancestor) ?? []) {
        const definition = tenant.roleDefinitions.get(assignment.roleDefinitionName.toLowerCase());
        const granted = definition?.permissions.some(
          (block) => block.actions.some((pattern) => actionMatches(pattern, action)) && !block.notActions.some((pattern) => actionMatches(pattern, action)),
        );
        if (granted) return true;
      }
    }
    return false;
  };
}

function normalisedScope(scope: string): string {
  return scope.toLowerCase().replace(/\/+$/, "") || "/";
}

function ancestorScopes(tenant: Tenant, scope: string): string[] {
  const normalised = normalisedScope(scope);
  const prefixes = ["/"];
  for (let at = normalised.indexOf("/", 1); at !== -1; at = normalised.indexOf("/", at + 1)) prefixes.push(normalised.slice(0, at));
  if (normalised !== "/") prefixes.push(normalised);
  return [...prefixes, ...tenant.managementGroupsAbove(normalised).map((group) => `/providers/microsoft.management/managementgroups/${group}`)];
}
