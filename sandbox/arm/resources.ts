/** Subscriptions, resource groups and AML workspaces: read-only, filtered by what the caller may read. */
import type { SandboxResponse } from "../contract";
import { resourceGroupArmId, subscriptionOfScope, workspaceArmId } from "../tenant/arm-ids";
import { effectiveAssignments, isAuthorized } from "./authorize";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { armPage } from "./paging";
import { renderResourceGroup, renderSubscription, renderWorkspace } from "./render";
import { ARM_MESSAGES, armError, armJson } from "./responses";
import { isScopeError, type ResolvedScope, resolveScope } from "./scopes";

const SUBSCRIPTION_READ = "Microsoft.Resources/subscriptions/read";
const RESOURCE_GROUP_READ = "Microsoft.Resources/subscriptions/resourceGroups/read";
const WORKSPACE_READ = "Microsoft.MachineLearningServices/workspaces/read";

/** The ids (lower-case) of the subscriptions ARM lists for the caller: it holds a role at the root or anywhere inside. */
export function visibleSubscriptionIds(context: ArmContext): Set<string> {
  const { tenant, settings, request } = context;
  const visible = new Set<string>();
  for (const assignment of effectiveAssignments(tenant, settings, request.caller, request.now)) {
    if (assignment.scope === "/") return new Set(tenant.subscriptions.keys());
    const subscriptionId = subscriptionOfScope(assignment.scope);
    if (subscriptionId) visible.add(subscriptionId);
  }
  return visible;
}

/** ARM lists a subscription when the caller holds any role at the root or anywhere inside it. */
export function listSubscriptions(context: ArmContext): SandboxResponse {
  const { tenant } = context;
  const visible = visibleSubscriptionIds(context);
  const subscriptions = [...tenant.subscriptions.values()].filter((s) => visible.has(s.subscriptionId.toLowerCase()));
  return armJson(context, 200, { value: subscriptions.map((s) => renderSubscription(s, tenant.tenantId)) });
}

export function resolveOrError(context: ArmContext, scope: string): ResolvedScope | SandboxResponse {
  const resolved = resolveScope(context.tenant, scope);
  return isScopeError(resolved) ? armError(context, resolved.status, resolved.code, resolved.message) : resolved;
}

export function isResponse(value: ResolvedScope | SandboxResponse): value is SandboxResponse {
  return "status" in value;
}

export function getSubscription(context: ArmContext, subscriptionId: string): SandboxResponse {
  const resolved = resolveOrError(context, `/subscriptions/${subscriptionId}`);
  if (isResponse(resolved)) return resolved;
  const subscription = context.tenant.subscriptions.get(subscriptionId.toLowerCase());
  const denied = denyUnlessAuthorized(context, SUBSCRIPTION_READ, resolved.scope);
  if (denied || !subscription) return denied ?? armError(context, 404, "SubscriptionNotFound", ARM_MESSAGES.subscriptionNotFound(subscriptionId));
  return armJson(context, 200, renderSubscription(subscription, context.tenant.tenantId));
}

/** Lists items the caller can read; with nothing readable and no read on the parent, ARM answers 403. */
function filteredList<T>(
  context: ArmContext,
  parentScope: string,
  action: string,
  items: readonly T[],
  scopeOf: (item: T) => string,
  render: (item: T) => unknown,
): SandboxResponse {
  const { tenant, settings, request } = context;
  const readable = items.filter((item) => isAuthorized(tenant, settings, request.caller, request.now, action, scopeOf(item)));
  if (readable.length === 0) {
    const denied = denyUnlessAuthorized(context, action, parentScope);
    if (denied) return denied;
  }
  const page = armPage(request, readable);
  if (!page) return armError(context, 400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(context, 200, { value: page.value.map(render), ...(page.nextLink ? { nextLink: page.nextLink } : {}) });
}

export function listResourceGroups(context: ArmContext, subscriptionId: string): SandboxResponse {
  const resolved = resolveOrError(context, `/subscriptions/${subscriptionId}`);
  if (isResponse(resolved)) return resolved;
  const groups = [...context.tenant.resourceGroups.values()].filter((rg) => rg.subscriptionId.toLowerCase() === subscriptionId.toLowerCase());
  return filteredList(context, resolved.scope, RESOURCE_GROUP_READ, groups, (rg) => resourceGroupArmId(rg.subscriptionId, rg.name), renderResourceGroup);
}

export function getResourceGroup(context: ArmContext, subscriptionId: string, name: string): SandboxResponse {
  const scope = `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
  const resolved = resolveOrError(context, scope);
  if (isResponse(resolved)) return resolved;
  const denied = denyUnlessAuthorized(context, RESOURCE_GROUP_READ, resolved.scope);
  if (denied) return denied;
  const rg = context.tenant.resourceGroups.get(resolved.scope.toLowerCase());
  return rg ? armJson(context, 200, renderResourceGroup(rg)) : armError(context, 404, "ResourceGroupNotFound", ARM_MESSAGES.resourceGroupNotFound(name));
}

export function listWorkspaces(context: ArmContext, subscriptionId: string, resourceGroup?: string): SandboxResponse {
  const parent = resourceGroup ? `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}` : `/subscriptions/${subscriptionId}`;
  const resolved = resolveOrError(context, parent);
  if (isResponse(resolved)) return resolved;
  const workspaces = [...context.tenant.workspaces.values()].filter(
    (w) => w.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() && (!resourceGroup || w.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()),
  );
  return filteredList(
    context,
    resolved.scope,
    WORKSPACE_READ,
    workspaces,
    (w) => workspaceArmId(w.subscriptionId, w.resourceGroup, w.name),
    (w) => renderWorkspace(w, context.tenant.tenantId),
  );
}

export function getWorkspace(context: ArmContext, subscriptionId: string, resourceGroup: string, name: string): SandboxResponse {
  // ARM authorizes before it looks the resource up, so a missing workspace is a 403 to those who cannot read there.
  const rgResolved = resolveOrError(context, `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`);
  if (isResponse(rgResolved)) return rgResolved;
  const requestedScope = `${rgResolved.scope}/providers/Microsoft.MachineLearningServices/workspaces/${name}`;
  const denied = denyUnlessAuthorized(context, WORKSPACE_READ, requestedScope);
  if (denied) return denied;
  const workspace = context.tenant.workspaces.get(requestedScope.toLowerCase());
  if (!workspace) {
    return armError(context, 404, "ResourceNotFound", ARM_MESSAGES.resourceNotFound("Microsoft.MachineLearningServices/workspaces", name, resourceGroup));
  }
  return armJson(context, 200, renderWorkspace(workspace, context.tenant.tenantId));
}
