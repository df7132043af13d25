/**
 * Creates or updates, idempotently, Gatehouse's two app registrations through Microsoft Graph — what
 * docs/azure-setup.md describes by hand — and reports what an administrator must still do (consent, role
 * assignments) and the settings to run with. It reads first and writes only what differs: a second run against an
 * unchanged tenant makes no write call.
 *
 * Graph's order of operations is respected: an app's `api://{appId}` identifier URI can only be set once the app
 * (and its appId) exists; `preAuthorizedApplications` may only name a scope the API already has, so the scope is
 * written first, then the browser app, then the pre-authorization.
 */
import { AZURE_CLOUDS, type AzureCloudName } from "@/lib/config/clouds.mjs";
import { randomUUID } from "node:crypto";

import type { Client } from "@microsoft/microsoft-graph-client";
import { z } from "zod";

import { readAllPages } from "@/lib/graph/pages";
import { AZURE_RESOURCE_MANAGER_APP_ID, GRAPH_APPLICATION, GRAPH_DELEGATED, MICROSOFT_GRAPH_APP_ID } from "@/lib/shared/console-api-permissions";
import { CONSOLE_ROLE_DESCRIPTIONS, CONSOLE_ROLES } from "@/lib/shared/console-roles";

export { AZURE_RESOURCE_MANAGER_APP_ID, GRAPH_APPLICATION, GRAPH_DELEGATED, MICROSOFT_GRAPH_APP_ID };
export const FEDERATED_CREDENTIAL_NAME = "gatehouse-managed-identity";

const ACCESS_AS_USER = {
  value: "access_as_user",
  type: "User",
  adminConsentDisplayName: "Access Gatehouse as the signed-in user",
  adminConsentDescription: "Allows the Gatehouse console to call its API on behalf of the signed-in user.",
  userConsentDisplayName: "Access Gatehouse as you",
  userConsentDescription: "Allows the Gatehouse console to call its API on your behalf.",
} as const;

/** The console's app roles: the names and descriptions the console itself uses (lib/shared/console-roles.ts). */
export const CONSOLE_APP_ROLES = CONSOLE_ROLES.map((value) => ({ value, displayName: value, description: CONSOLE_ROLE_DESCRIPTIONS[value] }));

export interface RegistrationOptions {
  /** Display name of the browser app; the API is "<name> API". Default "Gatehouse". */
  readonly name: string;
  /** The https origin people use, e.g. https://gatehouse.contoso.com (http://localhost is accepted for tests). */
  readonly publicOrigin: string;
  readonly tenantId: string;
  /** Entra's authority host (the issuer of managed identities' tokens): https://login.microsoftonline.com. */
  readonly authorityHost: string;
  /** The Azure cloud (default public): its exchange audience goes into the federated credential. */
  readonly cloud?: AzureCloudName;
  /** The console's user-assigned managed identity; when given, the API app trusts it as a federated credential. */
  readonly managedIdentity?: { readonly principalId: string; readonly clientId?: string };
}

export interface ConsentItem {
  readonly app: string;
  readonly resource: string;
  readonly kind: "delegated" | "application";
  readonly permissions: string[];
}

export interface RegistrationResult {
  readonly apiApp: { readonly id: string; readonly appId: string };
  readonly spaApp: { readonly id: string; readonly appId: string };
  /** What this run created or changed, one line each; empty when everything was already in place. */
  readonly changes: string[];
  /** Permissions an administrator has not yet granted tenant-wide consent for. */
  readonly consentMissing: ConsentItem[];
  /** Settings for the console (as in .env.example). */
  readonly settings: Record<string, string>;
}

// Loose objects: scopes and roles are written back as read, so properties this script does not know stay as they are.
const permissionScopeSchema = z.looseObject({
  id: z.string(),
  value: z.string(),
  type: z.string(),
  isEnabled: z.boolean(),
  adminConsentDisplayName: z.string(),
  adminConsentDescription: z.string(),
  userConsentDisplayName: z.string().nullable(),
  userConsentDescription: z.string().nullable(),
});

const appRoleSchema = z.looseObject({
  id: z.string(),
  value: z.string(),
  displayName: z.string(),
  description: z.string(),
  allowedMemberTypes: z.array(z.string()),
  isEnabled: z.boolean(),
});

interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: { id: string; type: "Scope" | "Role" }[];
}

const applicationStateSchema = z.looseObject({
  id: z.string(),
  appId: z.string(),
  displayName: z.string(),
  signInAudience: z.string(),
  tags: z.array(z.string()),
  identifierUris: z.array(z.string()),
  appRoles: z.array(appRoleSchema),
  requiredResourceAccess: z.array(
    z.looseObject({ resourceAppId: z.string(), resourceAccess: z.array(z.looseObject({ id: z.string(), type: z.enum(["Scope", "Role"]) })) }),
  ),
  spa: z.looseObject({ redirectUris: z.array(z.string()) }),
  api: z.looseObject({
    requestedAccessTokenVersion: z.number().nullable(),
    oauth2PermissionScopes: z.array(permissionScopeSchema),
    preAuthorizedApplications: z.array(z.looseObject({ appId: z.string(), delegatedPermissionIds: z.array(z.string()) })),
  }),
});
type ApplicationState = z.output<typeof applicationStateSchema>;

interface ServicePrincipalState {
  id: string;
  appId: string;
  appRoleAssignmentRequired: boolean;
  appRoles: { id: string; value: string }[];
  oauth2PermissionScopes: { id: string; value: string }[];
}

const federatedCredentialSchema = z.looseObject({ id: z.string(), name: z.string(), issuer: z.string(), subject: z.string(), audiences: z.array(z.string()) });
const permissionGrantSchema = z.looseObject({ resourceId: z.string(), scope: z.string() });
const appRoleAssignmentSchema = z.looseObject({ resourceId: z.string(), appRoleId: z.string() });

const APPLICATION_FIELDS = ["id", "appId", "displayName", "signInAudience", "tags", "identifierUris", "appRoles", "requiredResourceAccess", "spa", "api"];

export class RegistrationError extends Error {}

function statusOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "statusCode" in error ? Number(error.statusCode) : undefined;
}

/** Graph's answer as one sentence for the operator. */
export function describeGraphError(error: unknown, doing: string): RegistrationError {
  const status = statusOf(error);
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const message = error instanceof Error ? error.message : String(error);
  if (status === 403) {
    return new RegistrationError(
      `Microsoft Graph refused to let the signed-in account ${doing} (${code || "403"}). Sign in as an Application Administrator (or with Application.ReadWrite.All and Directory.Read.All) and run it again.`,
    );
  }
  if (status === 401) return new RegistrationError(`Microsoft Graph did not accept the sign-in while trying to ${doing}. Sign in again (az login) and retry.`);
  return new RegistrationError(`Microsoft Graph could not ${doing}: ${code ? `${code}: ` : ""}${message}`);
}

async function step<T>(doing: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RegistrationError) throw error;
    throw describeGraphError(error, doing);
  }
}

const slug = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "gatehouse";

async function servicePrincipalByAppId(graph: Client, appId: string): Promise<ServicePrincipalState | undefined> {
  try {
    return (await graph
      .api(`/servicePrincipals(appId='${appId}')`)
      .select(["id", "appId", "appRoleAssignmentRequired", "appRoles", "oauth2PermissionScopes"])
      .get()) as ServicePrincipalState;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

async function applicationByTag(graph: Client, tag: string): Promise<ApplicationState | undefined> {
  // Every page: a second registration with the tag may be on a later one.
  const found = await readAllPages(graph, `/applications?$filter=tags/any(t:t eq '${tag}')&$select=${APPLICATION_FIELDS.join(",")}`, applicationStateSchema);
  if (found.length > 1) {
    throw new RegistrationError(
      `Several app registrations carry the tag '${tag}' (${found.map((app) => app.appId).join(", ")}). Remove the tag from all but one, then run again.`,
    );
  }
  return found[0];
}

function permissionId(resource: ServicePrincipalState, kind: "Scope" | "Role", value: string, resourceName: string): string {
  const list = kind === "Scope" ? resource.oauth2PermissionScopes : resource.appRoles;
  const found = list.find((permission) => permission.value === value);
  if (!found) throw new RegistrationError(`${resourceName} has no ${kind === "Scope" ? "delegated" : "application"} permission named ${value} in this tenant.`);
  return found.id;
}

/** `existing` plus every entry of `wanted` it lacks (per resource, per permission id), and whether anything was added. */
function mergeRequiredAccess(existing: RequiredResourceAccess[], wanted: RequiredResourceAccess[]): { merged: RequiredResourceAccess[]; changed: boolean } {
  const merged = existing.map((entry) => ({ resourceAppId: entry.resourceAppId, resourceAccess: [...entry.resourceAccess] }));
  let changed = false;
  for (const want of wanted) {
    let entry = merged.find((candidate) => candidate.resourceAppId.toLowerCase() === want.resourceAppId.toLowerCase());
    if (!entry) {
      entry = { resourceAppId: want.resourceAppId, resourceAccess: [] };
      merged.push(entry);
    }
    for (const access of want.resourceAccess) {
      if (!entry.resourceAccess.some((candidate) => candidate.id.toLowerCase() === access.id.toLowerCase() && candidate.type === access.type)) {
        entry.resourceAccess.push(access);
        changed = true;
      }
    }
  }
  return { merged, changed };
}

function withMissing(existing: string[], wanted: string[]): { merged: string[]; changed: boolean } {
  const missing = wanted.filter((value) => !existing.includes(value));
  return { merged: [...existing, ...missing], changed: missing.length > 0 };
}

export async function registerGatehouse(graph: Client, options: RegistrationOptions): Promise<RegistrationResult> {
  const changes: string[] = [];
  const origin = new URL(options.publicOrigin).origin;
  const instance = slug(options.name);
  const apiTag = `gatehouse:api:${instance}`;
  const spaTag = `gatehouse:spa:${instance}`;

  // The permission ids are the resources' own, read from their service principals in this tenant.
  const graphResource = await step("read Microsoft Graph's service principal", () => servicePrincipalByAppId(graph, MICROSOFT_GRAPH_APP_ID));
  const armResource = await step("read Azure Resource Manager's service principal", () => servicePrincipalByAppId(graph, AZURE_RESOURCE_MANAGER_APP_ID));
  if (!graphResource || !armResource) {
    throw new RegistrationError(
      "This tenant has no service principal for Microsoft Graph or Azure Resource Manager; is it an Entra ID tenant with an Azure subscription?",
    );
  }
  const apiWantedAccess: RequiredResourceAccess[] = [
    {
      resourceAppId: MICROSOFT_GRAPH_APP_ID,
      resourceAccess: [
        ...GRAPH_DELEGATED.map((value) => ({ id: permissionId(graphResource, "Scope", value, "Microsoft Graph"), type: "Scope" as const })),
        ...GRAPH_APPLICATION.map((value) => ({ id: permissionId(graphResource, "Role", value, "Microsoft Graph"), type: "Role" as const })),
      ],
    },
    {
      resourceAppId: AZURE_RESOURCE_MANAGER_APP_ID,
      resourceAccess: [{ id: permissionId(armResource, "Scope", "user_impersonation", "Azure Resource Manager"), type: "Scope" }],
    },
  ];

  // 1. The two registrations exist (created bare: an identifier URI needs the appId Graph assigns).
  const ensureApp = async (tag: string, displayName: string): Promise<ApplicationState> => {
    const existing = await step(`look up the app registration tagged ${tag}`, () => applicationByTag(graph, tag));
    if (existing) return existing;
    const created = (await step(`create the app registration ${displayName}`, () =>
      graph.api("/applications").post({ displayName, signInAudience: "AzureADMyOrg", tags: [tag] }),
    )) as ApplicationState;
    changes.push(`created app registration "${displayName}" (${created.appId})`);
    return created;
  };
  const api = await ensureApp(apiTag, `${options.name} API`);
  const spa = await ensureApp(spaTag, options.name);

  // 2. The API: identifier URI, v2 tokens, the access_as_user scope, the console roles, its permissions.
  const scopes = [...api.api.oauth2PermissionScopes];
  let scope = scopes.find((candidate) => candidate.value === ACCESS_AS_USER.value);
  let scopesChanged = false;
  if (!scope) {
    scope = { id: randomUUID(), isEnabled: true, ...ACCESS_AS_USER };
    scopes.push(scope);
    scopesChanged = true;
  } else if (!scope.isEnabled || (Object.keys(ACCESS_AS_USER) as (keyof typeof ACCESS_AS_USER)[]).some((key) => scope![key] !== ACCESS_AS_USER[key])) {
    Object.assign(scope, ACCESS_AS_USER, { isEnabled: true });
    scopesChanged = true;
  }
  const roles = api.appRoles.map((role) => ({ ...role }));
  let rolesChanged = false;
  for (const wanted of CONSOLE_APP_ROLES) {
    const role = roles.find((candidate) => candidate.value === wanted.value);
    if (!role) {
      roles.push({ id: randomUUID(), allowedMemberTypes: ["User"], isEnabled: true, ...wanted });
      rolesChanged = true;
    } else if (
      !role.isEnabled ||
      role.description !== wanted.description ||
      role.displayName !== wanted.displayName ||
      !role.allowedMemberTypes.includes("User")
    ) {
      Object.assign(role, wanted, { isEnabled: true, allowedMemberTypes: [...new Set([...role.allowedMemberTypes, "User"])] });
      rolesChanged = true;
    }
  }
  const identifierUris = withMissing(api.identifierUris, [`api://${api.appId}`]);
  const apiAccess = mergeRequiredAccess(api.requiredResourceAccess, apiWantedAccess);
  const tokenVersionChanged = api.api.requestedAccessTokenVersion !== 2;
  const apiPatch: Record<string, unknown> = {};
  if (identifierUris.changed) apiPatch.identifierUris = identifierUris.merged;
  if (rolesChanged) apiPatch.appRoles = roles;
  if (apiAccess.changed) apiPatch.requiredResourceAccess = apiAccess.merged;
  if (scopesChanged || tokenVersionChanged) {
    // The whole api object, pre-authorizations as they are: they may only name scopes that already exist.
    apiPatch.api = { requestedAccessTokenVersion: 2, oauth2PermissionScopes: scopes, preAuthorizedApplications: api.api.preAuthorizedApplications };
  }
  if (Object.keys(apiPatch).length > 0) {
    await step(`update the app registration ${api.displayName}`, () => graph.api(`/applications/${api.id}`).patch(apiPatch));
    changes.push(`updated "${api.displayName}": ${Object.keys(apiPatch).join(", ")}`);
  }

  // 3. The browser app: its redirect URIs (the redirect bridge popups and silent renewals return to, REDIRECT_BRIDGE_PATH
  // in lib/shared/browser-auth.ts, and the root) and the API's scope.
  const redirectUris = withMissing(spa.spa.redirectUris, [`${origin}/auth/redirect`, `${origin}/`]);
  const spaAccess = mergeRequiredAccess(spa.requiredResourceAccess, [{ resourceAppId: api.appId, resourceAccess: [{ id: scope.id, type: "Scope" }] }]);
  const spaPatch: Record<string, unknown> = {};
  if (redirectUris.changed) spaPatch.spa = { redirectUris: redirectUris.merged };
  if (spaAccess.changed) spaPatch.requiredResourceAccess = spaAccess.merged;
  if (spa.signInAudience !== "AzureADMyOrg") spaPatch.signInAudience = "AzureADMyOrg";
  if (Object.keys(spaPatch).length > 0) {
    await step(`update the app registration ${spa.displayName}`, () => graph.api(`/applications/${spa.id}`).patch(spaPatch));
    changes.push(`updated "${spa.displayName}": ${Object.keys(spaPatch).join(", ")}`);
  }

  // 4. The browser app is pre-authorized for the scope (now that the scope exists), so nobody is asked to consent to it.
  const preAuthorized = api.api.preAuthorizedApplications.map((entry) => ({ appId: entry.appId, delegatedPermissionIds: [...entry.delegatedPermissionIds] }));
  let spaEntry = preAuthorized.find((entry) => entry.appId.toLowerCase() === spa.appId.toLowerCase());
  if (!spaEntry) {
    spaEntry = { appId: spa.appId, delegatedPermissionIds: [] };
    preAuthorized.push(spaEntry);
  }
  if (!spaEntry.delegatedPermissionIds.some((id) => id.toLowerCase() === scope.id.toLowerCase())) {
    spaEntry.delegatedPermissionIds.push(scope.id);
    await step(`pre-authorize ${spa.displayName} on ${api.displayName}`, () =>
      graph
        .api(`/applications/${api.id}`)
        .patch({ api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: scopes, preAuthorizedApplications: preAuthorized } }),
    );
    changes.push(`pre-authorized "${spa.displayName}" for ${api.displayName}'s access_as_user`);
  }

  // 5. Service principals (enterprise applications); the API requires an assigned role to sign in.
  const ensureServicePrincipal = async (app: ApplicationState, assignmentRequired: boolean): Promise<ServicePrincipalState> => {
    const existing = await step(`read the service principal of ${app.displayName}`, () => servicePrincipalByAppId(graph, app.appId));
    if (!existing) {
      const created = (await step(`create the service principal of ${app.displayName}`, () =>
        graph.api("/servicePrincipals").post({ appId: app.appId, ...(assignmentRequired ? { appRoleAssignmentRequired: true } : {}) }),
      )) as ServicePrincipalState;
      changes.push(`created the service principal of "${app.displayName}"`);
      return created;
    }
    if (assignmentRequired && !existing.appRoleAssignmentRequired) {
      await step(`require role assignment on ${app.displayName}`, () =>
        graph.api(`/servicePrincipals/${existing.id}`).patch({ appRoleAssignmentRequired: true }),
      );
      changes.push(`"${app.displayName}": assignment required`);
    }
    return existing;
  };
  const apiSp = await ensureServicePrincipal(api, true);
  await ensureServicePrincipal(spa, false);

  // 6. The managed identity as the API app's credential: no secret anywhere.
  if (options.managedIdentity) {
    const wanted = {
      name: FEDERATED_CREDENTIAL_NAME,
      issuer: `${options.authorityHost.replace(/\/+$/, "")}/${options.tenantId}/v2.0`,
      subject: options.managedIdentity.principalId,
      // Each cloud has its own (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
      audiences: [AZURE_CLOUDS[options.cloud ?? "public"].tokenExchangeAudience],
      description: "The Gatehouse console's user-assigned managed identity.",
    };
    const existing = await step(`read the federated credentials of ${api.displayName}`, () =>
      readAllPages(graph, `/applications/${api.id}/federatedIdentityCredentials`, federatedCredentialSchema),
    );
    const current = existing.find((credential) => credential.name === FEDERATED_CREDENTIAL_NAME);
    if (!current) {
      await step(`add the managed identity's federated credential to ${api.displayName}`, () =>
        graph.api(`/applications/${api.id}/federatedIdentityCredentials`).post(wanted),
      );
      changes.push(`added federated credential "${FEDERATED_CREDENTIAL_NAME}" (managed identity ${wanted.subject})`);
    } else if (current.issuer !== wanted.issuer || current.subject !== wanted.subject || current.audiences.join() !== wanted.audiences.join()) {
      await step(`update the federated credential on ${api.displayName}`, () =>
        graph
          .api(`/applications/${api.id}/federatedIdentityCredentials/${current.id}`)
          .patch({ issuer: wanted.issuer, subject: wanted.subject, audiences: wanted.audiences }),
      );
      changes.push(`updated federated credential "${FEDERATED_CREDENTIAL_NAME}"`);
    }
  }

  // 7. What is still to consent to: compared with the tenant-wide grants that exist.
  const consentMissing: ConsentItem[] = [];
  const delegatedGrants = await step(`read the consents given to ${api.displayName}`, () =>
    readAllPages(graph, `/oauth2PermissionGrants?$filter=clientId eq '${apiSp.id}'`, permissionGrantSchema),
  );
  const granted = (resourceId: string) =>
    new Set(delegatedGrants.filter((grant) => grant.resourceId === resourceId).flatMap((grant) => grant.scope.split(" ").filter(Boolean)));
  const graphDelegatedMissing = GRAPH_DELEGATED.filter((value) => !granted(graphResource.id).has(value));
  if (graphDelegatedMissing.length > 0) {
    consentMissing.push({ app: `${options.name} API`, resource: "Microsoft Graph", kind: "delegated", permissions: graphDelegatedMissing });
  }
  if (!granted(armResource.id).has("user_impersonation")) {
    consentMissing.push({ app: `${options.name} API`, resource: "Azure Service Management", kind: "delegated", permissions: ["user_impersonation"] });
  }
  const appAssignments = await step(`read the application permissions granted to ${api.displayName}`, () =>
    readAllPages(graph, `/servicePrincipals/${apiSp.id}/appRoleAssignments`, appRoleAssignmentSchema),
  );
  const grantedRoles = new Set(appAssignments.filter((assignment) => assignment.resourceId === graphResource.id).map((assignment) => assignment.appRoleId));
  const graphApplicationMissing = GRAPH_APPLICATION.filter((value) => !grantedRoles.has(permissionId(graphResource, "Role", value, "Microsoft Graph")));
  if (graphApplicationMissing.length > 0) {
    consentMissing.push({ app: `${options.name} API`, resource: "Microsoft Graph", kind: "application", permissions: graphApplicationMissing });
  }

  return {
    apiApp: { id: api.id, appId: api.appId },
    spaApp: { id: spa.id, appId: spa.appId },
    changes,
    consentMissing,
    settings: {
      GATEHOUSE_MODE: "azure",
      ...(options.cloud && options.cloud !== "public" ? { AZURE_CLOUD: options.cloud } : {}),
      GATEHOUSE_PUBLIC_ORIGIN: origin,
      AZURE_TENANT_ID: options.tenantId,
      GATEHOUSE_ALLOWED_TENANTS: options.tenantId,
      GATEHOUSE_SPA_CLIENT_ID: spa.appId,
      GATEHOUSE_API_CLIENT_ID: api.appId,
      ...(options.managedIdentity
        ? {
            GATEHOUSE_CREDENTIAL: "managed-identity",
            AZURE_MANAGED_IDENTITY_CLIENT_ID: options.managedIdentity.clientId ?? "<the managed identity's client id>",
          }
        : { GATEHOUSE_CREDENTIAL: "managed-identity", AZURE_MANAGED_IDENTITY_CLIENT_ID: "<run again with --managed-identity-principal-id to federate it>" }),
      // A secret of the deployment's own, never printed: the operator makes it and keeps it in Key Vault.
      GATEHOUSE_SESSION_KEY: "<32 random bytes in base64: openssl rand -base64 32>",
    },
  };
}

/** The report an operator reads after a run. */
export function formatReport(result: RegistrationResult, options: RegistrationOptions): string {
  const lines: string[] = [];
  lines.push(result.changes.length === 0 ? "No changes: the app registrations were already as Gatehouse needs them." : "Changes:");
  for (const change of result.changes) lines.push(`  - ${change}`);
  lines.push("");
  if (result.consentMissing.length === 0) {
    lines.push("Admin consent: everything Gatehouse needs has been granted.");
  } else {
    lines.push("An administrator must still grant admin consent for:");
    for (const item of result.consentMissing) lines.push(`  - ${item.app} → ${item.resource} (${item.kind}): ${item.permissions.join(", ")}`);
    lines.push(`  Grant it in the Entra admin center (App registrations → ${options.name} API → API permissions → Grant admin consent), or:`);
    lines.push(`    az ad app permission admin-consent --id ${result.apiApp.appId}`);
  }
  lines.push("");
  lines.push(
    `Assign people or groups to Console.Admin, Console.Requester and Console.SecurityReader: Enterprise applications → ${options.name} API → Users and groups.`,
  );
  if (!options.managedIdentity) {
    lines.push(
      "No managed identity was given: run again with --managed-identity-principal-id <object id> (and --managed-identity-client-id) to add its federated credential.",
    );
  }
  lines.push("");
  lines.push("Settings for Gatehouse (see .env.example):");
  for (const [name, value] of Object.entries(result.settings)) lines.push(`${name}=${value}`);
  return lines.join("\n");
}
