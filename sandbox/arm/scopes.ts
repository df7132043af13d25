/**
 * Resolves ARM scopes in a request path to resources that exist in the tenant, in canonical casing.
 * ARM compares ids case-insensitively but answers with the resource's own casing; so do we.
 */
import { linkedResourceArmId, managementGroupOfScope, resourceGroupArmId, subscriptionArmId, WORKSPACE_PROVIDER, workspaceArmId } from "../tenant/arm-ids";
import { LINKED_RESOURCE_TYPES, type LinkedResourceKind } from "../tenant/model";
import type { Tenant } from "../tenant/tenant";
import { ARM_MESSAGES } from "./responses";

export interface ResolvedScope {
  /** `resource`: a workspace's storage account, key vault, container registry, Application Insights, or an AML registry. */
  readonly kind: "root" | "subscription" | "resourceGroup" | "workspace" | "resource";
  /** Canonical scope: `/`, `/subscriptions/{id}`, …; what assignments store and messages print. */
  readonly scope: string;
  readonly subscriptionId?: string;
}

export interface ScopeError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Parses `''`, `/subscriptions/{s}`, `…/resourceGroups/{rg}`, `…/providers/Microsoft.MachineLearningServices/workspaces/{w}`
 * or `…/providers/{namespace}/{type}/{name}` of a linked resource the tenant has (LINKED_RESOURCE_TYPES).
 */
export function resolveScope(tenant: Tenant, rawScope: string): ResolvedScope | ScopeError {
  const trimmed = rawScope.replace(/\/+$/, "");
  if (trimmed === "") return { kind: "root", scope: "/" };
  const segments = trimmed.split("/").slice(1);
  const [subscriptionsWord, subscriptionId, rgWord, rgName, providersWord, namespace, type, name, ...rest] = segments;
  if (subscriptionsWord?.toLowerCase() !== "subscriptions" || !subscriptionId) return invalidScope(rawScope);
  const subscription = tenant.subscriptions.get(subscriptionId.toLowerCase());
  if (!subscription) {
    return { status: 404, code: "SubscriptionNotFound", message: ARM_MESSAGES.subscriptionNotFound(subscriptionId) };
  }
  const canonicalSubscription = subscription.subscriptionId;
  if (rgWord === undefined) {
    return { kind: "subscription", scope: subscriptionArmId(canonicalSubscription), subscriptionId: canonicalSubscription };
  }
  if (rgWord.toLowerCase() !== "resourcegroups" || !rgName) return invalidScope(rawScope);
  const resourceGroup = tenant.resourceGroups.get(resourceGroupArmId(canonicalSubscription, rgName).toLowerCase());
  if (!resourceGroup) {
    return { status: 404, code: "ResourceGroupNotFound", message: ARM_MESSAGES.resourceGroupNotFound(rgName) };
  }
  if (providersWord === undefined) {
    return {
      kind: "resourceGroup",
      scope: resourceGroupArmId(canonicalSubscription, resourceGroup.name),
      subscriptionId: canonicalSubscription,
    };
  }
  if (providersWord.toLowerCase() !== "providers" || !namespace || !type || !name || rest.length > 0) {
    return invalidScope(rawScope);
  }
  const linkedKind = linkedResourceKindOf(`${namespace}/${type}`);
  if (linkedKind) {
    const resource = tenant.linkedResources.get(linkedResourceArmId(linkedKind, canonicalSubscription, resourceGroup.name, name).toLowerCase());
    if (resource) {
      return {
        kind: "resource",
        scope: linkedResourceArmId(linkedKind, canonicalSubscription, resourceGroup.name, resource.name),
        subscriptionId: canonicalSubscription,
      };
    }
  }
  const workspace =
    `${namespace}/${type}`.toLowerCase() === WORKSPACE_PROVIDER.toLowerCase()
      ? tenant.workspaces.get(workspaceArmId(canonicalSubscription, resourceGroup.name, name).toLowerCase())
      : undefined;
  if (!workspace) {
    return {
      status: 404,
      code: "ResourceNotFound",
      message: ARM_MESSAGES.resourceNotFound(`${namespace}/${type}`, name, resourceGroup.name),
    };
  }
  return {
    kind: "workspace",
    scope: workspaceArmId(canonicalSubscription, resourceGroup.name, workspace.name),
    subscriptionId: canonicalSubscription,
  };
}

function invalidScope(rawScope: string): ScopeError {
  return {
    status: 400,
    code: "InvalidScope",
    message: `The scope '${rawScope}' is not valid in the Gatehouse sandbox (root, subscription, resource group, AML workspace or one of its linked resources).`,
  };
}

/** Which linked-resource kind a `{namespace}/{type}` names (ARM compares them ignoring case), if any. */
export function linkedResourceKindOf(providerType: string): LinkedResourceKind | undefined {
  const wanted = providerType.toLowerCase();
  return (Object.keys(LINKED_RESOURCE_TYPES) as LinkedResourceKind[]).find((kind) => LINKED_RESOURCE_TYPES[kind].toLowerCase() === wanted);
}

export function isScopeError(value: ResolvedScope | ScopeError): value is ScopeError {
  return "code" in value;
}

/**
 * Whether `ancestor` is `scope` itself or one of its parents: the tenant root `/` is everyone's parent, and a
 * management group is the parent of what the tenant's hierarchy puts under it (its id alone does not say).
 */
export function scopeCovers(tenant: Tenant, ancestor: string, scope: string): boolean {
  const a = ancestor.toLowerCase().replace(/\/+$/, "") || "/";
  const s = scope.toLowerCase().replace(/\/+$/, "") || "/";
  if (a === "/" || a === s || s.startsWith(`${a}/`)) return true;
  const group = managementGroupOfScope(a);
  return group !== undefined && tenant.managementGroupsAbove(s).includes(group);
}
