/**
 * First-party apps every Entra tenant has a service principal for: the resources Microsoft Graph and Azure Resource
 * Manager, and the public clients admins' own tools sign in with (Azure CLI, Azure PowerShell, Visual Studio Code).
 * Permission ids are Microsoft's real, cloud-invariant ids so `requiredResourceAccess` looks like production.
 */
import { AZURE_RESOURCE_MANAGER_APP_ID, MICROSOFT_GRAPH_APP_ID, type SandboxCloud } from "../contract";
import type { AppRoleRecord, PermissionScopeRecord, ServicePrincipalRecord } from "./model";
import { MICROSOFT_SERVICES_TENANT_ID } from "./model";

/** Graph application permissions (app roles on the Graph service principal). */
export const GRAPH_APP_ROLE_IDS: Readonly<Record<string, string>> = {
  "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
  "User.ReadWrite.All": "741f803b-c850-494e-b5df-cde7c675a1ca",
  "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
  "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
  "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
  "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
  "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
  "Mail.Send": "b633e1c5-b582-4048-a93e-9f11b44c7e96",
};

/** Graph delegated permissions (OAuth2 scopes on the Graph service principal). */
export const GRAPH_SCOPE_IDS: Readonly<Record<string, string>> = {
  "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
  "User.ReadBasic.All": "b340eb25-3456-403f-be2f-af7a0d370277",
  "User.Read.All": "a154be20-db9c-4678-8ab7-66f6cc099a59",
  "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
  "Group.Read.All": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
  "GroupMember.Read.All": "bc024368-1153-4739-b217-4326f2e966d0",
  "Application.Read.All": "c79f8feb-a9db-4090-85f9-90d820caa0eb",
  "Mail.Send": "e383f46e-2787-4529-855e-0e479a3ffac0",
  openid: "37f7f235-527c-4136-accd-4a02d197296e",
  profile: "14dad69e-099b-42c9-810b-d002981feec1",
  offline_access: "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
};

export const ARM_USER_IMPERSONATION_SCOPE_ID = "41094075-9dad-400e-a0bd-54e686782033";

/** Object ids of the first-party service principals in this tenant (per tenant in Entra; fixed here). */
export const GRAPH_SERVICE_PRINCIPAL_ID = "5e9f0000-0000-4000-8000-00000000a001";
export const ARM_SERVICE_PRINCIPAL_ID = "5e9f0000-0000-4000-8000-00000000a002";

/** Microsoft's public client ids (the same in every tenant); each constant names where the id is used. */
// Azure/azure-cli `src/azure-cli-core/azure/cli/core/auth/identity.py` (AZURE_CLI_CLIENT_ID); also @azure/identity's
// DeveloperSignOnClientId, the default client of InteractiveBrowserCredential and DeviceCodeCredential.
export const AZURE_CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
// Azure/azure-powershell `src/Accounts/Authenticators/AuthenticationHelpers.cs` (PowerShellClientId).
export const AZURE_POWERSHELL_APP_ID = "1950a258-227b-4e31-a9cf-717495945fc2";
// microsoft/vscode `extensions/microsoft-authentication/src/common/scopeData.ts` (DEFAULT_CLIENT_ID); also
// @azure/identity's VisualStudioCodeCredential.
export const VISUAL_STUDIO_CODE_APP_ID = "aebc6443-996d-45c2-90f0-388ff96faa56";

/**
 * A Microsoft public client ("Mobile and desktop applications" platform): no credential, so it redeems codes and
 * refresh tokens with none, and Entra ignores the port of its loopback redirect URIs (see entra/redirect-uris.ts).
 */
export interface FirstPartyPublicClient {
  readonly appId: string;
  readonly displayName: string;
  readonly servicePrincipalId: string;
  readonly redirectUris: readonly string[];
  /** Delegated permissions by resource app id that the client has without any consent in the tenant. */
  readonly preAuthorized: Readonly<Record<string, readonly string[]>>;
}

/**
 * All three sign in through MSAL's loopback listener with the redirect URI `http://localhost:<port>`, the port chosen
 * when they start: MSAL Python's `acquire_token_interactive` (Azure CLI; "AAD portal rejects 127.0.0.1 anyway"),
 * `InteractiveUserAuthenticator.GetReplyUrl` (Azure PowerShell, ports 8400–8999) and msal-node's `LoopbackClient`
 * (VS Code, @azure/identity). So each has `http://localhost` registered and nothing on 127.0.0.1. Their real
 * registrations hold more redirect URIs (brokers, device code needs none) that the sandbox does not model.
 *
 * Pre-authorized scopes: ARM `user_impersonation` is what an Azure CLI token for ARM carries (`scp`, with
 * `appidacr` 0: MicrosoftDocs/azure-docs#113815). Real first-party tokens for Graph carry much more (e.g.
 * `Directory.AccessAsUser.All`, Azure/azure-powershell#24334), which the sandbox's Graph does not define; it grants
 * `User.Read` only, so a tool relying on more is refused here rather than passing by accident.
 */
export const FIRST_PARTY_PUBLIC_CLIENTS: readonly FirstPartyPublicClient[] = [
  { appId: AZURE_CLI_APP_ID, displayName: "Microsoft Azure CLI", servicePrincipalId: "5e9f0000-0000-4000-8000-00000000a011" },
  { appId: AZURE_POWERSHELL_APP_ID, displayName: "Microsoft Azure PowerShell", servicePrincipalId: "5e9f0000-0000-4000-8000-00000000a012" },
  { appId: VISUAL_STUDIO_CODE_APP_ID, displayName: "Visual Studio Code", servicePrincipalId: "5e9f0000-0000-4000-8000-00000000a013" },
].map((client) => ({
  ...client,
  redirectUris: ["http://localhost"],
  preAuthorized: { [MICROSOFT_GRAPH_APP_ID]: ["User.Read"], [AZURE_RESOURCE_MANAGER_APP_ID]: ["user_impersonation"] },
}));

export function findFirstPartyPublicClient(appId: string): FirstPartyPublicClient | undefined {
  return FIRST_PARTY_PUBLIC_CLIENTS.find((client) => client.appId.toLowerCase() === appId.toLowerCase());
}

function appRole(value: string, id: string): AppRoleRecord {
  return {
    id,
    value,
    displayName: value,
    description: `Allows the app to use ${value} without a signed-in user.`,
    allowedMemberTypes: ["Application"],
    isEnabled: true,
    origin: "Application",
  };
}

function scope(value: string, id: string, type: "User" | "Admin"): PermissionScopeRecord {
  return {
    id,
    value,
    adminConsentDisplayName: value,
    adminConsentDescription: `Allows the app to use ${value} on behalf of the signed-in user.`,
    userConsentDisplayName: type === "User" ? value : null,
    userConsentDescription: type === "User" ? `Allows the app to use ${value} on your behalf.` : null,
    type,
    isEnabled: true,
  };
}

/**
 * Graph's and ARM's service principals. Their servicePrincipalNames are the cloud's resource ids, which is what a
 * scope may name (Graph's with and without the trailing slash as real tenants list it; ARM's with it).
 */
export function firstPartyServicePrincipals(createdDateTime: string, cloud: SandboxCloud): ServicePrincipalRecord[] {
  const base = {
    kind: "servicePrincipal" as const,
    appDescription: null,
    description: null,
    servicePrincipalType: "Application" as const,
    appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    createdDateTime,
    alternativeNames: [],
    replyUrls: [],
    tags: [],
    signInAudience: "AzureADMultipleOrgs",
    passwordCredentials: [],
    keyCredentials: [],
    ownerIds: [],
  };
  const userScopes = new Set(["User.Read", "User.ReadBasic.All", "openid", "profile", "offline_access"]);
  return [
    {
      ...base,
      id: GRAPH_SERVICE_PRINCIPAL_ID,
      appId: MICROSOFT_GRAPH_APP_ID,
      displayName: "Microsoft Graph",
      appDisplayName: "Microsoft Graph",
      servicePrincipalNames: [MICROSOFT_GRAPH_APP_ID, ...cloud.graphAliases, cloud.graphResource, `${cloud.graphResource}/`],
      appRoles: Object.entries(GRAPH_APP_ROLE_IDS).map(([value, id]) => appRole(value, id)),
      oauth2PermissionScopes: Object.entries(GRAPH_SCOPE_IDS).map(([value, id]) => scope(value, id, userScopes.has(value) ? "User" : "Admin")),
    },
    {
      ...base,
      id: ARM_SERVICE_PRINCIPAL_ID,
      appId: AZURE_RESOURCE_MANAGER_APP_ID,
      displayName: "Windows Azure Service Management API",
      appDisplayName: "Windows Azure Service Management API",
      servicePrincipalNames: [AZURE_RESOURCE_MANAGER_APP_ID, `${cloud.armResources[1]}/`, `${cloud.armResources[0]}/`],
      appRoles: [],
      oauth2PermissionScopes: [scope("user_impersonation", ARM_USER_IMPERSONATION_SCOPE_ID, "User")],
    },
    ...FIRST_PARTY_PUBLIC_CLIENTS.map((client) => ({
      ...base,
      id: client.servicePrincipalId,
      appId: client.appId,
      displayName: client.displayName,
      appDisplayName: client.displayName,
      servicePrincipalNames: [client.appId],
      replyUrls: [...client.redirectUris],
      appRoles: [],
      oauth2PermissionScopes: [],
    })),
  ];
}
