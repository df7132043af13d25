/** `Microsoft.Authorization/roleDefinitions`: list (with `roleName eq` / `type eq`) and get, at any scope. */
import type { SandboxResponse } from "../contract";
import type { RoleDefinitionRecord } from "../tenant/model";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { renderRoleDefinition } from "./render";
import { ARM_MESSAGES, armError, armJson } from "./responses";
import { isScopeError, type ResolvedScope, resolveScope } from "./scopes";

const READ = "Microsoft.Authorization/roleDefinitions/read";

function resolved(context: ArmContext, rawScope: string): ResolvedScope | SandboxResponse {
  const result = resolveScope(context.tenant, rawScope);
  return isScopeError(result) ? armError(context, result.status, result.code, result.message) : result;
}

function parseFilter(filter: string | null): ((d: RoleDefinitionRecord) => boolean) | undefined {
  if (filter === null || filter.trim() === "") return () => true;
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
  const predicate = parseFilter(context.request.query.get("$filter"));
  if (!predicate) {
    return armError(
      context,
      400,
      "InvalidFilterInQueryString",
      `The filter '${context.request.query.get("$filter") ?? ""}' is not supported. Supported filters are roleName eq '{name}' and type eq '{BuiltInRole|CustomRole}'.`,
    );
  }
  const value = [...context.tenant.roleDefinitions.values()].filter(predicate).map((d) => renderRoleDefinition(d, scope.subscriptionId));
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
