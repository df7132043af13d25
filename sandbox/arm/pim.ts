/**
 * What else decides access besides role assignments, read-only: PIM eligibilities (`roleEligibilityScheduleInstances`),
 * active PIM assignments (`roleAssignmentScheduleInstances`), both at api-version 2020-10-01, and deny assignments
 * (`denyAssignments`, 2022-04-01). Shapes follow the REST-spec examples in conformance/fixtures/arm-authorization/
 * (GetRoleEligibilityScheduleInstancesByScope, GetRoleAssignmentScheduleInstancesByScope, GetDenyAssignmentByScope).
 */
import type { SandboxResponse } from "../contract";
import type { DenyAssignmentRecord, RoleAssignmentScheduleRecord, RoleEligibilityRecord } from "../tenant/model";
import type { Tenant } from "../tenant/tenant";
import { callerPrincipalIds } from "./authorize";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { armPage } from "./paging";
import { roleAssignmentId, roleDefinitionId } from "./render";
import { armError, armJson } from "./responses";
import { isScopeError, type ResolvedScope, resolveScope, scopeCovers } from "./scopes";

/** The api-versions the Authorization RP publishes for these types (azure-rest-api-specs, Microsoft.Authorization). */
export const PIM_API_VERSIONS = ["2020-10-01-preview", "2020-10-01", "2022-04-01-preview", "2024-02-01-preview", "2024-09-01-preview"] as const;
export const DENY_API_VERSIONS = ["2018-07-01-preview", "2022-04-01", "2024-07-01-preview"] as const;

/**
 * ARM's answer to an api-version a resource type does not have: 400 NoRegisteredProviderFound naming the supported
 * versions (MicrosoftDocs azure-docs, "Troubleshoot common Azure deployment errors": "No registered resource provider
 * found for location '<location>' and API version '<api-version>' for type '<resource-type>'").
 */
function unsupportedApiVersion(context: ArmContext, type: string, supported: readonly string[]): SandboxResponse | undefined {
  const version = context.request.query.get("api-version") ?? "";
  if (supported.includes(version)) return undefined;
  return armError(
    context,
    400,
    "NoRegisteredProviderFound",
    `No registered resource provider found for location 'global' and API version '${version}' for type '${type}'. The supported api-versions are '${supported.join(", ")}'.`,
  );
}

type InstanceFilter =
  { kind: "all" } | { kind: "atScope" } | { kind: "principalId"; principalId: string } | { kind: "assignedTo"; principalId: string } | { kind: "asTarget" };

/**
 * The documented `$filter` forms of the schedule-instance lists (RoleEligibilityScheduleInstance.json):
 * `atScope()`, `principalId eq {id}`, `assignedTo('{userId}')` and `asTarget()`; anything else is refused.
 */
function parseInstanceFilter(filter: string | null): InstanceFilter | undefined {
  if (filter === null || filter.trim() === "") return { kind: "all" };
  const text = filter.trim();
  if (/^atScope\(\)$/i.test(text)) return { kind: "atScope" };
  if (/^asTarget\(\)$/i.test(text)) return { kind: "asTarget" };
  const principal = /^principalId\s+eq\s+'?([0-9a-f-]{36})'?$/i.exec(text);
  if (principal?.[1]) return { kind: "principalId", principalId: principal[1].toLowerCase() };
  const assigned = /^assignedTo\('?([0-9a-f-]{36})'?\)$/i.exec(text);
  if (assigned?.[1]) return { kind: "assignedTo", principalId: assigned[1].toLowerCase() };
  return undefined;
}

function badFilter(context: ArmContext, supported: string): SandboxResponse {
  // The code is the role-assignment list's (see role-assignments.ts); the PIM lists' own code is not documented.
  return armError(
    context,
    400,
    "InvalidFilterInQueryString",
    `The filter '${context.request.query.get("$filter") ?? ""}' is not supported. Supported filters are ${supported}.`,
  );
}

function resolve(context: ArmContext, rawScope: string): ResolvedScope | SandboxResponse {
  const resolved = resolveScope(context.tenant, rawScope);
  return isScopeError(resolved) ? armError(context, resolved.status, resolved.code, resolved.message) : resolved;
}

function isResponse(value: ResolvedScope | SandboxResponse): value is SandboxResponse {
  return "status" in value;
}

interface PimRecord {
  readonly scope: string;
  readonly principalId: string;
}

/** Records of one kind that a filter selects at a scope, each with its `memberType` as PIM reports it. */
function select<T extends PimRecord>(context: ArmContext, records: Iterable<T>, scope: string, filter: InstanceFilter): { record: T; memberType: string }[] {
  const { tenant } = context;
  const aboveOrAt = (record: T) => scopeCovers(tenant, record.scope, scope);
  const related = (record: T) => aboveOrAt(record) || scopeCovers(tenant, scope, record.scope);
  const all = [...records];
  let chosen: T[];
  let through = new Set<string>();
  switch (filter.kind) {
    case "all":
      chosen = all.filter(related);
      break;
    case "atScope":
      chosen = all.filter(aboveOrAt);
      break;
    case "principalId":
      chosen = all.filter((record) => record.principalId.toLowerCase() === filter.principalId && related(record));
      break;
    case "assignedTo":
    case "asTarget": {
      // Transitive through group membership, like the role-assignment list's assignedTo().
      const principals =
        filter.kind === "asTarget"
          ? callerPrincipalIds(tenant, context.request.caller)
          : [filter.principalId, ...tenant.transitiveGroupIds(filter.principalId)];
      through = new Set(principals.slice(1));
      chosen = all.filter((record) => principals.includes(record.principalId.toLowerCase()) && related(record));
      break;
    }
  }
  return chosen.map((record) => ({
    record,
    memberType: through.has(record.principalId.toLowerCase())
      ? "Group"
      : record.scope.toLowerCase() !== scope.toLowerCase() && aboveOrAt(record)
        ? "Inherited"
        : "Direct",
  }));
}

function scopeType(scope: string): string {
  if (scope === "/") return "root";
  if (/\/providers\/[^/]+\/[^/]+\/[^/]+$/i.test(scope)) return "resource";
  if (/\/resourceGroups\/[^/]+$/i.test(scope)) return "resourcegroup";
  return "subscription";
}

function expandedProperties(tenant: Tenant, record: { scope: string; roleDefinitionName: string; principalId: string; principalType: string }, roleId: string) {
  const definition = tenant.roleDefinitions.get(record.roleDefinitionName.toLowerCase());
  const principal = tenant.getDirectoryObject(record.principalId);
  const email = principal?.kind === "user" ? principal.mail : null;
  return {
    scope: { id: record.scope, displayName: record.scope.split("/").pop() || "Tenant Root Group", type: scopeType(record.scope) },
    roleDefinition: { id: roleId, displayName: definition?.roleName ?? record.roleDefinitionName, type: definition?.type ?? "BuiltInRole" },
    principal: {
      id: record.principalId,
      displayName: principal && "displayName" in principal ? principal.displayName : null,
      email,
      type: record.principalType,
    },
  };
}

const PROVIDER = "providers/Microsoft.Authorization";

function childId(scope: string, type: string, name: string): string {
  return scope === "/" ? `/${PROVIDER}/${type}/${name}` : `${scope}/${PROVIDER}/${type}/${name}`;
}

function renderEligibility(tenant: Tenant, record: RoleEligibilityRecord, memberType: string, contextSubscriptionId: string | undefined): unknown {
  const roleId = roleDefinitionId(record.roleDefinitionName, contextSubscriptionId);
  return {
    properties: {
      scope: record.scope,
      roleDefinitionId: roleId,
      principalId: record.principalId,
      principalType: record.principalType,
      status: "Provisioned",
      roleEligibilityScheduleId: childId(record.scope, "RoleEligibilitySchedules", record.scheduleName),
      startDateTime: record.startDateTime,
      endDateTime: record.endDateTime,
      memberType,
      createdOn: record.createdOn,
      condition: record.condition,
      conditionVersion: record.conditionVersion,
      expandedProperties: expandedProperties(tenant, record, roleId),
    },
    name: record.name,
    id: childId(record.scope, "RoleEligibilityScheduleInstances", record.name),
    type: "Microsoft.Authorization/RoleEligibilityScheduleInstances",
  };
}

function renderAssignmentSchedule(
  tenant: Tenant,
  record: RoleAssignmentScheduleRecord,
  memberType: string,
  contextSubscriptionId: string | undefined,
): unknown {
  const roleId = roleDefinitionId(record.roleDefinitionName, contextSubscriptionId);
  const eligibility = record.linkedEligibilityName ? tenant.roleEligibilities.get(record.linkedEligibilityName.toLowerCase()) : undefined;
  return {
    properties: {
      originRoleAssignmentId: roleAssignmentId(record.scope, record.roleAssignmentName),
      // The spec example gives the linked ids as bare GUIDs, not ARM ids.
      linkedRoleEligibilityScheduleId: eligibility?.scheduleName ?? null,
      linkedRoleEligibilityScheduleInstanceId: eligibility?.name ?? null,
      assignmentType: record.assignmentType,
      scope: record.scope,
      roleDefinitionId: roleId,
      principalId: record.principalId,
      principalType: record.principalType,
      status: "Provisioned",
      roleAssignmentScheduleId: childId(record.scope, "RoleAssignmentSchedules", record.scheduleName),
      startDateTime: record.startDateTime,
      endDateTime: record.endDateTime,
      memberType,
      createdOn: record.createdOn,
      condition: record.condition,
      conditionVersion: record.conditionVersion,
      expandedProperties: expandedProperties(tenant, record, roleId),
    },
    name: record.name,
    id: childId(record.scope, "RoleAssignmentScheduleInstances", record.name),
    type: "Microsoft.Authorization/RoleAssignmentScheduleInstances",
  };
}

const INSTANCE_FILTERS = "atScope(), principalId eq '{id}', assignedTo('{id}') and asTarget()";

function listInstances(context: ArmContext, rawScope: string, type: "roleEligibilityScheduleInstances" | "roleAssignmentScheduleInstances"): SandboxResponse {
  const wrongVersion = unsupportedApiVersion(context, type, PIM_API_VERSIONS);
  if (wrongVersion) return wrongVersion;
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  const denied = denyUnlessAuthorized(context, `Microsoft.Authorization/${type}/read`, resolved.scope);
  if (denied) return denied;
  const filter = parseInstanceFilter(context.request.query.get("$filter"));
  if (!filter) return badFilter(context, INSTANCE_FILTERS);
  // The spec documents `assignedTo('{userId}')`; ARM's role-assignment list refuses a group id there (see
  // role-assignments.ts), and the sandbox takes the same stricter reading here. The code is unverified.
  if (filter.kind === "assignedTo" && context.tenant.getDirectoryObject(filter.principalId)?.kind === "group") {
    return armError(
      context,
      400,
      "InvalidFilterInQueryString",
      `The filter '${context.request.query.get("$filter") ?? ""}' is not supported: assignedTo() accepts the object id of a user or a service principal, not of a group.`,
    );
  }
  const now = context.request.now.getTime();
  // An instance lists while it lasts: PIM ends an activation (and removes its role assignment) at its end.
  const current = <T extends { startDateTime: string; endDateTime: string | null }>(record: T) =>
    Date.parse(record.startDateTime) <= now && (record.endDateTime === null || Date.parse(record.endDateTime) > now);
  const { tenant } = context;
  const rendered =
    type === "roleEligibilityScheduleInstances"
      ? select(context, [...tenant.roleEligibilities.values()].filter(current), resolved.scope, filter).map(({ record, memberType }) =>
          renderEligibility(tenant, record, memberType, resolved.subscriptionId),
        )
      : select(context, [...tenant.roleAssignmentSchedules.values()].filter(current), resolved.scope, filter).map(({ record, memberType }) =>
          renderAssignmentSchedule(tenant, record, memberType, resolved.subscriptionId),
        );
  const page = armPage(context.request, rendered);
  if (!page) return armError(context, 400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(context, 200, { value: page.value, ...(page.nextLink ? { nextLink: page.nextLink } : {}) });
}

export function listRoleEligibilityScheduleInstances(context: ArmContext, rawScope: string): SandboxResponse {
  return listInstances(context, rawScope, "roleEligibilityScheduleInstances");
}

export function listRoleAssignmentScheduleInstances(context: ArmContext, rawScope: string): SandboxResponse {
  return listInstances(context, rawScope, "roleAssignmentScheduleInstances");
}

type DenyFilter =
  | { kind: "all" }
  | { kind: "atScope" }
  | { kind: "name"; name: string }
  | { kind: "principalId"; principalId: string }
  | { kind: "gdprExport"; principalId: string };

/** The documented deny-assignment filters (authorization-DenyAssignmentCalls.json, 2022-04-01). */
function parseDenyFilter(filter: string | null): DenyFilter | undefined {
  if (filter === null || filter.trim() === "") return { kind: "all" };
  const text = filter.trim();
  if (/^atScope\(\)$/i.test(text)) return { kind: "atScope" };
  // OData string literals double a quote inside them.
  const name = /^denyAssignmentName\s+eq\s+'((?:[^']|'')*)'$/i.exec(text);
  if (name?.[1] !== undefined) return { kind: "name", name: name[1].replace(/''/g, "'") };
  const principal = /^principalId\s+eq\s+'?([0-9a-f-]{36})'?$/i.exec(text);
  if (principal?.[1]) return { kind: "principalId", principalId: principal[1].toLowerCase() };
  const gdpr = /^gdprExportPrincipalId\s+eq\s+'?([0-9a-f-]{36})'?$/i.exec(text);
  if (gdpr?.[1]) return { kind: "gdprExport", principalId: gdpr[1].toLowerCase() };
  return undefined;
}

/** Whether a deny assignment at `deny.scope` reaches `scope` (its own scope, or below unless it says not to). */
export function denyReaches(tenant: Tenant, deny: DenyAssignmentRecord, scope: string): boolean {
  if (deny.scope.toLowerCase() === scope.toLowerCase()) return true;
  return !deny.doNotApplyToChildScopes && scopeCovers(tenant, deny.scope, scope);
}

export function renderDenyAssignment(deny: DenyAssignmentRecord): unknown {
  return {
    properties: {
      denyAssignmentName: deny.denyAssignmentName,
      description: deny.description,
      permissions: deny.permissions.map((block) => ({ ...block })),
      scope: deny.scope,
      doNotApplyToChildScopes: deny.doNotApplyToChildScopes,
      principals: deny.principals.map((p) => ({ id: p.id, type: p.type })),
      excludePrincipals: deny.excludePrincipals.map((p) => ({ id: p.id, type: p.type })),
      isSystemProtected: deny.isSystemProtected,
      createdOn: deny.createdOn,
      updatedOn: deny.createdOn,
      createdBy: null,
      updatedBy: null,
    },
    id: childId(deny.scope, "denyAssignments", deny.name),
    type: "Microsoft.Authorization/denyAssignments",
    name: deny.name,
  };
}

export function listDenyAssignments(context: ArmContext, rawScope: string): SandboxResponse {
  const wrongVersion = unsupportedApiVersion(context, "denyAssignments", DENY_API_VERSIONS);
  if (wrongVersion) return wrongVersion;
  const resolved = resolve(context, rawScope);
  if (isResponse(resolved)) return resolved;
  const denied = denyUnlessAuthorized(context, "Microsoft.Authorization/denyAssignments/read", resolved.scope);
  if (denied) return denied;
  const filter = parseDenyFilter(context.request.query.get("$filter"));
  if (!filter) return badFilter(context, "atScope(), denyAssignmentName eq '{name}', principalId eq '{id}' and gdprExportPrincipalId eq '{id}'");
  const { tenant } = context;
  const scope = resolved.scope;
  const all = [...tenant.denyAssignments.values()];
  const aboveOrAt = (deny: DenyAssignmentRecord) => denyReaches(tenant, deny, scope);
  const related = (deny: DenyAssignmentRecord) => aboveOrAt(deny) || scopeCovers(tenant, scope, deny.scope);
  const names = (list: readonly { id: string }[], id: string) => list.some((p) => p.id.toLowerCase() === id);
  let matches: DenyAssignmentRecord[];
  switch (filter.kind) {
    case "all":
      matches = all.filter(related);
      break;
    case "atScope":
      matches = all.filter(aboveOrAt);
      break;
    case "name":
      matches = all.filter((deny) => deny.scope.toLowerCase() === scope.toLowerCase() && deny.denyAssignmentName === filter.name);
      break;
    case "principalId":
      matches = all.filter((deny) => related(deny) && names(deny.principals, filter.principalId));
      break;
    case "gdprExport":
      matches = all.filter((deny) => related(deny) && (names(deny.principals, filter.principalId) || names(deny.excludePrincipals, filter.principalId)));
      break;
  }
  const rendered =
    filter.kind === "gdprExport"
      ? // "when gdprExportPrincipalId filter is used, only the deny assignment name and description properties are returned"
        matches.map((deny) => ({ properties: { denyAssignmentName: deny.denyAssignmentName, description: deny.description } }))
      : matches.map(renderDenyAssignment);
  const page = armPage(context.request, rendered);
  if (!page) return armError(context, 400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(context, 200, { value: page.value, ...(page.nextLink ? { nextLink: page.nextLink } : {}) });
}
