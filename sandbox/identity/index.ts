/**
 * The managed-identity endpoints an Azure host offers the workloads it runs, for the identities assigned to it (the
 * sandbox "hosts" the console: its user-assigned identity `id-gatehouse-console`). Two forms, as the SDKs use them:
 *
 *  - **IMDS** (virtual machines, scale sets, AKS): `GET /metadata/identity/oauth2/token?api-version=2018-02-01&
 *    resource=…[&client_id|object_id|msi_res_id=…]` with the header `Metadata: true`, on its own address
 *    (169.254.169.254:80; SDKs take another from AZURE_POD_IDENTITY_AUTHORITY_HOST).
 *    https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
 *    (error table: 400 `bad_request_102` "Required metadata header not specified"; 400 `invalid_resource` with
 *    Entra's AADSTS500011 for an unknown resource).
 *  - **App Service / Container Apps**: `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…[&client_id|
 *    principal_id|object_id|mi_res_id=…]` with `X-IDENTITY-HEADER: {IDENTITY_HEADER}`; without an id parameter the
 *    system-assigned identity is used. https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference
 *    and https://learn.microsoft.com/azure/container-apps/managed-identity#rest-endpoint-reference. A missing or
 *    wrong X-IDENTITY-HEADER is answered 403 with an empty body (Container Apps, as recorded in
 *    AzureAD/microsoft-authentication-library-for-dotnet#5245).
 *
 * What `@azure/identity` 4.13 sends (through msal-node's `ManagedIdentityApplication`): msal-node
 * `dist/client/ManagedIdentitySources/Imds.mjs` and `AppService.mjs`, query parameter names in
 * `BaseManagedIdentitySource.mjs` (`client_id`, `object_id`, `msi_res_id` for IMDS, `mi_res_id` otherwise).
 * Response fields are strings, as documented: `access_token`, `client_id`, `expires_in`, `expires_on`,
 * `ext_expires_in`, `not_before`, `resource`, `token_type` (IMDS) and `access_token`, `client_id`, `expires_on`,
 * `not_before`, `resource`, `token_type` (App Service).
 */
import { TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE, type AppRegistrationForAuth, type ManagedIdentityForAuth, type TenantAuthView } from "../contract";
import { EntraError } from "../entra/errors";
import { type HttpReply, jsonReply } from "../entra/http";
import type { SigningKeys } from "../entra/keys";
import { parseScopes, requireDefaultScope } from "../entra/scopes";
import { type IssuerContext, MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS, mintApplicationAccessToken, mintManagedIdentityExchangeToken } from "../entra/tokens";

export const IMDS_TOKEN_PATH = "/metadata/identity/oauth2/token";
export const APP_SERVICE_TOKEN_PATH = "/msi/token";
export const IMDS_API_VERSION = "2018-02-01";
export const APP_SERVICE_API_VERSION = "2019-08-01";

export interface IdentityRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface IdentityEndpointOptions {
  readonly tenant: () => TenantAuthView;
  readonly keys: SigningKeys;
  /** The sandbox's Entra origin (`https://localhost:<port>`): the issuer of the tokens. */
  readonly issuerOrigin: () => string;
  readonly now: () => Date;
  /** The value this host gives its workloads in IDENTITY_HEADER (rotated by the platform; here: per start). */
  readonly identityHeader: string;
  /** Client ids of the user-assigned identities assigned to this host. The sandbox host has no system-assigned one. */
  readonly assignedIdentities: () => readonly string[];
}

export type IdentityForm = "imds" | "app-service";

const NO_STORE = { "cache-control": "no-store" };

function error(status: number, code: string, description: string): HttpReply {
  return jsonReply(status, { error: code, error_description: description }, NO_STORE);
}

/** Which endpoint a path is, or undefined (404). */
export function identityFormOf(path: string): IdentityForm | undefined {
  // msal-node normalises the endpoint URL with a trailing slash (msal-common `UrlString`), and IMDS answers it.
  const bare = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (bare === IMDS_TOKEN_PATH) return "imds";
  if (bare === APP_SERVICE_TOKEN_PATH) return "app-service";
  return undefined;
}

/** The identity a request names (by one id parameter), or the host's default; an error reply when it names none it has. */
function selectIdentity(form: IdentityForm, query: URLSearchParams, options: IdentityEndpointOptions): ManagedIdentityForAuth | HttpReply {
  const names = form === "imds" ? ["client_id", "object_id", "msi_res_id"] : ["client_id", "principal_id", "object_id", "mi_res_id"];
  const given = names.filter((name) => query.get(name));
  if (given.length > 1) return error(400, "invalid_request", `Only one of ${names.join(", ")} may be given.`);
  const assigned = options
    .assignedIdentities()
    .map((clientId) => options.tenant().findManagedIdentity(clientId))
    .filter((identity): identity is ManagedIdentityForAuth => identity !== undefined);
  const [name] = given;
  if (name === undefined) {
    // IMDS uses a virtual machine's only user-assigned identity when none is named; App Service uses the
    // system-assigned identity, which this host does not have.
    if (form === "imds" && assigned.length === 1) return assigned[0]!;
    return error(
      400,
      "invalid_request",
      form === "imds" && assigned.length > 1
        ? "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"
        : "Identity not found",
    );
  }
  const wanted = query.get(name)!.toLowerCase();
  const match = assigned.find((identity) =>
    name === "client_id"
      ? identity.clientId.toLowerCase() === wanted
      : name.endsWith("res_id")
        ? identity.resourceId.toLowerCase() === wanted
        : identity.principalId.toLowerCase() === wanted,
  );
  return match ?? error(400, "invalid_request", "Identity not found");
}

/** Answers one request to the identity endpoint (either form). */
export async function handleIdentityRequest(request: IdentityRequest, options: IdentityEndpointOptions): Promise<HttpReply> {
  const form = identityFormOf(request.path);
  if (!form) return error(404, "not_found", `Nothing is served at ${request.path}.`);
  if (request.method !== "GET") return error(405, "invalid_request", `The ${form === "imds" ? "IMDS" : "identity"} endpoint only answers GET.`);

  if (form === "imds") {
    // The header is an SSRF guard: exactly `true`, lower case.
    if (request.headers["metadata"] !== "true") return error(400, "bad_request_102", "Required metadata header not specified");
  } else if (request.headers["x-identity-header"] !== options.identityHeader) {
    return { status: 403, headers: { "content-length": "0" } };
  }

  const apiVersion = request.query.get("api-version");
  const expectedVersion = form === "imds" ? IMDS_API_VERSION : APP_SERVICE_API_VERSION;
  if (!apiVersion) return error(400, "invalid_request", "Required query variable 'api-version' is missing");
  if (form === "imds" ? apiVersion < IMDS_API_VERSION : apiVersion !== APP_SERVICE_API_VERSION) {
    return error(400, "invalid_request", `api-version '${apiVersion}' is not supported; use ${expectedVersion}`);
  }
  const resource = request.query.get("resource");
  if (!resource) return error(400, "invalid_request", "Required query variable 'resource' is missing");

  const identity = selectIdentity(form, request.query, options);
  if ("status" in identity) return identity;

  const now = options.now();
  const tenant = options.tenant();
  const context: IssuerContext = {
    keys: options.keys,
    tenant,
    origin: options.issuerOrigin(),
    now,
    accessTokenLifetimeSeconds: MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS,
  };
  let accessToken: string;
  try {
    accessToken = await mintFor(context, identity, resource);
  } catch (problem) {
    if (problem instanceof EntraError) return error(400, problem.details.error, `AADSTS${problem.details.code}: ${problem.details.message}`);
    throw problem;
  }
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresOn = issuedAt + MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS;
  const body: Record<string, string> =
    form === "imds"
      ? {
          access_token: accessToken,
          client_id: identity.clientId,
          expires_in: String(MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS - 1),
          expires_on: String(expiresOn),
          ext_expires_in: String(MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS - 1),
          not_before: String(issuedAt),
          resource,
          token_type: "Bearer",
        }
      : {
          access_token: accessToken,
          client_id: identity.clientId,
          expires_on: String(expiresOn),
          not_before: String(issuedAt),
          resource,
          token_type: "Bearer",
        };
  return jsonReply(200, body, NO_STORE);
}

/** The token for `resource`: the exchange audience gets the federation assertion, other resources an app token. */
async function mintFor(context: IssuerContext, identity: ManagedIdentityForAuth, resource: string): Promise<string> {
  const bare = resource.replace(/\/+$/, "");
  const exchangeAudience = context.tenant.cloud.tokenExchangeAudience;
  if (exchangeAudience === TOKEN_EXCHANGE_AUDIENCE && (bare === TOKEN_EXCHANGE_AUDIENCE || bare.toLowerCase() === TOKEN_EXCHANGE_APP_ID)) {
    return mintManagedIdentityExchangeToken(context, identity, TOKEN_EXCHANGE_APP_ID);
  }
  // The exchange app's id in the sovereign clouds is not published; the sandbox puts their audience URI in `aud`.
  if (bare === exchangeAudience) return mintManagedIdentityExchangeToken(context, identity, exchangeAudience);
  const scope = `${bare}/.default`;
  const target = requireDefaultScope(parseScopes(scope, context.tenant), scope);
  // A managed identity is a service principal without an application object: its app id is its client id.
  const client: AppRegistrationForAuth = {
    appId: identity.clientId,
    displayName: identity.displayName,
    servicePrincipalId: identity.principalId,
    spaRedirectUris: [],
    webRedirectUris: [],
    publicClientRedirectUris: [],
    secrets: [],
    certificates: [],
    identifierUris: [],
    exposedScopes: [],
    appRoles: [],
    federatedCredentials: [],
  };
  return mintApplicationAccessToken(context, { client, clientAuth: "2", resource: target });
}
