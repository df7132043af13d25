/**
 * `Microsoft.Authorization/roleDefinitions`: list (with `roleName eq` / `type eq` / `atScopeAndBelow()`) and get, at
 * any scope. A list answers with the roles "applicable at scope and above" (RoleDefinitions_List, 2022-04-01): those
 * with an assignable scope at or above the scope asked about; `atScopeAndBelow()` "search[es] below the given scope as
 * well" (sandbox/conformance/fixtures/arm-authorization/RoleDefinitions_List.2022-04-01.operation.json).
 */
import type { SandboxResponse } from "../contract";
import type { RoleDefinitionRecord } from "../tenant/model";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { renderRoleDefinition } from "./render";
import { ARM_MESSAGES, armError, armJson } from "./responses";
import { isScopeError, type ResolvedScope, resolveScope, scopeCovers } from "./scopes";

const READ = "Microsoft.Authorization/roleDefinitions/read";

function resolved(context: ArmContext, rawScope: string): ResolvedScope | SandboxResponse {
  const result = resolveScope(context.tenant, rawScope);
  return isScopeError(result) ? armError(context, result.status, result.code, result.message) : result;
}

interface DefinitionFilter {
  readonly below: boolean;
  readonly matches: (d: RoleDefinitionRecord) => boolean;
}

function parseFilter(filter: string | null): DefinitionFilter | undefined {
  if (filter === null || filter.trim() === "") return { below: false, matches: () => true };
  if (/^atScopeAndBelow\(\)$/i.test(filter.trim())) return { below: true, matches: () => true };
  const matches = parsePropertyFilter(filter);
  return matches ? { below: false, matches } : undefined;
}

function parsePropertyFilter(filter: string): ((d: RoleDefinitionRecord) => boolean) | undefined {
  const byName = /^roleName\s+eq\s+'(.*)'$/i.exec(filter.trim());
  if (byName?.[1] !== undefined) {
    const wanted = byName[1].replace(/''/g, "'").toLowerCase();
    return (d) => d.roleName.toLowerCase() === wanted;
  }
  const byType = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i.exec(filter.trim());
  if (byType?.[1]) {
    const wanted = byType[1].toLowerCase();
    return (d) => d.type.toLowerCase() === wanted;
  }
  return undefined;
}

export function listRoleDefinitions(context: ArmContext, rawScope: string): SandboxResponse {
  const scope = resolved(context, rawScope);
  if ("status" in scope) return scope;
  const denied = denyUnlessAuthorized(context, READ, scope.scope);
  if (denied) return denied;
  const filter = parseFilter(context.request.query.get("$filter"));
  if (!filter) {
    return armError(
      context,
      400,
      "InvalidFilterInQueryString",
      `The filter '${context.request.query.get("$filter") ?? ""}' is not supported. Supported filters are roleName eq '{name}', type eq '{BuiltInRole|CustomRole}' and atScopeAndBelow().`,
    );
  }
  const { tenant } = context;
  const listed = (d: RoleDefinitionRecord) =>
    d.assignableScopes.some((assignable) => scopeCovers(tenant, assignable, scope.scope) || (filter.below && scopeCovers(tenant, scope.scope, assignable)));
  const value = [...tenant.roleDefinitions.values()].filter((d) => listed(d) && filter.matches(d)).map((d) => renderRoleDefinition(d, scope.subscriptionId));
  return armJson(context, 200, { value });
}

export function getRoleDefinition(context: ArmContext, rawScope: string, id: string): SandboxResponse {
  const scope = resolved(context, rawScope);
  if ("status" in scope) return scope;
  const denied = denyUnlessAuthorized(context, READ, scope.scope);
  if (denied) return denied;
  const definition = context.tenant.roleDefinitions.get(id.toLowerCase());
  if (!definition) {
    return armError(context, 404, "RoleDefinitionDoesNotExist", ARM_MESSAGES.roleDefinitionDoesNotExist(id));
  }
  return armJson(context, 200, renderRoleDefinition(definition, scope.subscriptionId));
}
