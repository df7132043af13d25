/**
 * The seams between the sandbox's parts.
 *
 *   server.ts (HTTPS, routing, CORS, faults, journal, control)
 *     ├─ entra/   Entra ID v2: discovery, JWKS, authorize, token, logout — mints tokens
 *     ├─ auth.ts  verifies Graph/ARM bearer tokens → a `Caller`
 *     ├─ graph/   Microsoft Graph v1.0 handlers: (SandboxRequest) → SandboxResponse
 *     └─ arm/     Azure Resource Manager handlers: (SandboxRequest) → SandboxResponse
 *   tenant/       the in-memory tenant (directory + ARM data), seeded deterministically
 *
 * Graph and ARM handlers never see a token: the server verifies it and hands them the `Caller`.
 */

/** Well-known first-party application ids, as in every Entra tenant. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const AZURE_RESOURCE_MANAGER_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013";

/** Audiences of the public cloud's v1-shaped Graph/ARM access tokens asked for as `<resource>/.default` (see clouds.ts). */
export const GRAPH_AUDIENCE = "https://graph.microsoft.com";
export const ARM_AUDIENCE = "https://management.azure.com";
/** The Logs Ingestion API's token audience (`@azure/monitor-ingestion`'s `KnownMonitorAudience.AzurePublicCloud`). */
/** The sandbox's data collection rule and its stream for Gatehouse's audit trail (kept equal to lib/config/env.mjs). */
export const SANDBOX_AUDIT_DCR_IMMUTABLE_ID = "dcr-0c0a5e11a91040008000000000a0d170";
export const SANDBOX_AUDIT_STREAM = "Custom-GatehouseAudit_CL";

/**
 * The request header naming a caller's fault scope: a fault rule added with a `scope` applies only to calls that carry
 * the same value (control/faults.ts). Azure has no such header; the sandbox reads it for nothing else.
 */
export const FAULT_SCOPE_HEADER = "x-sandbox-fault-scope";

/** The Azure cloud a sandbox tenant emulates (the profiles are in clouds.ts). */
export type SandboxCloudName = "public" | "usgov" | "china";

export interface SandboxCloud {
  readonly name: SandboxCloudName;
  /** Microsoft Graph's resource id (its root URL), without a trailing slash. */
  readonly graphResource: string;
  /** Graph's other service principal names (real tenants list the canary host in the public cloud). */
  readonly graphAliases: readonly string[];
  /** ARM's resource ids: the `https://management.…` endpoint form first, then the classic `management.core` one. */
  readonly armResources: readonly [endpoint: string, classic: string];
  readonly tokenExchangeAudience: string;
  /** Azure Monitor's resource id (the Logs Ingestion API's audience), without a trailing slash. */
  readonly monitorResource: string;
  /** Host of the v1 issuer (`https://{host}/{tid}/`) of Graph's and ARM's tokens. */
  readonly v1IssuerHost: string;
  /** The `msgraph_host` Entra's discovery document names. */
  readonly msGraphHost: string;
}

/** Who is calling Graph or ARM, as read from a verified access token. */
export interface Caller {
  /** `user` for delegated tokens (auth code, OBO); `app` for client credentials. */
  readonly kind: "user" | "app";
  readonly tenantId: string;
  /** The user's object id, or the calling app's service-principal object id. */
  readonly objectId: string;
  /** The client application's app id (`appid`/`azp`). */
  readonly appId: string;
  /** Delegated permissions (`scp`), empty for app tokens. */
  readonly scopes: readonly string[];
  /** Application permissions (`roles`), empty for delegated tokens. */
  readonly roles: readonly string[];
  /** How the user signed in (`amr`: `pwd`, `mfa`), empty for app tokens. */
  readonly authMethods: readonly string[];
}

export interface SandboxRequest {
  readonly method: string;
  /** Path without query string, percent-decoded once, leading slashes collapsed to one. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON body, or undefined when there is none. */
  readonly body: unknown;
  readonly caller: Caller;
  /** The id the server put in `x-ms-request-id` / `request-id`. */
  readonly requestId: string;
  /** The sandbox clock (can be moved by the control API). */
  readonly now: Date;
  /** Origin of the sandbox, e.g. `https://localhost:8443`, for absolute next links. */
  readonly origin: string;
  /** Graph only: the page size when the request names no `$top` (the `graphDefaultPageSize` setting). */
  readonly defaultPageSize?: number;
}

export interface SandboxResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON when present; absent means an empty body. */
  readonly body?: unknown;
}

export type SandboxHandler = (request: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

/** Behaviour the control API can change at run time; read by every part on each request. */
export interface SandboxSettings {
  /** Seconds before a new role assignment starts authorizing ARM calls (Azure: up to 10 minutes). */
  propagationDelaySeconds: number;
  /** Role assignments allowed per subscription (Azure: 4,000). */
  roleAssignmentLimitPerSubscription: number;
  /** Lifetime of issued access tokens, in seconds. */
  accessTokenLifetimeSeconds: number;
  /** Added to the wall clock to form the sandbox clock (moves expiry forward in tests). */
  clockOffsetMs: number;
  /** Resource Graph queries each user may send per window (Azure's documented example: 15). */
  resourceGraphQuotaPerWindow: number;
  /** Length of that window, in seconds (Azure's documented example: 5). */
  resourceGraphQuotaWindowSeconds: number;
  /**
   * Items on a Graph page when the request names no `$top` (server-side paging; `GET /users` answers 100). Graph's
   * default depends on the API, so a client must follow `@odata.nextLink`; a small value here proves that it does.
   */
  graphDefaultPageSize: number;
}

// ---------------------------------------------------------------------------------------------
// The tenant as the Entra part needs it (implemented by tenant/, used by entra/ and auth.ts).
// ---------------------------------------------------------------------------------------------

export type PersonaKey = "admin" | "limited-admin" | "team-lead" | "security" | "no-role" | "step-up-admin" | "fraud-owner";

/** A documented sign-in for demos and tests. */
export interface Persona {
  readonly key: PersonaKey;
  readonly objectId: string;
  readonly userPrincipalName: string;
  readonly password: string;
  readonly displayName: string;
  /** What the persona is for, in one sentence (shown on the sign-in page and in tenant.json). */
  readonly description: string;
  /** App roles on the console's API (`Console.Admin`, `Console.Requester`, `Console.SecurityReader`). */
  readonly consoleRoles: readonly string[];
  /** ARM answers this persona's writes with an MFA claims challenge unless the token carries `mfa` in `amr`. */
  readonly armWritesNeedMfa?: boolean;
}

export interface SignInUser {
  readonly objectId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  /** Sandbox users all have a password; seeded non-persona users share one documented password. */
  readonly password: string;
  readonly accountEnabled: boolean;
}

export interface ClientSecretForAuth {
  readonly keyId: string;
  readonly secretText: string;
  readonly endDateTime: string | null;
}

export interface ClientCertificateForAuth {
  readonly keyId: string;
  /** base64url SHA-256 of the DER certificate, as in the `x5t#S256` header of a client assertion. */
  readonly thumbprintSha256: string;
  /** base64url SHA-1 of the DER certificate (`x5t`), for older clients. */
  readonly thumbprintSha1: string;
  readonly publicKeyPem: string;
  readonly endDateTime: string | null;
}

/**
 * A federated identity credential on an app registration: Entra accepts a client assertion whose `iss`, `sub` and
 * `aud` match one of them (https://learn.microsoft.com/entra/workload-id/workload-identity-federation).
 */
export interface FederatedCredentialForAuth {
  readonly name: string;
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

/** A managed identity as the token endpoints need it: its service principal (object id) and client id. */
export interface ManagedIdentityForAuth {
  /** Client id (`appId` of the managed identity's service principal). */
  readonly clientId: string;
  /** Object (principal) id of its service principal: the `sub` and `oid` of its tokens. */
  readonly principalId: string;
  readonly displayName: string;
  /** ARM id of the user-assigned identity (`…/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`). */
  readonly resourceId: string;
}

export interface AppRegistrationForAuth {
  readonly appId: string;
  readonly displayName: string;
  /** Object id of the app's service principal in this tenant. */
  readonly servicePrincipalId: string;
  readonly spaRedirectUris: readonly string[];
  readonly webRedirectUris: readonly string[];
  /** "Mobile and desktop applications" redirect URIs: a public client, redeeming without a credential. */
  readonly publicClientRedirectUris: readonly string[];
  readonly secrets: readonly ClientSecretForAuth[];
  readonly certificates: readonly ClientCertificateForAuth[];
  /** e.g. `api://<appId>` */
  readonly identifierUris: readonly string[];
  /** Delegated scopes this app exposes (`access_as_user`). */
  readonly exposedScopes: readonly string[];
  /** App roles this app defines (values, e.g. `Console.Admin`). */
  readonly appRoles: readonly string[];
  /** Federated identity credentials (workload identity federation, managed identity as a credential). */
  readonly federatedCredentials: readonly FederatedCredentialForAuth[];
}

export interface TenantAuthView {
  readonly tenantId: string;
  /** The cloud it emulates: Graph's and ARM's resource ids, the exchange audience, the v1 issuer. */
  readonly cloud: SandboxCloud;
  personas(): readonly Persona[];
  /** By UPN (case-insensitive) or object id. */
  findUser(loginOrObjectId: string): SignInUser | undefined;
  /** By app id or identifier URI (`api://…`). */
  findApplication(appIdOrIdentifierUri: string): AppRegistrationForAuth | undefined;
  /** App-role values assigned to a user (directly or through a security group they are a direct member of). */
  userAppRoles(userObjectId: string, resourceAppId: string): readonly string[];
  /**
   * False when the app's service principal has "Assignment required" (`appRoleAssignmentRequired`) and the user is
   * assigned neither directly nor through a security group they are a direct member of.
   */
  userMayUseApp(userObjectId: string, appId: string): boolean;
  /** Application permissions (app roles) granted to a client app on a resource (e.g. Graph's `Application.Read.All`). */
  appPermissions(clientAppId: string, resourceAppId: string): readonly string[];
  /** Delegated permissions consented for a client app on a resource (e.g. Graph's `User.Read`). */
  delegatedPermissions(clientAppId: string, resourceAppId: string): readonly string[];
  /** Adds a certificate credential to an app (the launcher registers the console's generated certificate). */
  addApplicationCertificate(appId: string, certificate: ClientCertificateForAuth): void;
  /** A managed identity by client id, object (principal) id or ARM resource id. */
  findManagedIdentity(clientIdObjectIdOrResourceId: string): ManagedIdentityForAuth | undefined;
}

/** The console's own registrations in the sandbox: fixed, so `.env.example` and docs can name them. */
export const SANDBOX_TENANT_ID = "72f988bf-0000-4000-8000-00000000c05a";
export const CONSOLE_SPA_CLIENT_ID = "0c0a5e11-5a00-4000-8000-000000000001";
export const CONSOLE_API_CLIENT_ID = "0c0a5e11-a910-4000-8000-000000000002";
export const CONSOLE_API_IDENTIFIER_URI = `api://${CONSOLE_API_CLIENT_ID}`;
export const CONSOLE_API_SCOPE = `${CONSOLE_API_IDENTIFIER_URI}/access_as_user`;
/** The API app's sandbox client secret (used for on-behalf-of and client credentials). Sandbox only. */
export const CONSOLE_API_CLIENT_SECRET = "sandbox-secret-not-for-production-0000";
export const CONSOLE_ROLES = ["Console.Admin", "Console.Requester", "Console.SecurityReader"] as const;

/**
 * The console's user-assigned managed identity, federated with the API app: with it the console needs no secret.
 * The sandbox's identity endpoint serves tokens for it (as the host of a container app with that identity would).
 */
export const CONSOLE_MANAGED_IDENTITY_CLIENT_ID = "0c0a5e11-1d00-4000-8000-000000000003";
export const CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID = "0c0a5e11-1d00-4000-8000-00000000b003";
export const CONSOLE_MANAGED_IDENTITY_NAME = "id-gatehouse-console";

/**
 * A sandbox-only automation app that may create and update app registrations (Graph `Application.ReadWrite.All`,
 * application permission), so `npm run azure:register -- --sandbox` can register the console without a person.
 */
export const SANDBOX_DEPLOYER_CLIENT_ID = "0c0a5e11-de90-4000-8000-000000000004";
export const SANDBOX_DEPLOYER_CLIENT_SECRET = "sandbox-deployer-secret-not-for-production-0000";

/**
 * Workload identity federation's exchange audience in the public cloud (clouds.ts has each cloud's). A federated
 * credential names it as `api://AzureADTokenExchange`; a managed identity's token for that resource carries the app id
 * of Entra's token exchange endpoint as `aud`.
 */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const TOKEN_EXCHANGE_APP_ID = "fb60f99c-7a34-4190-8149-302f77469936";

/**
 * The sandbox's chat channels (sandbox/chat/receivers.ts): a Teams channel behind a Workflows webhook and a Slack
 * channel behind an incoming webhook, on the tenant's own origin. Their signature and token are sandbox-only secrets,
 * published on purpose like the persona passwords; `lib/config/env.mjs` (SANDBOX_DEFAULTS) keeps the same values.
 */
export const SANDBOX_TEAMS_CHANNEL = Object.freeze({
  name: "fraud-team",
  /** A Workflows trigger URL's path: `/workflows/<32 hex>/triggers/manual/paths/invoke`. */
  path: "/workflows/0c0a5e11f7a04000800000000000c4a7/triggers/manual/paths/invoke",
  /** The shared access signature the trigger URL carries (`sig`). */
  sig: "sandbox-fraud-team-sig-not-a-secret-000000",
});
export const SANDBOX_SLACK_CHANNEL = Object.freeze({
  name: "ml-platform",
  /** `/services/<team>/<bot>/<token>`, as hooks.slack.com spells it. */
  path: "/services/T0SANDBOX0/B0MLPLATFORM/sandboxMlPlatformToken00",
});
/** The query a Workflows trigger URL carries besides the signature. */
export const WORKFLOWS_TRIGGER_QUERY = "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0";
