/**
 * The console's own registrations (fixed ids from the contract) and their consents:
 * SPA → API `access_as_user`; API → Graph/ARM delegated (for on-behalf-of); API → Graph application permissions
 * (for unattended jobs). Console app roles are assigned to personas (team lead through a group).
 */
import { createHash } from "node:crypto";

import {
  AZURE_RESOURCE_MANAGER_APP_ID,
  CONSOLE_API_CLIENT_ID,
  CONSOLE_API_CLIENT_SECRET,
  CONSOLE_API_IDENTIFIER_URI,
  CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
  CONSOLE_MANAGED_IDENTITY_NAME,
  CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
  CONSOLE_SPA_CLIENT_ID,
  MICROSOFT_GRAPH_APP_ID,
  SANDBOX_DEPLOYER_CLIENT_ID,
  SANDBOX_DEPLOYER_CLIENT_SECRET,
  TOKEN_EXCHANGE_AUDIENCE,
} from "../contract";
import { ARM_SERVICE_PRINCIPAL_ID, ARM_USER_IMPERSONATION_SCOPE_ID, GRAPH_APP_ROLE_IDS, GRAPH_SCOPE_IDS, GRAPH_SERVICE_PRINCIPAL_ID } from "./first-party";
import type { AppRoleRecord, ApplicationRecord, FederatedIdentityCredentialRecord, ServicePrincipalRecord } from "./model";
import { newApplication } from "./model";
import type { Tenant } from "./tenant";

export const CONSOLE_SPA_OBJECT_ID = "0c0a5e11-5a00-4000-8000-00000000a001";
export const CONSOLE_SPA_SERVICE_PRINCIPAL_ID = "0c0a5e11-5a00-4000-8000-00000000b001";
export const CONSOLE_API_OBJECT_ID = "0c0a5e11-a910-4000-8000-00000000a002";
export const CONSOLE_API_SERVICE_PRINCIPAL_ID = "0c0a5e11-a910-4000-8000-00000000b002";
export const CONSOLE_API_SECRET_KEY_ID = "0c0a5e11-a910-4000-8000-00000000c002";
const ACCESS_AS_USER_SCOPE_ID = "0c0a5e11-a910-4000-8000-00000000d001";

export const CONSOLE_APP_ROLE_IDS = {
  "Console.Admin": "0c0a5e11-a910-4000-8000-00000000e001",
  "Console.Requester": "0c0a5e11-a910-4000-8000-00000000e002",
  "Console.SecurityReader": "0c0a5e11-a910-4000-8000-00000000e003",
} as const;

export const CONSOLE_API_DELEGATED_GRAPH_SCOPES = ["User.Read", "User.ReadBasic.All", "Directory.Read.All", "GroupMember.Read.All", "Application.Read.All"];
export const CONSOLE_API_GRAPH_APP_PERMISSIONS = ["Application.Read.All", "Directory.Read.All", "GroupMember.Read.All", "User.Read.All", "Mail.Send"];

const CONSOLE_ROLE_DESCRIPTIONS: Record<keyof typeof CONSOLE_APP_ROLE_IDS, string> = {
  "Console.Admin": "Administers Gatehouse: approves and applies access changes.",
  "Console.Requester": "Requests access to Azure ML workspaces for a team.",
  "Console.SecurityReader": "Reads access, credential and audit reports.",
};

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The service principal Entra creates for an application registration (the enterprise application). */
export function servicePrincipalFor(application: ApplicationRecord, id: string, createdDateTime: string): ServicePrincipalRecord {
  return {
    kind: "servicePrincipal",
    id,
    appId: application.appId,
    displayName: application.displayName,
    appDisplayName: application.displayName,
    appDescription: null,
    description: null,
    servicePrincipalType: "Application",
    appOwnerOrganizationId: null,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    createdDateTime,
    servicePrincipalNames: [application.appId, ...application.identifierUris],
    alternativeNames: [],
    replyUrls: [...application.spaRedirectUris, ...application.webRedirectUris],
    tags: ["WindowsAzureActiveDirectoryIntegratedApp"],
    signInAudience: application.signInAudience,
    appRoles: application.appRoles,
    oauth2PermissionScopes: application.oauth2PermissionScopes,
    passwordCredentials: [],
    keyCredentials: [],
    ownerIds: [],
  };
}

/**
 * The console's SPA redirect URIs for one origin: the redirect bridge (`/auth/redirect`) that popup sign-ins and silent
 * renewals return to, and the root, under which its sign-out asks to land (Entra requires a post-logout redirect URI
 * to match a registered redirect URI).
 */
export function consoleSpaRedirectUris(origin: string): string[] {
  return [`${origin}/auth/redirect`, `${origin}/`];
}

export function seedConsoleApplications(tenant: Tenant, createdDateTime: string, adminObjectId: string): void {
  const appRoles: AppRoleRecord[] = Object.entries(CONSOLE_APP_ROLE_IDS).map(([value, id]) => ({
    id,
    value,
    displayName: value,
    description: CONSOLE_ROLE_DESCRIPTIONS[value as keyof typeof CONSOLE_APP_ROLE_IDS],
    allowedMemberTypes: ["User"],
    isEnabled: true,
    origin: "Application",
  }));
  const secretEnd = new Date(tenant.createdAt.getTime() + 365 * 86_400_000);
  const api = tenant.addApplication(
    newApplication({
      id: CONSOLE_API_OBJECT_ID,
      appId: CONSOLE_API_CLIENT_ID,
      displayName: "Gatehouse Console API",
      description: "Server side of the Gatehouse console (on-behalf-of and unattended jobs).",
      createdDateTime,
      identifierUris: [CONSOLE_API_IDENTIFIER_URI],
      appRoles,
      oauth2PermissionScopes: [
        {
          id: ACCESS_AS_USER_SCOPE_ID,
          value: "access_as_user",
          adminConsentDisplayName: "Access Gatehouse as the signed-in user",
          adminConsentDescription: "Allows the console to call the Gatehouse API on behalf of the signed-in user.",
          userConsentDisplayName: "Access Gatehouse as you",
          userConsentDescription: "Allows the console to call the Gatehouse API on your behalf.",
          type: "User",
          isEnabled: true,
        },
      ],
      requiredResourceAccess: [
        {
          resourceAppId: MICROSOFT_GRAPH_APP_ID,
          resourceAccess: [
            ...CONSOLE_API_DELEGATED_GRAPH_SCOPES.map((value) => ({ id: GRAPH_SCOPE_IDS[value] ?? "", type: "Scope" as const })),
            ...CONSOLE_API_GRAPH_APP_PERMISSIONS.map((value) => ({ id: GRAPH_APP_ROLE_IDS[value] ?? "", type: "Role" as const })),
          ],
        },
        {
          resourceAppId: AZURE_RESOURCE_MANAGER_APP_ID,
          resourceAccess: [{ id: ARM_USER_IMPERSONATION_SCOPE_ID, type: "Scope" }],
        },
      ],
      passwordCredentials: [
        {
          keyId: CONSOLE_API_SECRET_KEY_ID,
          displayName: "sandbox on-behalf-of secret",
          hint: CONSOLE_API_CLIENT_SECRET.slice(0, 3),
          secretText: CONSOLE_API_CLIENT_SECRET,
          startDateTime: isoSeconds(tenant.createdAt),
          endDateTime: isoSeconds(secretEnd),
        },
      ],
      ownerIds: [adminObjectId],
    }),
  );
  const spa = tenant.addApplication(
    newApplication({
      id: CONSOLE_SPA_OBJECT_ID,
      appId: CONSOLE_SPA_CLIENT_ID,
      displayName: "Gatehouse Console",
      description: "The Gatehouse single-page sign-in client.",
      createdDateTime,
      spaRedirectUris: consoleSpaRedirectUris("http://localhost:3000"),
      requiredResourceAccess: [{ resourceAppId: CONSOLE_API_CLIENT_ID, resourceAccess: [{ id: ACCESS_AS_USER_SCOPE_ID, type: "Scope" }] }],
      ownerIds: [adminObjectId],
    }),
  );
  const apiSp = tenant.addServicePrincipal(servicePrincipalFor(api, CONSOLE_API_SERVICE_PRINCIPAL_ID, createdDateTime));
  apiSp.appRoleAssignmentRequired = true;
  tenant.addServicePrincipal(servicePrincipalFor(spa, CONSOLE_SPA_SERVICE_PRINCIPAL_ID, createdDateTime));

  tenant.addOAuth2PermissionGrant({
    id: "0c0a5e11-0000-4000-8000-00000000f001",
    clientId: CONSOLE_SPA_SERVICE_PRINCIPAL_ID,
    resourceId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
    scopes: ["access_as_user"],
  });
  tenant.addOAuth2PermissionGrant({
    id: "0c0a5e11-0000-4000-8000-00000000f002",
    clientId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
    resourceId: GRAPH_SERVICE_PRINCIPAL_ID,
    scopes: [...CONSOLE_API_DELEGATED_GRAPH_SCOPES],
  });
  tenant.addOAuth2PermissionGrant({
    id: "0c0a5e11-0000-4000-8000-00000000f003",
    clientId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
    resourceId: ARM_SERVICE_PRINCIPAL_ID,
    scopes: ["user_impersonation"],
  });
  CONSOLE_API_GRAPH_APP_PERMISSIONS.forEach((value, index) => {
    tenant.addAppRoleAssignment({
      id: `0c0a5e11-0000-4000-8000-0000000f10${index.toString().padStart(2, "0")}`,
      principalId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
      principalType: "ServicePrincipal",
      resourceId: GRAPH_SERVICE_PRINCIPAL_ID,
      appRoleId: GRAPH_APP_ROLE_IDS[value] ?? "",
      createdDateTime,
    });
  });
}

/**
 * The console's user-assigned managed identity ("id-gatehouse-console" in the production subscription's shared
 * resource group). Fixed ids and dates derived from the tenant's creation time, so adding it draws nothing from the
 * seeded generator and every other seeded id stays the same.
 */
export function seedConsoleManagedIdentity(tenant: Tenant, resourceId: string, createdDateTime: string): ServicePrincipalRecord {
  const digest = (label: string, bytes: number) => createHash("sha256").update(`${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}:${label}`).digest().subarray(0, bytes);
  const sha1 = digest("sha1", 20);
  // Entra rotates a managed identity's certificate itself (about every 90 days); it shows on the service principal.
  const start = new Date(tenant.createdAt.getTime() - 30 * 86_400_000);
  const end = new Date(start.getTime() + 90 * 86_400_000);
  return tenant.addServicePrincipal({
    kind: "servicePrincipal",
    id: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
    appId: CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
    displayName: CONSOLE_MANAGED_IDENTITY_NAME,
    appDisplayName: null,
    appDescription: null,
    description: null,
    servicePrincipalType: "ManagedIdentity",
    appOwnerOrganizationId: null,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    createdDateTime,
    servicePrincipalNames: [CONSOLE_MANAGED_IDENTITY_CLIENT_ID, resourceId],
    alternativeNames: ["isExplicit=True", resourceId],
    replyUrls: [],
    tags: [],
    signInAudience: null,
    appRoles: [],
    oauth2PermissionScopes: [],
    passwordCredentials: [],
    keyCredentials: [
      {
        keyId: "0c0a5e11-1d00-4000-8000-00000000c003",
        displayName: `CN=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`,
        type: "AsymmetricX509Cert",
        usage: "Verify",
        startDateTime: isoSeconds(start),
        endDateTime: isoSeconds(end),
        customKeyIdentifier: sha1.toString("hex").toUpperCase(),
        thumbprintSha1: sha1.toString("base64url"),
        thumbprintSha256: digest("sha256", 32).toString("base64url"),
        publicKeyPem: null,
      },
    ],
    ownerIds: [],
  });
}

/**
 * "Gatehouse Deployer (sandbox)": an automation app with Graph's `Application.ReadWrite.All` application permission
 * and a documented sandbox secret, which `npm run azure:register -- --sandbox` signs in as. Fixed ids, no draws.
 */
export function seedSandboxDeployer(tenant: Tenant, createdDateTime: string, adminObjectId: string): void {
  const application = tenant.addApplication(
    newApplication({
      id: "0c0a5e11-de90-4000-8000-00000000a004",
      appId: SANDBOX_DEPLOYER_CLIENT_ID,
      displayName: "Gatehouse Deployer (sandbox)",
      description: "Registers the Gatehouse apps in the sandbox tenant (npm run azure:register -- --sandbox).",
      createdDateTime,
      requiredResourceAccess: [
        {
          resourceAppId: MICROSOFT_GRAPH_APP_ID,
          resourceAccess: DEPLOYER_GRAPH_APP_PERMISSIONS.map((value) => ({ id: GRAPH_APP_ROLE_IDS[value] ?? "", type: "Role" as const })),
        },
      ],
      passwordCredentials: [
        {
          keyId: "0c0a5e11-de90-4000-8000-00000000c004",
          displayName: "sandbox deployer secret",
          hint: SANDBOX_DEPLOYER_CLIENT_SECRET.slice(0, 3),
          secretText: SANDBOX_DEPLOYER_CLIENT_SECRET,
          startDateTime: isoSeconds(tenant.createdAt),
          endDateTime: isoSeconds(new Date(tenant.createdAt.getTime() + 365 * 86_400_000)),
        },
      ],
      ownerIds: [adminObjectId],
    }),
  );
  tenant.addServicePrincipal(servicePrincipalFor(application, "0c0a5e11-de90-4000-8000-00000000b004", createdDateTime));
  DEPLOYER_GRAPH_APP_PERMISSIONS.forEach((value, index) => {
    tenant.addAppRoleAssignment({
      id: `0c0a5e11-0000-4000-8000-0000000f200${index}`,
      principalId: "0c0a5e11-de90-4000-8000-00000000b004",
      principalType: "ServicePrincipal",
      resourceId: GRAPH_SERVICE_PRINCIPAL_ID,
      appRoleId: GRAPH_APP_ROLE_IDS[value] ?? "",
      createdDateTime,
    });
  });
}

/** Writing app registrations, and reading what has been consented (oauth2PermissionGrants need Directory.Read.All). */
const DEPLOYER_GRAPH_APP_PERMISSIONS = ["Application.ReadWrite.All", "Directory.Read.All"];

/** Name of the API app's federated credential that trusts the console's managed identity. */
export const CONSOLE_FEDERATED_CREDENTIAL_NAME = "gatehouse-console-managed-identity";

/**
 * The API app's federated credential for the console's managed identity, as Entra documents it for a managed identity
 * as a credential: issuer = the tenant's v2.0 issuer, subject = the identity's object (principal) id, audience
 * `api://AzureADTokenExchange` in the public cloud, the cloud's own elsewhere (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
 */
export function consoleFederatedCredential(issuer: string, audience: string = TOKEN_EXCHANGE_AUDIENCE): FederatedIdentityCredentialRecord {
  return {
    id: "0c0a5e11-a910-4000-8000-00000000c004",
    name: CONSOLE_FEDERATED_CREDENTIAL_NAME,
    issuer,
    subject: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
    description: "The Gatehouse console's user-assigned managed identity (no secret anywhere).",
    audiences: [audience],
  };
}

/** Assigns a console app role (by value) to a user or group on the API's service principal. */
export function assignConsoleRole(
  tenant: Tenant,
  id: string,
  principalId: string,
  principalType: "User" | "Group",
  role: keyof typeof CONSOLE_APP_ROLE_IDS,
  createdDateTime: string,
): void {
  tenant.addAppRoleAssignment({
    id,
    principalId,
    principalType,
    resourceId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
    appRoleId: CONSOLE_APP_ROLE_IDS[role],
    createdDateTime,
  });
}
