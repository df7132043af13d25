/**
 * Creating and updating app registrations, service principals and federated identity credentials — what
 * `npm run azure:register` does — with the rules Microsoft Graph enforces on them:
 *
 *  - `identifierUris` must use the default scheme (`api://{appId}`, `api://{tenantId}/…`) or a verified domain, so an
 *    app's `api://{appId}` can only be set once the app (and its appId) exists: HostNameNotOnVerifiedDomain
 *    (https://learn.microsoft.com/entra/identity-platform/reference-breaking-changes#appid-uri-in-single-tenant-applications-will-require-use-of-default-scheme-or-verified-domains).
 *  - `api.preAuthorizedApplications` may only name scope ids the app already has — not ones defined in the same
 *    request (microsoftgraph/microsoft-graph-docs#20177, msgraph-sdk-dotnet#2044 for the message).
 *  - an enabled scope or app role cannot be deleted or have its value changed; disable it first
 *    (CannotDeleteOrUpdateEnabledEntitlement, msgraph-sdk-dotnet#1888).
 *  - federated credentials: a unique name (409 Request_MultipleObjectsWithSameKeyValue, Azure/azure-dev#1482), a
 *    unique issuer + subject (InvalidFederatedIdentityCredentialValue, Azure/azure-workload-identity#434), exactly one
 *    audience, at most 20 per app (https://learn.microsoft.com/graph/api/resources/federatedidentitycredentials-overview).
 *  - a service principal only for an existing application, one per app.
 * Create answers 201 with the object; updates answer 204; unknown properties are refused, as Graph does.
 */
import { randomUUID } from "node:crypto";

import type { SandboxRequest, SandboxResponse } from "../../contract";
import { servicePrincipalFor } from "../../tenant/console-apps";
import type {
  AppRoleRecord,
  ApplicationRecord,
  FederatedIdentityCredentialRecord,
  PermissionScopeRecord,
  PreAuthorizedApplicationRecord,
  RequiredResourceAccessRecord,
  ServicePrincipalRecord,
} from "../../tenant/model";
import { newApplication, TENANT_DOMAIN } from "../../tenant/model";
import type { Tenant } from "../../tenant/tenant";
import { APPLICATION_TYPE, SERVICE_PRINCIPAL_TYPE } from "../entities";
import { contextUrl, graphVersion, project } from "../odata";
import { denyUnlessPermitted, type PermissionRequirement } from "../permissions";
import { graphEmpty, graphError, graphJson } from "../responses";

export const WRITE_APPLICATIONS: PermissionRequirement = {
  delegated: ["Application.ReadWrite.All", "Directory.ReadWrite.All"],
  application: ["Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"],
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIGN_IN_AUDIENCES = new Set(["AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"]);
const MAX_FEDERATED_CREDENTIALS = 20;

class GraphWriteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string, code = "Request_BadRequest") => new GraphWriteError(400, code, message);
const invalidValue = (property: string, resource: string) => bad(`Invalid value specified for property '${property}' of resource '${resource}'.`);

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function objectBody(request: SandboxRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("The request body must be a JSON object.", "BadRequest");
  return body as Record<string, unknown>;
}

function rejectUnknown(body: Record<string, unknown>, allowed: ReadonlySet<string>, readOnly: ReadonlySet<string>, typeName: string): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith("@odata.")) continue;
    if (readOnly.has(key)) throw bad(`Property '${key}' is read-only and cannot be set.`, "BadRequest");
    if (!allowed.has(key)) {
      throw bad(
        `Property '${key}' does not exist on type 'microsoft.graph.${typeName}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
        "BadRequest",
      );
    }
  }
}

const stringArray = (value: unknown, property: string, resource: string): string[] => {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw invalidValue(property, resource);
  return value;
};

function redirectUris(value: unknown, property: string): string[] {
  const uris = stringArray(value, property, "Application");
  for (const uri of uris) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw invalidValue(property, "Application");
    }
    const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) throw invalidValue(property, "Application");
  }
  return uris;
}

/** The default-scheme and verified-domain rule for identifier URIs, and their uniqueness in the tenant. */
function identifierUris(tenant: Tenant, application: Pick<ApplicationRecord, "id" | "appId">, value: unknown): string[] {
  const uris = stringArray(value, "identifierUris", "Application");
  for (const uri of uris) {
    const api = /^api:\/\/(.+)$/i.exec(uri)?.[1];
    let allowed = false;
    if (api !== undefined) {
      const parts = api.split("/");
      allowed =
        api.toLowerCase() === application.appId.toLowerCase() ||
        parts[0]?.toLowerCase() === tenant.tenantId.toLowerCase() ||
        (parts.length === 2 && parts[1]?.toLowerCase() === application.appId.toLowerCase());
    } else {
      try {
        const url = new URL(uri);
        allowed = url.protocol === "https:" && (url.hostname === TENANT_DOMAIN || url.hostname.endsWith(`.${TENANT_DOMAIN}`));
      } catch {
        allowed = false;
      }
    }
    if (!allowed) {
      throw bad(`Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`, "HostNameNotOnVerifiedDomain");
    }
    const taken = [...tenant.applications.values()].some(
      (other) => other.id !== application.id && other.identifierUris.some((existing) => existing.toLowerCase() === uri.toLowerCase()),
    );
    if (taken) throw bad("Another object with the same value for property identifierUris already exists.");
  }
  return uris;
}

function permissionScopes(value: unknown): PermissionScopeRecord[] {
  if (!Array.isArray(value)) throw invalidValue("oauth2PermissionScopes", "Application");
  const scopes = value.map((item): PermissionScopeRecord => {
    const scope = item as Record<string, unknown>;
    if (
      typeof scope.id !== "string" ||
      !GUID.test(scope.id) ||
      typeof scope.value !== "string" ||
      !/^[^\s.][^\s]*$/.test(scope.value) ||
      (scope.type !== "User" && scope.type !== "Admin") ||
      typeof scope.isEnabled !== "boolean" ||
      typeof scope.adminConsentDisplayName !== "string" ||
      typeof scope.adminConsentDescription !== "string"
    ) {
      throw invalidValue("oauth2PermissionScopes", "Application");
    }
    return {
      id: scope.id.toLowerCase(),
      value: scope.value,
      type: scope.type,
      isEnabled: scope.isEnabled,
      adminConsentDisplayName: scope.adminConsentDisplayName,
      adminConsentDescription: scope.adminConsentDescription,
      userConsentDisplayName: typeof scope.userConsentDisplayName === "string" ? scope.userConsentDisplayName : null,
      userConsentDescription: typeof scope.userConsentDescription === "string" ? scope.userConsentDescription : null,
    };
  });
  if (new Set(scopes.map((s) => s.id)).size !== scopes.length || new Set(scopes.map((s) => s.value.toLowerCase())).size !== scopes.length) {
    throw bad("The permission values and ids of an application must be unique.");
  }
  return scopes;
}

function appRoles(value: unknown): AppRoleRecord[] {
  if (!Array.isArray(value)) throw invalidValue("appRoles", "Application");
  const roles = value.map((item): AppRoleRecord => {
    const role = item as Record<string, unknown>;
    const members = role.allowedMemberTypes;
    if (
      typeof role.id !== "string" ||
      !GUID.test(role.id) ||
      typeof role.value !== "string" ||
      !/^[^\s.][^\s]*$/.test(role.value) ||
      typeof role.displayName !== "string" ||
      typeof role.description !== "string" ||
      typeof role.isEnabled !== "boolean" ||
      !Array.isArray(members) ||
      members.length === 0 ||
      !members.every((member) => member === "User" || member === "Application")
    ) {
      throw invalidValue("appRoles", "Application");
    }
    return {
      id: role.id.toLowerCase(),
      value: role.value,
      displayName: role.displayName,
      description: role.description,
      allowedMemberTypes: members as ("User" | "Application")[],
      isEnabled: role.isEnabled,
      origin: "Application",
    };
  });
  if (new Set(roles.map((r) => r.id)).size !== roles.length || new Set(roles.map((r) => r.value.toLowerCase())).size !== roles.length) {
    throw bad("The permission values and ids of an application must be unique.");
  }
  return roles;
}

/** An enabled scope or role can be neither removed nor renamed; it has to be disabled first. */
function refuseChangesToEnabled(existing: readonly { id: string; value: string; isEnabled: boolean }[], next: readonly { id: string; value: string }[]): void {
  for (const current of existing) {
    if (!current.isEnabled) continue;
    const replacement = next.find((candidate) => candidate.id.toLowerCase() === current.id.toLowerCase());
    if (!replacement || replacement.value !== current.value) {
      throw bad("Permission (scope or role) cannot be deleted or updated unless disabled first.", "CannotDeleteOrUpdateEnabledEntitlement");
    }
  }
}

function preAuthorizedApplications(value: unknown, knownScopeIds: ReadonlySet<string>): PreAuthorizedApplicationRecord[] {
  if (!Array.isArray(value)) throw invalidValue("preAuthorizedApplications", "Application");
  return value.map((item) => {
    const entry = item as Record<string, unknown>;
    if (typeof entry.appId !== "string" || !GUID.test(entry.appId)) throw invalidValue("preAuthorizedApplications", "Application");
    const ids = stringArray(entry.delegatedPermissionIds, "preAuthorizedApplications", "Application").map((id) => id.toLowerCase());
    if (ids.some((id) => !knownScopeIds.has(id))) {
      throw bad("Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets.");
    }
    return { appId: entry.appId, delegatedPermissionIds: ids };
  });
}

function requiredResourceAccess(value: unknown): RequiredResourceAccessRecord[] {
  if (!Array.isArray(value)) throw invalidValue("requiredResourceAccess", "Application");
  return value.map((item) => {
    const entry = item as Record<string, unknown>;
    const access = entry.resourceAccess;
    if (typeof entry.resourceAppId !== "string" || !Array.isArray(access)) throw invalidValue("requiredResourceAccess", "Application");
    return {
      resourceAppId: entry.resourceAppId,
      resourceAccess: access.map((raw) => {
        const grant = raw as Record<string, unknown>;
        if (typeof grant.id !== "string" || !GUID.test(grant.id) || (grant.type !== "Scope" && grant.type !== "Role")) {
          throw invalidValue("requiredResourceAccess", "Application");
        }
        return { id: grant.id, type: grant.type };
      }),
    };
  });
}

const APPLICATION_PROPERTIES = new Set([
  "displayName",
  "description",
  "notes",
  "signInAudience",
  "tags",
  "identifierUris",
  "api",
  "appRoles",
  "requiredResourceAccess",
  "spa",
  "web",
  "publicClient",
]);
const APPLICATION_READ_ONLY = new Set([
  "id",
  "appId",
  "createdDateTime",
  "publisherDomain",
  "passwordCredentials",
  "keyCredentials",
  "federatedIdentityCredentials",
]);
const API_PROPERTIES = new Set([
  "requestedAccessTokenVersion",
  "oauth2PermissionScopes",
  "preAuthorizedApplications",
  "knownClientApplications",
  "acceptMappedClaims",
]);

/** Applies a create or update body to an application (validating everything first, so a refusal changes nothing). */
function applyApplication(tenant: Tenant, application: ApplicationRecord, body: Record<string, unknown>): void {
  rejectUnknown(body, APPLICATION_PROPERTIES, APPLICATION_READ_ONLY, "application");
  const next: Partial<ApplicationRecord> = {};
  if ("displayName" in body) {
    if (typeof body.displayName !== "string" || body.displayName.trim() === "") throw invalidValue("displayName", "Application");
    next.displayName = body.displayName;
  }
  for (const key of ["description", "notes"] as const) {
    if (key in body) {
      if (body[key] !== null && typeof body[key] !== "string") throw invalidValue(key, "Application");
      next[key] = body[key];
    }
  }
  if ("signInAudience" in body) {
    if (typeof body.signInAudience !== "string" || !SIGN_IN_AUDIENCES.has(body.signInAudience)) throw invalidValue("signInAudience", "Application");
    next.signInAudience = body.signInAudience;
  }
  if ("tags" in body) next.tags = stringArray(body.tags, "tags", "Application");
  if ("identifierUris" in body) next.identifierUris = identifierUris(tenant, application, body.identifierUris);
  if ("appRoles" in body) {
    next.appRoles = appRoles(body.appRoles);
    refuseChangesToEnabled(application.appRoles, next.appRoles);
  }
  if ("requiredResourceAccess" in body) next.requiredResourceAccess = requiredResourceAccess(body.requiredResourceAccess);
  for (const [key, field] of [
    ["spa", "spaRedirectUris"],
    ["web", "webRedirectUris"],
    ["publicClient", "publicClientRedirectUris"],
  ] as const) {
    if (!(key in body)) continue;
    const platform = body[key] as Record<string, unknown> | null;
    if (typeof platform !== "object" || platform === null || Array.isArray(platform)) throw invalidValue(key, "Application");
    const allowed = key === "web" ? new Set(["redirectUris", "homePageUrl", "logoutUrl", "implicitGrantSettings"]) : new Set(["redirectUris"]);
    rejectUnknown(platform, allowed, new Set(), key === "spa" ? "spaApplication" : key === "web" ? "webApplication" : "publicClientApplication");
    if ("redirectUris" in platform) next[field] = redirectUris(platform.redirectUris, `${key}.redirectUris`);
  }
  let preAuthorized: PreAuthorizedApplicationRecord[] | undefined;
  let tokenVersion: 1 | 2 | null | undefined;
  if ("api" in body) {
    const api = body.api as Record<string, unknown> | null;
    if (typeof api !== "object" || api === null || Array.isArray(api)) throw invalidValue("api", "Application");
    rejectUnknown(api, API_PROPERTIES, new Set(), "apiApplication");
    if ("requestedAccessTokenVersion" in api) {
      if (api.requestedAccessTokenVersion !== null && api.requestedAccessTokenVersion !== 1 && api.requestedAccessTokenVersion !== 2) {
        throw invalidValue("requestedAccessTokenVersion", "ApiApplication");
      }
      tokenVersion = api.requestedAccessTokenVersion;
    }
    if ("oauth2PermissionScopes" in api) {
      next.oauth2PermissionScopes = permissionScopes(api.oauth2PermissionScopes);
      refuseChangesToEnabled(application.oauth2PermissionScopes, next.oauth2PermissionScopes);
    }
    if ("preAuthorizedApplications" in api) {
      // Checked against the scopes the app has now, not those this same request defines.
      preAuthorized = preAuthorizedApplications(
        api.preAuthorizedApplications,
        new Set(application.oauth2PermissionScopes.map((scope) => scope.id.toLowerCase())),
      );
    }
  }
  Object.assign(application, next);
  if (tokenVersion !== undefined) application.requestedAccessTokenVersion = tokenVersion;
  if (preAuthorized !== undefined) application.preAuthorizedApplications = preAuthorized;
}

function respond(request: SandboxRequest, run: () => SandboxResponse): SandboxResponse {
  try {
    return run();
  } catch (error) {
    if (error instanceof GraphWriteError) return graphError(request, error.status, error.code, error.message);
    throw error;
  }
}

/** `POST /applications` */
export function createApplication(tenant: Tenant, request: SandboxRequest): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  return respond(request, () => {
    const body = objectBody(request);
    if (typeof body.displayName !== "string" || body.displayName.trim() === "") throw bad("Property 'displayName' is required.", "Request_BadRequest");
    const application: ApplicationRecord = newApplication({
      id: randomUUID(),
      appId: randomUUID(),
      displayName: body.displayName,
      createdDateTime: isoSeconds(request.now),
      // The creator owns what it creates (a user, or the calling app's service principal).
      ownerIds: [request.caller.objectId],
      requestedAccessTokenVersion: null,
      preAuthorizedApplications: [],
    });
    applyApplication(tenant, application, body);
    tenant.addApplication(application);
    return graphJson(request, 201, {
      "@odata.context": contextUrl(request, "applications", undefined, true),
      ...project(APPLICATION_TYPE.view(application), APPLICATION_TYPE, undefined, false),
    });
  });
}

/** `PATCH /applications/{id}` */
export function updateApplication(tenant: Tenant, request: SandboxRequest, application: ApplicationRecord): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  return respond(request, () => {
    // Validate on a copy; only a fully valid update changes the application.
    const draft = structuredClone(application);
    applyApplication(tenant, draft, objectBody(request));
    Object.assign(application, draft);
    return graphEmpty(request, 204);
  });
}

/** `POST /servicePrincipals` with `{ appId }`: the enterprise application of an app registration. */
export function createServicePrincipal(tenant: Tenant, request: SandboxRequest): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  return respond(request, () => {
    const body = objectBody(request);
    rejectUnknown(body, new Set(["appId", "appRoleAssignmentRequired", "tags", "accountEnabled", "notes", "description"]), new Set(["id"]), "servicePrincipal");
    const appId = typeof body.appId === "string" ? body.appId : "";
    const application = tenant.getApplicationByAppId(appId);
    if (!application) throw bad(`The appId '${appId}' of the service principal does not reference a valid application object.`, "Request_BadRequest");
    if (tenant.getServicePrincipalByAppId(appId)) {
      throw new GraphWriteError(
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "Another object with the same value for property servicePrincipalNames already exists.",
      );
    }
    const servicePrincipal = servicePrincipalFor(application, randomUUID(), isoSeconds(request.now));
    applyServicePrincipal(servicePrincipal, body);
    tenant.addServicePrincipal(servicePrincipal);
    return graphJson(request, 201, {
      "@odata.context": contextUrl(request, "servicePrincipals", undefined, true),
      ...project(SERVICE_PRINCIPAL_TYPE.view(servicePrincipal), SERVICE_PRINCIPAL_TYPE, undefined, false),
    });
  });
}

function applyServicePrincipal(servicePrincipal: ServicePrincipalRecord, body: Record<string, unknown>): void {
  for (const key of ["appRoleAssignmentRequired", "accountEnabled"] as const) {
    if (key in body) {
      if (typeof body[key] !== "boolean") throw invalidValue(key, "ServicePrincipal");
      servicePrincipal[key] = body[key];
    }
  }
  if ("tags" in body) servicePrincipal.tags = stringArray(body.tags, "tags", "ServicePrincipal");
  if ("description" in body) {
    if (body.description !== null && typeof body.description !== "string") throw invalidValue("description", "ServicePrincipal");
    servicePrincipal.description = body.description;
  }
}

/** `PATCH /servicePrincipals/{id}` */
export function updateServicePrincipal(request: SandboxRequest, servicePrincipal: ServicePrincipalRecord): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  return respond(request, () => {
    const body = objectBody(request);
    rejectUnknown(
      body,
      new Set(["appRoleAssignmentRequired", "tags", "accountEnabled", "notes", "description"]),
      new Set(["id", "appId", "servicePrincipalType"]),
      "servicePrincipal",
    );
    const draft = structuredClone(servicePrincipal);
    applyServicePrincipal(draft, body);
    Object.assign(servicePrincipal, draft);
    return graphEmpty(request, 204);
  });
}

/**
 * A credential's fields from a create or update body. On beta a flexible credential sets `claimsMatchingExpression`
 * (`{ value, languageVersion: 1 }`) with `subject: null`: "If claimsMatchingExpression is defined, subject must be
 * null", and the other way round (beta federatedIdentityCredential resource). v1.0 has no such property, so it is
 * refused there as any unknown property is.
 */
function federatedCredentialFields(
  request: SandboxRequest,
  body: Record<string, unknown>,
  existing: FederatedIdentityCredentialRecord | undefined,
): Omit<FederatedIdentityCredentialRecord, "id"> {
  const beta = graphVersion(request) === "beta";
  const allowed = ["name", "issuer", "subject", "audiences", "description", ...(beta ? ["claimsMatchingExpression"] : [])];
  rejectUnknown(body, new Set(allowed), new Set(["id"]), "federatedIdentityCredential");
  if (existing && "name" in body && body.name !== existing.name) throw bad("Property 'name' is read-only and cannot be set.", "BadRequest");
  const name = existing?.name ?? body.name;
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/.test(name)) throw invalidValue("name", "FederatedIdentityCredential");
  const issuer = "issuer" in body ? body.issuer : existing?.issuer;
  if (typeof issuer !== "string" || !/^https:\/\/\S+$/.test(issuer) || issuer.length > 600) throw invalidValue("issuer", "FederatedIdentityCredential");
  const expression =
    "claimsMatchingExpression" in body ? claimsMatchingExpression(body.claimsMatchingExpression) : (existing?.claimsMatchingExpression ?? null);
  // Setting one of the two on an update clears the other only when the body says so; both set is refused below.
  const subject = "subject" in body ? body.subject : (existing?.subject ?? null);
  if (expression !== null) {
    if (subject !== null) {
      throw bad(
        "Invalid value specified for property 'subject' of resource 'FederatedIdentityCredential': subject must be null when claimsMatchingExpression is set.",
        "InvalidFederatedIdentityCredentialValue",
      );
    }
  } else if (typeof subject !== "string" || subject.trim() === "" || subject.length > 600) {
    throw invalidValue("subject", "FederatedIdentityCredential");
  }
  const audiences = "audiences" in body ? stringArray(body.audiences, "audiences", "FederatedIdentityCredential") : existing?.audiences;
  if (!audiences || audiences.length !== 1 || audiences[0]!.length > 600) {
    throw bad(
      "Invalid value specified for property 'audiences' of resource 'FederatedIdentityCredential': a federated identity credential has exactly one audience.",
      "InvalidFederatedIdentityCredentialValue",
    );
  }
  const description = "description" in body ? body.description : (existing?.description ?? null);
  if (description !== null && typeof description !== "string") throw invalidValue("description", "FederatedIdentityCredential");
  return { name, issuer, subject, audiences, description, ...(expression !== null ? { claimsMatchingExpression: expression } : {}) };
}

/** A `federatedIdentityExpression`: a non-empty `value` and `languageVersion` 1 ("Should always be set to 1"). */
function claimsMatchingExpression(value: unknown): { value: string; languageVersion: number } | null {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidValue("claimsMatchingExpression", "FederatedIdentityCredential");
  const expression = value as Record<string, unknown>;
  rejectUnknown(expression, new Set(["value", "languageVersion"]), new Set(), "federatedIdentityExpression");
  if (typeof expression.value !== "string" || expression.value.trim() === "" || expression.languageVersion !== 1) {
    throw invalidValue("claimsMatchingExpression", "FederatedIdentityCredential");
  }
  return { value: expression.value, languageVersion: 1 };
}

function refuseDuplicateIssuerSubject(application: ApplicationRecord, fields: { issuer: string; subject: string | null }, exceptId?: string): void {
  // A flexible credential has no subject to be unique on.
  if (fields.subject === null) return;
  if (application.federatedIdentityCredentials.some((other) => other.id !== exceptId && other.issuer === fields.issuer && other.subject === fields.subject)) {
    throw bad(
      `The combination of issuer and subject must be unique for the application. Issuer ${fields.issuer} and Subject: ${fields.subject} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: ${fields.subject}, objectType: Microsoft.Online.DirectoryServices.Application`,
      "InvalidFederatedIdentityCredentialValue",
    );
  }
}

/** `POST /applications/{id}/federatedIdentityCredentials` */
export function createFederatedCredential(request: SandboxRequest, application: ApplicationRecord): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  return respond(request, () => {
    const fields = federatedCredentialFields(request, objectBody(request), undefined);
    if (application.federatedIdentityCredentials.some((other) => other.name.toLowerCase() === fields.name.toLowerCase())) {
      throw new GraphWriteError(409, "Request_MultipleObjectsWithSameKeyValue", `FederatedIdentityCredential with name ${fields.name} already exists.`);
    }
    refuseDuplicateIssuerSubject(application, fields);
    if (application.federatedIdentityCredentials.length >= MAX_FEDERATED_CREDENTIALS) {
      throw bad(`An application can have at most ${MAX_FEDERATED_CREDENTIALS} federated identity credentials.`, "InvalidFederatedIdentityCredentialValue");
    }
    const credential: FederatedIdentityCredentialRecord = { id: randomUUID(), ...fields };
    application.federatedIdentityCredentials = [...application.federatedIdentityCredentials, credential];
    return graphJson(request, 201, {
      "@odata.context": contextUrl(request, `applications('${application.id}')/federatedIdentityCredentials`, undefined, true),
      ...credential,
    });
  });
}

/** `PATCH` / `DELETE /applications/{id}/federatedIdentityCredentials/{id}` */
export function changeFederatedCredential(
  request: SandboxRequest,
  application: ApplicationRecord,
  credential: FederatedIdentityCredentialRecord,
): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  return respond(request, () => {
    if (request.method.toUpperCase() === "DELETE") {
      application.federatedIdentityCredentials = application.federatedIdentityCredentials.filter((other) => other.id !== credential.id);
      return graphEmpty(request, 204);
    }
    const fields = federatedCredentialFields(request, objectBody(request), credential);
    refuseDuplicateIssuerSubject(application, fields, credential.id);
    Object.assign(credential, fields);
    if (fields.claimsMatchingExpression === undefined) delete credential.claimsMatchingExpression;
    return graphEmpty(request, 204);
  });
}
