/**
 * Azure Resource Manager emulation: subscriptions, resource groups, AML workspaces and their linked resources (storage
 * accounts, key vaults, container registries, Application Insights) and AML registries, role assignments and role
 * definitions, PIM schedule instances and deny assignments (read-only), user-assigned identities' federated credentials
 * (read-only), the provider-operations catalogue (read-only), each call authorized from the caller's role assignments
 * as ARM does. Paths are case-insensitive.
 */
import type { SandboxHandler, SandboxRequest, SandboxResponse, SandboxSettings } from "../contract";
import { subscriptionOfScope } from "../tenant/arm-ids";
import type { Tenant } from "../tenant/tenant";
import type { ArmContext } from "./context";
import { mfaChallenge } from "./mfa-challenge";
import { listProvidersAtTenant, listResources, RESOURCES_API_VERSIONS } from "./generic-resources";
import { listUserAssignedIdentityFederatedCredentials, MANAGED_IDENTITY_API_VERSIONS } from "./managed-identities";
import { getLinkedResource, LINKED_RESOURCE_API_VERSIONS, linkedResourceTypeName } from "./linked-resources";
import { listPermissions } from "./permissions";
import { getProviderOperations, listProviderOperations, PROVIDER_OPERATIONS_API_VERSIONS } from "./provider-operations";
import { listDenyAssignments, listRoleAssignmentScheduleInstances, listRoleEligibilityScheduleInstances } from "./pim";
import { ArmRateLimitCounter } from "./rate-limit";
import { getResourceGroup, getSubscription, getWorkspace, listResourceGroups, listSubscriptions, listWorkspaces } from "./resources";
import { RESOURCE_GRAPH_API_VERSIONS, queryResourceGraph } from "./resource-graph";
import { ResourceGraphQuota } from "./resource-graph-quota";
import { ARM_MESSAGES, armError, armOperationType } from "./responses";
import {
  deleteRoleAssignment,
  getRoleAssignment,
  getRoleAssignmentsUsageMetrics,
  listRoleAssignments,
  putRoleAssignment,
  USAGE_METRICS_API_VERSIONS,
} from "./role-assignments";
import { getRoleDefinition, listRoleDefinitions } from "./role-definitions";
import { linkedResourceKindOf } from "./scopes";

const AUTHORIZATION_PROVIDER = "/providers/microsoft.authorization/";
const RESOURCE_GRAPH_PATH = "/providers/microsoft.resourcegraph/resources";

export function createArmHandler(tenant: Tenant, settings: SandboxSettings): SandboxHandler {
  const rateLimits = new ArmRateLimitCounter();
  const resourceGraphQuota = new ResourceGraphQuota();
  return (request: SandboxRequest): SandboxResponse => {
    const path = `/${request.path.replace(/^\/+/, "").replace(/\/+$/, "")}`;
    const operation = armOperationType(request.method);
    const context: ArmContext = {
      request,
      tenant,
      settings,
      rateLimitHeaders: rateLimits.headers(request.caller.objectId, subscriptionOfScope(path), operation, request.now),
    };
    if (!request.query.get("api-version")) return armError(context, 400, "MissingApiVersionParameter", ARM_MESSAGES.missingApiVersion);
    // Checked at ARM's front door, before the resource provider and its RBAC check.
    const challenge = mfaChallenge(context, request.method.toUpperCase());
    if (challenge) return challenge;
    const method = request.method.toUpperCase();
    // Every query Resource Graph receives is charged to its user's quota, a refused one too.
    if (method === "POST" && path.toLowerCase() === RESOURCE_GRAPH_PATH) return resourceGraphQuota.admit(context, () => route(context, method, path));
    return route(context, method, path);
  };
}

function methodNotAllowed(context: ArmContext, method: string): SandboxResponse {
  return armError(context, 405, "MethodNotAllowed", `The requested method '${method}' is not allowed for this resource.`);
}

function route(context: ArmContext, method: string, path: string): SandboxResponse {
  const lower = path.toLowerCase();
  if (lower === RESOURCE_GRAPH_PATH) {
    if (method !== "POST") return methodNotAllowed(context, method);
    const unsupported = unsupportedApiVersion(context, "resources", RESOURCE_GRAPH_API_VERSIONS);
    return unsupported ?? queryResourceGraph(context);
  }
  if (lower === "/providers") {
    if (method !== "GET") return methodNotAllowed(context, method);
    return unsupportedApiVersion(context, "providers", RESOURCES_API_VERSIONS) ?? listProvidersAtTenant(context, RESOURCE_GRAPH_API_VERSIONS);
  }
  const authorizationAt = lower.lastIndexOf(AUTHORIZATION_PROVIDER);
  if (authorizationAt >= 0) {
    const scope = path.slice(0, authorizationAt);
    const [collection, name, ...rest] = path.slice(authorizationAt + AUTHORIZATION_PROVIDER.length).split("/");
    if (rest.length === 0 && collection?.toLowerCase() === "roleassignments") {
      if (name === undefined) return method === "GET" ? listRoleAssignments(context, scope) : methodNotAllowed(context, method);
      if (method === "GET") return getRoleAssignment(context, scope, name);
      if (method === "PUT") return putRoleAssignment(context, scope, name);
      if (method === "DELETE") return deleteRoleAssignment(context, scope, name);
      return methodNotAllowed(context, method);
    }
    if (rest.length === 0 && name === undefined && collection?.toLowerCase() === "roleassignmentsusagemetrics") {
      if (method !== "GET") return methodNotAllowed(context, method);
      return unsupportedApiVersion(context, "roleAssignmentsUsageMetrics", USAGE_METRICS_API_VERSIONS) ?? getRoleAssignmentsUsageMetrics(context, scope);
    }
    if (rest.length === 0 && collection?.toLowerCase() === "roledefinitions") {
      if (method !== "GET") return methodNotAllowed(context, method);
      return name === undefined ? listRoleDefinitions(context, scope) : getRoleDefinition(context, scope, name);
    }
    if (rest.length === 0 && scope === "" && collection?.toLowerCase() === "provideroperations") {
      if (method !== "GET") return methodNotAllowed(context, method);
      return (
        unsupportedApiVersion(context, "providerOperations", PROVIDER_OPERATIONS_API_VERSIONS) ??
        (name === undefined ? listProviderOperations(context) : getProviderOperations(context, name))
      );
    }
    const readOnlyLists: Record<string, (context: ArmContext, scope: string) => SandboxResponse> = {
      roleeligibilityscheduleinstances: listRoleEligibilityScheduleInstances,
      roleassignmentscheduleinstances: listRoleAssignmentScheduleInstances,
      denyassignments: listDenyAssignments,
    };
    const readOnlyList = collection ? readOnlyLists[collection.toLowerCase()] : undefined;
    if (rest.length === 0 && name === undefined && readOnlyList) {
      return method === "GET" ? readOnlyList(context, scope) : methodNotAllowed(context, method);
    }
    if (rest.length === 0 && name === undefined && collection?.toLowerCase() === "permissions") {
      return method === "GET" ? listPermissions(context, scope) : methodNotAllowed(context, method);
    }
    return notServed(context, path);
  }

  const segments = path.split("/").slice(1);
  const [subscriptionsWord, subscriptionId, second, third, fourth, fifth, sixth, seventh, ...rest] = segments;
  if (
    subscriptionsWord?.toLowerCase() === "subscriptions" &&
    subscriptionId !== undefined &&
    third !== undefined &&
    seventh !== undefined &&
    [second, fourth, fifth, sixth, ...rest].map((segment) => segment?.toLowerCase()).join("/") ===
      "resourcegroups/providers/microsoft.managedidentity/userassignedidentities/federatedidentitycredentials"
  ) {
    if (method !== "GET") return methodNotAllowed(context, method);
    return (
      unsupportedApiVersion(context, "userAssignedIdentities/federatedIdentityCredentials", MANAGED_IDENTITY_API_VERSIONS) ??
      listUserAssignedIdentityFederatedCredentials(context, subscriptionId, third, seventh)
    );
  }
  if (subscriptionsWord?.toLowerCase() !== "subscriptions" || rest.length > 0) return notServed(context, path);
  if (method !== "GET") return methodNotAllowed(context, method);
  if (subscriptionId === undefined) return listSubscriptions(context);
  if (second === undefined) return getSubscription(context, subscriptionId);
  const isWorkspaces = (ns?: string, type?: string) => ns?.toLowerCase() === "microsoft.machinelearningservices" && type?.toLowerCase() === "workspaces";
  if (second.toLowerCase() === "resourcegroups") {
    if (third === undefined) return listResourceGroups(context, subscriptionId);
    if (fourth === undefined) return getResourceGroup(context, subscriptionId, third);
    if (fourth.toLowerCase() === "resources" && fifth === undefined) {
      return unsupportedApiVersion(context, "resources", RESOURCES_API_VERSIONS) ?? listResources(context, subscriptionId, third);
    }
    if (fourth.toLowerCase() === "providers" && isWorkspaces(fifth, sixth)) {
      return seventh === undefined ? listWorkspaces(context, subscriptionId, third) : getWorkspace(context, subscriptionId, third, seventh);
    }
    const linkedKind =
      fourth.toLowerCase() === "providers" && fifth !== undefined && sixth !== undefined ? linkedResourceKindOf(`${fifth}/${sixth}`) : undefined;
    if (linkedKind && seventh !== undefined) {
      return (
        unsupportedApiVersion(context, linkedResourceTypeName(linkedKind), LINKED_RESOURCE_API_VERSIONS[linkedKind]) ??
        getLinkedResource(context, linkedKind, subscriptionId, third, seventh)
      );
    }
  }
  if (second.toLowerCase() === "resources" && third === undefined) {
    return unsupportedApiVersion(context, "resources", RESOURCES_API_VERSIONS) ?? listResources(context, subscriptionId);
  }
  if (second.toLowerCase() === "providers" && isWorkspaces(third, fourth) && fifth === undefined) {
    return listWorkspaces(context, subscriptionId);
  }
  return notServed(context, path);
}

/**
 * ARM refuses an api-version the resource provider does not register with 400 NoRegisteredProviderFound, naming the
 * versions it has (message as quoted in Azure/azure-cli#28496 and Azure/azure-sdk-for-js#4097).
 */
export function unsupportedApiVersion(context: ArmContext, type: string, supported: readonly string[], location = "global"): SandboxResponse | undefined {
  const version = context.request.query.get("api-version") ?? "";
  if (supported.includes(version)) return undefined;
  return armError(
    context,
    400,
    "NoRegisteredProviderFound",
    `No registered resource provider found for location '${location}' and API version '${version}' for type '${type}'. The supported api-versions are '${supported.join(", ")}'. The supported locations are ''.`,
  );
}

function notServed(context: ArmContext, path: string): SandboxResponse {
  return armError(context, 404, "NotFound", `The resource path '${path}' is not emulated by the Gatehouse sandbox (see sandbox/README.md for what is).`);
}
