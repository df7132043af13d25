/**
 * Users, groups, service principals and applications: collections, single entities and their navigations
 * (`memberOf`, `transitiveMemberOf`, `members`, `transitiveMembers`, `owners`, `federatedIdentityCredentials`,
 * `checkMemberGroups`),
 * with OData casts (`/microsoft.graph.user`) and `/$count`.
 */
import type { SandboxRequest, SandboxResponse } from "../../contract";
import type { ApplicationRecord, DirectoryObjectRecord } from "../../tenant/model";
import type { Tenant } from "../../tenant/tenant";
import { APPLICATION_TYPE, ENTITY_TYPES, type EntityType, GROUP_TYPE, SERVICE_PRINCIPAL_TYPE, USER_TYPE } from "../entities";
import { contextUrl, graphVersion, isEventual, respondWithCollection, respondWithEntity } from "../odata";
import { denyUnlessPermitted, PERMISSIONS, type PermissionRequirement } from "../permissions";
import { GRAPH_MESSAGES, graphError, graphJson } from "../responses";
import { appRoleAssignedTo, appRoleAssignmentsOf } from "./app-role-assignments";
import {
  changeFederatedCredential,
  createApplication,
  createFederatedCredential,
  createServicePrincipal,
  updateApplication,
  updateServicePrincipal,
} from "./application-writes";
import { checkMemberGroups } from "./check-member-groups";
import { addPassword, removePassword } from "./credentials";
import { sendMail } from "./mail";

const SETS: Record<string, { type: EntityType; read: PermissionRequirement }> = {
  users: { type: USER_TYPE, read: PERMISSIONS.readUsers },
  groups: { type: GROUP_TYPE, read: PERMISSIONS.readGroups },
  serviceprincipals: { type: SERVICE_PRINCIPAL_TYPE, read: PERMISSIONS.readApplications },
  applications: { type: APPLICATION_TYPE, read: PERMISSIONS.readApplications },
};

/** `applications(appId='…')` / `servicePrincipals(appId='…')` alternate keys. */
const APP_ID_KEY = /^(applications|serviceprincipals)\(appid='([^']+)'\)$/i;

function notFound(request: SandboxRequest, key: string): SandboxResponse {
  return graphError(request, 404, "Request_ResourceNotFound", GRAPH_MESSAGES.resourceNotFound(key));
}

function badSegment(request: SandboxRequest, segment: string): SandboxResponse {
  return graphError(request, 400, "BadRequest", GRAPH_MESSAGES.segmentNotFound(segment));
}

function methodNotAllowed(request: SandboxRequest): SandboxResponse {
  return graphError(request, 405, "Request_BadRequest", GRAPH_MESSAGES.methodNotAllowed);
}

function lookup(tenant: Tenant, setName: string, key: string, byAppId: boolean): DirectoryObjectRecord | undefined {
  switch (setName) {
    case "users":
      return tenant.getUser(key);
    case "groups":
      return tenant.groups.get(key.toLowerCase());
    case "serviceprincipals":
      return byAppId ? tenant.getServicePrincipalByAppId(key) : tenant.servicePrincipals.get(key.toLowerCase());
    case "applications":
      return byAppId ? tenant.getApplicationByAppId(key) : tenant.applications.get(key.toLowerCase());
    default:
      return undefined;
  }
}

function collectionRecords(tenant: Tenant, setName: string): DirectoryObjectRecord[] {
  switch (setName) {
    case "users":
      return [...tenant.users.values()];
    case "groups":
      return [...tenant.groups.values()];
    case "serviceprincipals":
      return [...tenant.servicePrincipals.values()];
    default:
      return [...tenant.applications.values()];
  }
}

function records(tenant: Tenant, ids: readonly string[]): DirectoryObjectRecord[] {
  return ids.flatMap((id) => {
    const record = tenant.getDirectoryObject(id);
    return record ? [record] : [];
  });
}

/** Routes `/{set}`, `/{set}/$count`, `/{set}/{key}[/nav[/cast][/$count]]` and `/me[/…]`. */
export function routeDirectory(tenant: Tenant, request: SandboxRequest, segments: readonly string[]): SandboxResponse {
  const [first = "", ...rest] = segments;
  const method = request.method.toUpperCase();

  if (first.toLowerCase() === "me") {
    if (request.caller.kind !== "user") return graphError(request, 400, "BadRequest", GRAPH_MESSAGES.meNeedsDelegated);
    const me = tenant.getUser(request.caller.objectId);
    if (!me) return notFound(request, request.caller.objectId);
    if (rest.length === 0) {
      if (method !== "GET") return methodNotAllowed(request);
      return denyUnlessPermitted(request, PERMISSIONS.readMe) ?? respondWithEntity(request, me, "users");
    }
    return navigate(tenant, request, me, rest, true);
  }

  const appIdKey = APP_ID_KEY.exec(first);
  const setName = (appIdKey?.[1] ?? first).toLowerCase();
  const set = SETS[setName];
  if (!set) return badSegment(request, first);
  const denied = denyUnlessPermitted(request, set.read);

  if (!appIdKey && (rest.length === 0 || (rest.length === 1 && rest[0] === "$count"))) {
    if (method === "POST" && rest.length === 0 && setName === "applications") return createApplication(tenant, request);
    if (method === "POST" && rest.length === 0 && setName === "serviceprincipals") return createServicePrincipal(tenant, request);
    if (method !== "GET") return methodNotAllowed(request);
    return (
      denied ??
      respondWithCollection(request, collectionRecords(tenant, setName), {
        entity: set.type,
        contextName: set.type.setName,
        countSegment: rest[0] === "$count",
      })
    );
  }
  const key = appIdKey?.[2] ?? rest[0] ?? "";
  const navigation = appIdKey ? rest : rest.slice(1);
  const record = lookup(tenant, setName, key, Boolean(appIdKey));
  // sendMail is authorized by Mail.Send alone, so it must not require the read permission.
  const isSendMail = setName === "users" && navigation.length === 1 && navigation[0]?.toLowerCase() === "sendmail";
  if (denied && !isSendMail) return denied;
  if (!record) return notFound(request, key);
  if (navigation.length === 0) {
    if (method === "PATCH" && record.kind === "application") return updateApplication(tenant, request, record);
    if (method === "PATCH" && record.kind === "servicePrincipal") return updateServicePrincipal(request, record);
    if (method !== "GET") return methodNotAllowed(request);
    return respondWithEntity(request, record, set.type.setName);
  }
  return navigate(tenant, request, record, navigation, false);
}

function navigate(tenant: Tenant, request: SandboxRequest, record: DirectoryObjectRecord, navigation: readonly string[], isMe: boolean): SandboxResponse {
  const [name = "", ...tail] = navigation;
  const lower = name.toLowerCase();
  const method = request.method.toUpperCase();

  if (lower === "sendmail" && record.kind === "user" && tail.length === 0) {
    return method === "POST" ? sendMail(tenant, request, record) : methodNotAllowed(request);
  }
  if (lower === "federatedidentitycredentials" && record.kind === "application") {
    if (method === "POST" && tail.length === 0) return createFederatedCredential(request, record);
    if ((method === "PATCH" || method === "DELETE") && tail.length === 1) {
      const credential = findFederatedCredential(record, tail[0] ?? "");
      return credential ? changeFederatedCredential(request, record, credential) : notFound(request, tail[0] ?? "");
    }
    if (method !== "GET") return methodNotAllowed(request);
    return federatedCredentials(request, record, tail);
  }
  if ((lower === "addpassword" || lower === "removepassword") && tail.length === 0 && (record.kind === "application" || record.kind === "servicePrincipal")) {
    if (method !== "POST") return methodNotAllowed(request);
    return lower === "addpassword" ? addPassword(request, record) : removePassword(request, record);
  }
  if (lower === "checkmembergroups" && record.kind !== "application" && tail.length === 0) {
    if (method !== "POST") return methodNotAllowed(request);
    return denyUnlessPermitted(request, isMe ? PERMISSIONS.readOwnMemberships : PERMISSIONS.readMemberships) ?? checkMemberGroups(tenant, request, record.id);
  }
  if (method !== "GET") return methodNotAllowed(request);
  if (lower === "approleassignedto" && record.kind === "servicePrincipal" && tail.length === 0) {
    return denyUnlessPermitted(request, PERMISSIONS.readApplications) ?? appRoleAssignedTo(tenant, request, record.id);
  }
  if (lower === "approleassignments" && record.kind !== "application" && tail.length === 0) {
    const requirement = record.kind === "user" ? PERMISSIONS.readUsers : record.kind === "group" ? PERMISSIONS.readGroups : PERMISSIONS.readApplications;
    const setName = record.kind === "user" ? "users" : record.kind === "group" ? "groups" : "servicePrincipals";
    return denyUnlessPermitted(request, requirement) ?? appRoleAssignmentsOf(tenant, request, record, setName);
  }

  let ids: string[];
  let requirement: PermissionRequirement;
  if (lower === "memberof" && record.kind !== "application") {
    ids = tenant.directGroupIds(record.id);
    requirement = isMe ? PERMISSIONS.readOwnMemberships : PERMISSIONS.readMemberships;
  } else if (lower === "transitivememberof" && record.kind !== "application") {
    ids = tenant.transitiveGroupIds(record.id);
    requirement = isMe ? PERMISSIONS.readOwnMemberships : PERMISSIONS.readMemberships;
  } else if (lower === "members" && record.kind === "group") {
    ids = record.memberIds;
    requirement = PERMISSIONS.readGroups;
  } else if (lower === "transitivemembers" && record.kind === "group") {
    ids = tenant.transitiveMemberIds(record.id);
    requirement = PERMISSIONS.readGroups;
  } else if (lower === "owners" && record.kind !== "user") {
    ids = record.ownerIds;
    requirement = record.kind === "group" ? PERMISSIONS.readGroups : PERMISSIONS.readApplications;
  } else {
    return badSegment(request, name);
  }
  const denied = denyUnlessPermitted(request, requirement);
  if (denied) return denied;

  let items = records(tenant, ids);
  let entity: EntityType | undefined;
  let rest = tail;
  const cast = rest[0]?.toLowerCase().startsWith("microsoft.graph.") ? rest[0] : undefined;
  if (cast) {
    entity = ENTITY_TYPES.find((t) => `microsoft.graph.${t.typeName}`.toLowerCase() === cast.toLowerCase());
    if (!entity) return badSegment(request, cast);
    // An OData cast on a membership list is an advanced query (concepts/aad-advanced-queries.md: "Use of OData cast
    // with transitive members list"; group-list-transitivemembers.md: "you must use the advanced query parameters").
    // Real Graph answers such requests without them with 400 Request_UnsupportedQuery, also for `members`. A `/$count`
    // segment is itself the count, so there only the header is needed.
    const countQuery = (request.query.get("$count") ?? "").toLowerCase() === "true" || (tail.length === 2 && tail[1] === "$count");
    if (!isEventual(request) || !countQuery) {
      return graphError(request, 400, "Request_UnsupportedQuery", GRAPH_MESSAGES.castNeedsAdvanced);
    }
    const castKind = entity.typeName;
    items = items.filter((item) => item.kind === castKind);
    rest = rest.slice(1);
  }
  const countSegment = rest.length === 1 && rest[0] === "$count";
  if (rest.length > 0 && !countSegment) return badSegment(request, rest[0] ?? "");
  return respondWithCollection(request, items, {
    entity,
    contextName: entity ? entity.setName : "directoryObjects",
    countSegment,
  });
}

function federatedCredentials(request: SandboxRequest, application: ApplicationRecord, tail: readonly string[]): SandboxResponse {
  const denied = denyUnlessPermitted(request, PERMISSIONS.readApplications);
  if (denied) return denied;
  // A flexible credential has `subject: null`; its `claimsMatchingExpression` exists on beta only (the v1.0
  // federatedIdentityCredential resource has no such property), so a v1.0 reader sees just the null subject. An
  // ordinary credential has no such key even on beta (recorded: federatedIdentityCredentials_list.200.beta.json).
  const beta = graphVersion(request) === "beta";
  const render = (c: ApplicationRecord["federatedIdentityCredentials"][number]) => ({
    id: c.id,
    name: c.name,
    issuer: c.issuer,
    subject: c.subject,
    description: c.description,
    audiences: c.audiences,
    ...(beta && c.claimsMatchingExpression ? { claimsMatchingExpression: c.claimsMatchingExpression } : {}),
  });
  const base = `applications('${application.id}')/federatedIdentityCredentials`;
  if (tail.length === 0) {
    return graphJson(request, 200, {
      "@odata.context": contextUrl(request, base, undefined),
      value: application.federatedIdentityCredentials.map(render),
    });
  }
  const [key = "", ...more] = tail;
  if (more.length > 0) return badSegment(request, more[0] ?? "");
  const credential = findFederatedCredential(application, key);
  if (!credential) return notFound(request, key);
  return graphJson(request, 200, { "@odata.context": contextUrl(request, base, undefined, true), ...render(credential) });
}

/** By id, or by the `name` alternate key: `federatedIdentityCredentials(name='…')`. */
function findFederatedCredential(application: ApplicationRecord, key: string): ApplicationRecord["federatedIdentityCredentials"][number] | undefined {
  const byName = /^\(?name='([^']+)'\)?$/i.exec(key)?.[1];
  return application.federatedIdentityCredentials.find((c) => (byName !== undefined ? c.name === byName : c.id.toLowerCase() === key.toLowerCase()));
}
