/** `Microsoft.Authorization/roleAssignments` at api-version 2022-04-01: list, get, create (PUT) and delete. */
import type { SandboxResponse } from "../contract";
import { armTimestamp, subscriptionOfScope } from "../tenant/arm-ids";
import type { RoleAssignmentPrincipalType, RoleAssignmentRecord } from "../tenant/model";
import { isGuid } from "../tenant/prng";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { armPage } from "./paging";
import { renderRoleAssignment, roleAssignmentId } from "./render";
import { ARM_MESSAGES, armEmpty, armError, armJson } from "./responses";
import { isScopeError, type ResolvedScope, resolveScope, scopeCovers } from "./scopes";

const READ = "Microsoft.Authorization/roleAssignments/read";
const WRITE = "Microsoft.Authorization/roleAssignments/write";
const DELETE = "Microsoft.Authorization/roleAssignments/delete";
const PRINCIPAL_TYPES: readonly RoleAssignmentPrincipalType[] = ["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"];

type AssignmentFilter =
  { kind: "all" } | { kind: "atScope" } | { kind: "principalId"; principalId: string } | { kind: "assignedTo"; principalId: string; atScope: boolean };

/** The documented `$filter` forms; quotes around ids are optional, as clients differ. */
function parseFilter(filter: string | null): AssignmentFilter | undefined {
  if (filter === null || filter.trim() === "") return { kind: "all" };
  const text = filter.trim();
  if (/^atScope\(\)$/i.test(text)) return { kind: "atScope" };
  const principal = /^principalId\s+eq\s+'?([0-9a-f-]{36})'?$/i.exec(text);
  if (principal?.[1]) return { kind: "principalId", principalId: principal[1] };
  const assigned = /^(atScope\(\)\s+and\s+)?assignedTo\('?([0-9a-f-]{36})'?\)$/i.exec(text);
  if (assigned?.[2]) return { kind: "assignedTo", principalId: assigned[2], atScope: Boolean(assigned[1]) };
  return undefined;
}

function resolve(context: ArmContext, scope: string): ResolvedScope | SandboxResponse {
  const resolved = resolveScope(context.tenant, scope);
  return isScopeError(resolved) ? armError(context, resolved.status, resolved.code, resolved.message) : resolved;
}

function isResponse(value: ResolvedScope | SandboxResponse): value is SandboxResponse {
  return "status" in value;
}

export function listRoleAssignments(context: ArmContext, rawScope: string): SandboxResponse {
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  const denied = denyUnlessAuthorized(context, READ, resolved.scope);
  if (denied) return denied;
  const filter = parseFilter(context.request.query.get("$filter"));
  if (!filter) {
    return armError(
      context,
      400,
      "InvalidFilterInQueryString",
      `The filter '${context.request.query.get("$filter") ?? ""}' is not supported. Supported filters are atScope(), principalId eq '{id}', assignedTo('{id}') and atScope() and assignedTo('{id}').`,
    );
  }
  const { tenant } = context;
  const scope = resolved.scope;
  const aboveOrAt = (a: RoleAssignmentRecord) => scopeCovers(tenant, a.scope, scope);
  const related = (a: RoleAssignmentRecord) => aboveOrAt(a) || scopeCovers(tenant, scope, a.scope);
  let matches: RoleAssignmentRecord[];
  switch (filter.kind) {
    case "all":
      matches = [...tenant.roleAssignments.values()].filter(related);
      break;
    case "atScope":
      matches = [...tenant.roleAssignments.values()].filter(aboveOrAt);
      break;
    case "principalId":
      matches = tenant.roleAssignmentsOfPrincipal(filter.principalId).filter(related);
      break;
    case "assignedTo": {
      // "This filter only accepts an object ID for a user or a service principal. You cannot pass an object ID for a
      // group." (role-assignments-list-rest.md, conformance/fixtures/arm-authorization/docs/). The documented refusal is
      // emulated as a 400; ARM's exact code and message for it are unverified.
      if (tenant.getDirectoryObject(filter.principalId)?.kind === "group") {
        return armError(
          context,
          400,
          "InvalidFilterInQueryString",
          `The filter '${context.request.query.get("$filter") ?? ""}' is not supported: assignedTo() accepts the object id of a user or a service principal, not of a group. Use principalId eq '{id}' for a group's own assignments.`,
        );
      }
      // Transitive through (nested) group membership, as ARM does for assignedTo().
      const principals = [filter.principalId, ...tenant.transitiveGroupIds(filter.principalId)];
      matches = principals.flatMap((id) => tenant.roleAssignmentsOfPrincipal(id)).filter(filter.atScope ? aboveOrAt : related);
      break;
    }
  }
  const page = armPage(context.request, matches);
  if (!page) return armError(context, 400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(context, 200, {
    value: page.value.map((a) => renderRoleAssignment(a, { contextSubscriptionId: resolved.subscriptionId })),
    ...(page.nextLink ? { nextLink: page.nextLink } : {}),
  });
}

export function getRoleAssignment(context: ArmContext, rawScope: string, name: string): SandboxResponse {
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  const denied = denyUnlessAuthorized(context, READ, resolved.scope, roleAssignmentId(resolved.scope, name));
  if (denied) return denied;
  if (!isGuid(name)) return armError(context, 400, "InvalidRoleAssignmentId", ARM_MESSAGES.invalidRoleAssignmentId(name));
  const assignment = context.tenant.roleAssignments.get(name.toLowerCase());
  if (!assignment || assignment.scope.toLowerCase() !== resolved.scope.toLowerCase()) {
    return armError(context, 404, "RoleAssignmentNotFound", ARM_MESSAGES.roleAssignmentNotFound(name));
  }
  return armJson(context, 200, renderRoleAssignment(assignment));
}

interface CreateBody {
  roleDefinitionId: string;
  principalId: string;
  principalType?: string;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
  delegatedManagedIdentityResourceId?: string | null;
}

function readCreateBody(body: unknown): CreateBody | string {
  if (typeof body !== "object" || body === null) return "The request content was invalid and could not be deserialized.";
  const properties = (body as { properties?: unknown }).properties;
  if (typeof properties !== "object" || properties === null) {
    return "The request content was invalid and could not be deserialized: 'properties' is required.";
  }
  const p = properties as Record<string, unknown>;
  if (typeof p.roleDefinitionId !== "string") return "The request content was invalid: 'roleDefinitionId' is required.";
  if (typeof p.principalId !== "string") return "The request content was invalid: 'principalId' is required.";
  const optionalString = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    roleDefinitionId: p.roleDefinitionId,
    principalId: p.principalId,
    principalType: typeof p.principalType === "string" ? p.principalType : undefined,
    description: optionalString(p.description),
    condition: optionalString(p.condition),
    conditionVersion: optionalString(p.conditionVersion),
    delegatedManagedIdentityResourceId: optionalString(p.delegatedManagedIdentityResourceId),
  };
}

/** Accepts `/providers/…/roleDefinitions/{g}` and `/subscriptions/{s}/providers/…/roleDefinitions/{g}` (any case). */
function roleDefinitionGuid(id: string): string | undefined {
  const match = /^(?:\/subscriptions\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(id.trim());
  return match?.[1]?.toLowerCase();
}

function directoryPrincipalType(context: ArmContext, principalId: string): RoleAssignmentPrincipalType | undefined {
  // ARM's lookup reads the directory too, so a principal created moments ago may not be found yet (PrincipalNotFound:
  // "this error might be related to a replication delay", learn.microsoft.com/azure/role-based-access-control/troubleshooting).
  const object = context.tenant.replicatedDirectoryObject(principalId, context.request.now);
  if (!object) return undefined;
  if (object.kind === "user") return "User";
  if (object.kind === "group") return "Group";
  if (object.kind === "servicePrincipal") return "ServicePrincipal";
  return undefined; // Application objects cannot hold roles; their service principals do.
}

export function putRoleAssignment(context: ArmContext, rawScope: string, name: string): SandboxResponse {
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  const { tenant, request, settings } = context;
  const denied = denyUnlessAuthorized(context, WRITE, resolved.scope, roleAssignmentId(resolved.scope, name));
  if (denied) return denied;
  if (!isGuid(name)) return armError(context, 400, "InvalidRoleAssignmentId", ARM_MESSAGES.invalidRoleAssignmentId(name));
  const body = readCreateBody(request.body);
  if (typeof body === "string") return armError(context, 400, "InvalidRequestContent", body);
  if (!isGuid(body.principalId)) return armError(context, 400, "InvalidPrincipalId", ARM_MESSAGES.invalidPrincipalId(body.principalId));
  const roleGuid = roleDefinitionGuid(body.roleDefinitionId);
  // A custom role exists for ARM only at and below its assignable scopes; it answers as for an unknown role. (The
  // refusal for an unknown id is documented; that a role outside its assignable scopes gets the same is unverified.)
  const definition = roleGuid ? tenant.roleDefinitions.get(roleGuid) : undefined;
  if (!definition || !definition.assignableScopes.some((assignable) => scopeCovers(tenant, assignable, resolved.scope))) {
    return armError(context, 400, "RoleDefinitionDoesNotExist", ARM_MESSAGES.roleDefinitionDoesNotExist(roleGuid ?? body.roleDefinitionId));
  }
  if (body.principalType !== undefined && !PRINCIPAL_TYPES.some((t) => t.toLowerCase() === body.principalType?.toLowerCase())) {
    return armError(context, 400, "InvalidPrincipalType", `The principal type '${body.principalType}' is not valid.`);
  }
  const principalId = body.principalId.toLowerCase();
  const nowStamp = armTimestamp(request.now);

  const existing = tenant.roleAssignments.get(name.toLowerCase());
  if (existing) {
    const sameTarget =
      existing.scope.toLowerCase() === resolved.scope.toLowerCase() &&
      existing.principalId.toLowerCase() === principalId &&
      existing.roleDefinitionName === definition.name;
    if (!sameTarget) {
      return armError(context, 400, "RoleAssignmentUpdateNotPermitted", ARM_MESSAGES.roleAssignmentUpdateNotPermitted);
    }
    // Idempotent PUT: description and condition may change; the assignment keeps its identity. ARM answers such a
    // re-PUT with 201 Created, exactly like a creation, so a client cannot learn from the status whether the
    // assignment existed before (the 2022-04-01 spec defines only 201 for RoleAssignments_Create, see
    // Azure/azure-rest-api-specs#5226; re-running a create with the same name succeeds again, Azure/azure-cli#23770).
    // Clients that must know read the assignment first.
    existing.description = body.description ?? null;
    existing.condition = body.condition ?? null;
    existing.conditionVersion = body.conditionVersion ?? (body.condition ? "2.0" : null);
    existing.updatedOn = nowStamp;
    existing.updatedBy = request.caller.objectId;
    return armJson(context, 201, renderRoleAssignment(existing, { asCreateResponse: true }));
  }

  const duplicate = tenant
    .roleAssignmentsOfPrincipal(principalId)
    .find((a) => a.scope.toLowerCase() === resolved.scope.toLowerCase() && a.roleDefinitionName === definition.name);
  if (duplicate) return armError(context, 409, "RoleAssignmentExists", ARM_MESSAGES.roleAssignmentExists(duplicate.name));

  const knownType = directoryPrincipalType(context, principalId);
  if (!knownType && body.principalType === undefined) {
    return armError(context, 400, "PrincipalNotFound", ARM_MESSAGES.principalNotFound(principalId, tenant.tenantId));
  }
  const subscriptionId = subscriptionOfScope(resolved.scope);
  if (subscriptionId && tenant.countRoleAssignmentsInSubscription(subscriptionId) >= settings.roleAssignmentLimitPerSubscription) {
    return armError(context, 400, "RoleAssignmentLimitExceeded", ARM_MESSAGES.roleAssignmentLimitExceeded);
  }
  const principalType = PRINCIPAL_TYPES.find((t) => t.toLowerCase() === body.principalType?.toLowerCase()) ?? knownType ?? "User";
  const created: RoleAssignmentRecord = {
    name: name.toLowerCase(),
    scope: resolved.scope,
    roleDefinitionName: definition.name,
    principalId,
    principalType,
    description: body.description ?? null,
    condition: body.condition ?? null,
    conditionVersion: body.conditionVersion ?? (body.condition ? "2.0" : null),
    delegatedManagedIdentityResourceId: body.delegatedManagedIdentityResourceId ?? null,
    createdOn: nowStamp,
    updatedOn: nowStamp,
    createdBy: request.caller.objectId,
    updatedBy: request.caller.objectId,
  };
  tenant.putRoleAssignment(created);
  return armJson(context, 201, renderRoleAssignment(created, { asCreateResponse: true }));
}

export function deleteRoleAssignment(context: ArmContext, rawScope: string, name: string): SandboxResponse {
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  const denied = denyUnlessAuthorized(context, DELETE, resolved.scope, roleAssignmentId(resolved.scope, name));
  if (denied) return denied;
  if (!isGuid(name)) return armError(context, 400, "InvalidRoleAssignmentId", ARM_MESSAGES.invalidRoleAssignmentId(name));
  const existing = context.tenant.roleAssignments.get(name.toLowerCase());
  if (!existing || existing.scope.toLowerCase() !== resolved.scope.toLowerCase()) return armEmpty(context, 204);
  // Whether ARM refuses a plain DELETE of the role assignment behind an active PIM assignment is not documented; PIM
  // removes its assignments only through a schedule request (`AdminRemove`, or `SelfDeactivate` for an activation),
  // and "the PIM ARM API doesn't support DELETE requests" (Azure/bicep-registry-modules, utilities/pipelines/
  // e2eValidation/resourceRemoval/helper/Invoke-ResourceRemoval.ps1). The sandbox takes the stricter answer and
  // refuses, so a client never leaves PIM's schedule pointing at an assignment that is gone. The code is the
  // sandbox's own: clients must not rely on it.
  const schedule = context.tenant.pimScheduleOfRoleAssignment(existing.name);
  if (schedule) {
    return armError(
      context,
      400,
      "RoleAssignmentManagedByPim",
      `The role assignment '${existing.name}' is managed by Privileged Identity Management (role assignment schedule '${schedule.scheduleName}'). Remove it with a role assignment schedule request.`,
    );
  }
  context.tenant.removeRoleAssignment(existing.name);
  return armJson(context, 200, renderRoleAssignment(existing));
}

/**
 * `GET /subscriptions/{id}/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics`: the subscription's count
 * against its role-assignment limit, as ARM enforces it (every assignment in the subscription, also those the caller
 * cannot read), in one call instead of the whole list. Source: azure-rest-api-specs, Microsoft.Authorization
 * preview/2019-08-01-preview/authorization-RoleAssignmentUsageMetricsCalls.json and its example
 * (conformance/fixtures/arm-authorization/GetRoleAssignmentUsageMetrics.json); only that api-version is served. Which
 * permission ARM asks for is not documented: the sandbox asks for role-assignment read at the subscription, the
 * stricter reading (a count of everything assigned there).
 */
export const USAGE_METRICS_API_VERSIONS = ["2019-08-01-preview"] as const;

export function getRoleAssignmentsUsageMetrics(context: ArmContext, rawScope: string): SandboxResponse {
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  if (resolved.kind !== "subscription" || !resolved.subscriptionId) {
    return armError(context, 404, "NotFound", `The resource path '${rawScope}/providers/Microsoft.Authorization/roleAssignmentsUsageMetrics' is not served.`);
  }
  const denied = denyUnlessAuthorized(context, READ, resolved.scope);
  if (denied) return denied;
  const limit = context.settings.roleAssignmentLimitPerSubscription;
  const count = context.tenant.countRoleAssignmentsInSubscription(resolved.subscriptionId);
  return armJson(context, 200, {
    subscriptionId: resolved.subscriptionId,
    roleAssignmentsLimit: limit,
    roleAssignmentsCurrentCount: count,
    roleAssignmentsRemainingCount: Math.max(0, limit - count),
  });
}
