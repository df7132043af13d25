/**
 * `GET {scope}/providers/Microsoft.Authorization/permissions`: the caller's own effective permission blocks at a
 * scope (Permissions_ListForResourceGroup / ListForResource). Lets a console check "can I grant here?" up front.
 * Every authenticated caller may read its own permissions.
 */
import type { SandboxResponse } from "../contract";
import { effectiveAssignments } from "./authorize";
import type { ArmContext } from "./context";
import { armError, armJson } from "./responses";
import { isScopeError, resolveScope, scopeCovers } from "./scopes";

export function listPermissions(context: ArmContext, rawScope: string): SandboxResponse {
  const resolved = resolveScope(context.tenant, rawScope);
  if (isScopeError(resolved)) return armError(context, resolved.status, resolved.code, resolved.message);
  const { tenant, settings, request } = context;
  const value = effectiveAssignments(tenant, settings, request.caller, request.now)
    .filter((assignment) => scopeCovers(tenant, assignment.scope, resolved.scope))
    .flatMap((assignment) => tenant.roleDefinitions.get(assignment.roleDefinitionName.toLowerCase())?.permissions ?? [])
    .map((block) => ({
      actions: block.actions,
      notActions: block.notActions,
      dataActions: block.dataActions,
      notDataActions: block.notDataActions,
    }));
  return armJson(context, 200, { value });
}
