/** `POST /{tenant}/oauth2/v2.0/token`: authorization_code (+PKCE), refresh_token, client_credentials, on-behalf-of. */
import { createHash } from "node:crypto";
import { type JWTPayload, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import type { AppRegistrationForAuth, SignInUser, TenantAuthView } from "../contract";
import { authenticateClient } from "./client-auth";
import { EntraError, missingParameter } from "./errors";
import type { EntraRequest } from "./http";
import type { SigningKeys } from "./keys";
import { type ResolvedResource, type ScopeRequest, graphResource, parseScopes, requireDefaultScope } from "./scopes";
import { type EntraState, REFRESH_TOKEN_LIFETIME_MS, SPA_REFRESH_TOKEN_LIFETIME_MS } from "./state";
import {
  type AuthMethods,
  authMethodsOf,
  type ClientAuthLevel,
  type IssuerContext,
  clientInfo,
  mintApplicationAccessToken,
  mintDelegatedAccessToken,
  mintIdToken,
  newOpaqueToken,
  v1Issuer,
  v2Issuer,
} from "./tokens";

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export interface TokenEndpointContext {
  readonly tenant: TenantAuthView;
  readonly keys: SigningKeys;
  readonly state: EntraState;
  readonly accessTokenLifetimeSeconds: number;
}

type TokenResponse = Record<string, string | number>;

/** Scope names that go into `scp`, checked against what the tenant consented for the client. */
export function delegatedScopes(
  tenant: TenantAuthView,
  client: AppRegistrationForAuth,
  request: ScopeRequest,
): { resource: ResolvedResource; scopes: string[] } {
  const resource = request.resource ?? graphResource(tenant.cloud);
  if (resource.kind === "app") {
    const exposed = resource.app.exposedScopes;
    const scopes = request.isDefault ? [...exposed] : request.names.map((name) => exposed.find((scope) => scope.toLowerCase() === name.toLowerCase()) ?? name);
    return { resource, scopes };
  }
  const consented = tenant.delegatedPermissions(client.appId, resource.appId);
  if (!request.resource) {
    // Sign-in with only OIDC scopes: Entra still returns a Graph token, carrying whatever Graph consent exists.
    return { resource, scopes: consented.length > 0 ? [...consented] : ["openid", "profile", "email"] };
  }
  const missing = request.names.filter((name) => name !== ".default" && !consented.some((scope) => scope.toLowerCase() === name.toLowerCase()));
  if (consented.length === 0 || missing.length > 0) {
    throw new EntraError({
      error: "invalid_grant",
      code: 65001,
      suberror: "consent_required",
      message: `The user or administrator has not consented to use the application with ID '${client.appId}' named '${client.displayName}'. Send an interactive authorization request for this user and resource.`,
    });
  }
  // Entra puts every consented permission of the resource into `scp`, not only the requested ones.
  return { resource, scopes: [...consented] };
}

/** The `scope` echoed in a token response: resource-qualified for non-Graph resources, plus the granted OIDC scopes. */
function grantedScopeText(resource: ResolvedResource, scopes: readonly string[], request: ScopeRequest): string {
  // Entra qualifies Graph permissions only when `.default` was asked for, and then echoes `.default` too: MSAL's
  // cache looks tokens up by the requested scopes.
  // Graph and ARM scopes come back in the form they were asked in (their resource id is the token's audience).
  const prefix =
    resource.kind === "app"
      ? `${resource.app.identifierUris[0] ?? resource.appId}/`
      : resource.kind === "arm" || resource.kind === "monitor" || request.isDefault
        ? `${resource.audience}/`
        : "";
  const granted = [...scopes, ...(request.isDefault ? [".default"] : [])].map((scope) => `${prefix}${scope}`);
  return [...new Set([...granted, ...request.oidc])].join(" ");
}

/** What a `claims` request parameter demands of the access token that the sandbox can check: MFA. */
export interface ClaimsDemand {
  /** `acrs` values asked for as essential (Microsoft's mandatory-MFA challenge asks for `p1`). */
  readonly acrs: readonly string[];
  /** True when the claims ask for MFA: any essential `acrs`, or `amr` containing `mfa`. */
  readonly needsMfa: boolean;
}

/**
 * Reads the `claims` parameter (OIDC claims request JSON). The sandbox treats every authentication context class it is
 * asked for as "multi-factor", which is what Microsoft's mandatory-MFA challenge (`acrs` `p1`) means; other claims
 * (`capolids`, `xms_cc`) demand nothing it can check.
 */
export function parseClaimsRequest(claims: string | null | undefined): ClaimsDemand {
  if (!claims) return { acrs: [], needsMfa: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    throw new EntraError({ error: "invalid_request", code: 90014, message: "The claims parameter is not valid JSON." });
  }
  const accessToken = (parsed as { access_token?: { acrs?: { essential?: unknown; values?: unknown; value?: unknown }; amr?: { values?: unknown } } } | null)
    ?.access_token;
  const values = (raw: unknown) => (Array.isArray(raw) ? raw.filter((value): value is string => typeof value === "string") : []);
  // OIDC claims requests name one `value` or several `values` (Microsoft's own examples use both).
  const asked = accessToken?.acrs;
  const acrs = asked?.essential === true ? [...values(asked.values), ...(typeof asked.value === "string" ? [asked.value] : [])] : [];
  return { acrs, needsMfa: acrs.length > 0 || values(accessToken?.amr?.values).includes("mfa") };
}

export function interactionRequiredError(state: EntraState, userObjectId: string): EntraError | undefined {
  const demand = state.interactionDemands.get(userObjectId);
  if (!demand) return undefined;
  return new EntraError({
    error: "interaction_required",
    code: demand.errorCode,
    ...(demand.suberror ? { suberror: demand.suberror } : {}),
    claims: demand.claims,
    message:
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.",
  });
}

/**
 * AADSTS50105 when an app taking part in the sign-in (the client, or the resource whose token is asked for) has
 * "Assignment required" and the user is not assigned to it. The token endpoint answers `invalid_grant`; the authorize
 * endpoint passes `access_denied` (see authorize.ts). The message is Entra's own.
 */
export function unassignedUserError(tenant: TenantAuthView, user: SignInUser, apps: readonly AppRegistrationForAuth[], error: string): EntraError | undefined {
  const refused = apps.find((app) => !tenant.userMayUseApp(user.objectId, app.appId));
  if (!refused) return undefined;
  return new EntraError({
    error,
    code: 50105,
    message: `Your administrator has configured the application ${refused.displayName} ('${refused.appId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '${user.userPrincipalName}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application.`,
  });
}

function requireUser(tenant: TenantAuthView, objectId: string): SignInUser {
  const user = tenant.findUser(objectId);
  if (!user) {
    throw new EntraError({ error: "invalid_grant", code: 50034, message: `The user account ${objectId} does not exist in the ${tenant.tenantId} directory.` });
  }
  if (!user.accountEnabled) throw new EntraError({ error: "invalid_grant", code: 50057, message: "The user account is disabled." });
  return user;
}

async function userTokens(
  issuer: IssuerContext,
  input: {
    user: SignInUser;
    client: AppRegistrationForAuth;
    clientAuth: ClientAuthLevel;
    scopeRequest: ScopeRequest;
    nonce: string | undefined;
    authTime: Date;
    authMethods: AuthMethods;
    acrs?: readonly string[];
    withIdToken: boolean;
    wantClientInfo: boolean;
    /** `expiresAt`: an SPA refresh token's end, carried over when it is exchanged (no sliding). */
    refreshTokenFor: { state: EntraState; isSpa: boolean; isPublicClient: boolean; scope: string; expiresAt?: Date } | undefined;
  },
): Promise<TokenResponse> {
  const { resource, scopes } = delegatedScopes(issuer.tenant, input.client, input.scopeRequest);
  // Checked at every redemption, so removing an assignment also stops refresh and on-behalf-of for that user.
  const refusal = unassignedUserError(issuer.tenant, input.user, resource.kind === "app" ? [input.client, resource.app] : [input.client], "invalid_grant");
  if (refusal) throw refusal;
  const accessToken = await mintDelegatedAccessToken(issuer, {
    user: input.user,
    client: input.client,
    clientAuth: input.clientAuth,
    resource,
    scopes,
    authMethods: input.authMethods,
    acrs: input.acrs ?? [],
  });
  const response: TokenResponse = {
    token_type: "Bearer",
    scope: grantedScopeText(resource, scopes, input.scopeRequest),
    expires_in: issuer.accessTokenLifetimeSeconds,
    ext_expires_in: issuer.accessTokenLifetimeSeconds,
    access_token: accessToken,
  };
  if (input.refreshTokenFor && input.scopeRequest.oidc.has("offline_access")) {
    const refreshToken = newOpaqueToken();
    const { isSpa, isPublicClient } = input.refreshTokenFor;
    const expiresAt = input.refreshTokenFor.expiresAt ?? new Date(issuer.now.getTime() + (isSpa ? SPA_REFRESH_TOKEN_LIFETIME_MS : REFRESH_TOKEN_LIFETIME_MS));
    input.refreshTokenFor.state.refreshTokens.set(refreshToken, {
      clientId: input.client.appId,
      userObjectId: input.user.objectId,
      isSpa,
      isPublicClient,
      scope: input.refreshTokenFor.scope,
      authTime: input.authTime,
      authMethods: input.authMethods,
      expiresAt,
    });
    response.refresh_token = refreshToken;
    response.refresh_token_expires_in = Math.floor((expiresAt.getTime() - issuer.now.getTime()) / 1000);
  }
  if (input.withIdToken && input.scopeRequest.oidc.has("openid")) {
    response.id_token = await mintIdToken(issuer, { user: input.user, clientId: input.client.appId, nonce: input.nonce, authTime: input.authTime });
  }
  if (input.wantClientInfo) response.client_info = clientInfo(input.user.objectId, issuer.tenant.tenantId);
  return response;
}

export async function handleTokenRequest(request: EntraRequest, context: TokenEndpointContext, tokenEndpoints: readonly string[]): Promise<TokenResponse> {
  const form = request.form;
  const grantType = form.get("grant_type");
  if (!grantType) throw missingParameter("grant_type");
  const issuer: IssuerContext = {
    keys: context.keys,
    tenant: context.tenant,
    origin: request.origin,
    now: request.now,
    accessTokenLifetimeSeconds: context.accessTokenLifetimeSeconds,
  };
  context.state.sweep(request.now);
  const wantClientInfo = form.get("client_info") === "1";
  switch (grantType) {
    case "authorization_code":
      return redeemCode(request, context, issuer, tokenEndpoints, wantClientInfo);
    case "refresh_token":
      return redeemRefreshToken(request, context, issuer, tokenEndpoints, wantClientInfo);
    case "client_credentials": {
      const { client, level } = await authenticateClient(request, context.tenant, tokenEndpoints, true, context.keys);
      const scopeParameter = form.get("scope") ?? "";
      const resource = requireDefaultScope(parseScopes(scopeParameter, context.tenant), scopeParameter);
      return {
        token_type: "Bearer",
        expires_in: context.accessTokenLifetimeSeconds,
        ext_expires_in: context.accessTokenLifetimeSeconds,
        access_token: await mintApplicationAccessToken(issuer, { client, clientAuth: level, resource }),
      };
    }
    case JWT_BEARER_GRANT:
      return onBehalfOf(request, context, issuer, tokenEndpoints, wantClientInfo);
    default:
      throw new EntraError({ error: "unsupported_grant_type", code: 70003, message: `The app requested an unsupported grant type '${grantType}'.` });
  }
}

function requireCrossOriginRules(request: EntraRequest, isSpa: boolean): void {
  const origin = request.headers["origin"];
  if (isSpa && !origin) {
    throw new EntraError({
      error: "invalid_request",
      code: 9002327,
      message: "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
    });
  }
  if (!isSpa && origin) {
    throw new EntraError({
      error: "invalid_request",
      code: 9002326,
      message: "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '" + origin + "'.",
    });
  }
}

async function redeemCode(
  request: EntraRequest,
  context: TokenEndpointContext,
  issuer: IssuerContext,
  tokenEndpoints: readonly string[],
  wantClientInfo: boolean,
): Promise<TokenResponse> {
  const form = request.form;
  const codeValue = form.get("code");
  if (!codeValue) throw missingParameter("code");
  const code = context.state.codes.get(codeValue);
  if (!code) {
    throw new EntraError({
      error: "invalid_grant",
      code: 9002313,
      message: "Invalid request. Request is malformed or invalid. The provided authorization code is not valid.",
    });
  }
  if (code.redeemed) {
    throw new EntraError({
      error: "invalid_grant",
      code: 54005,
      message: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    });
  }
  if (code.expiresAt.getTime() <= request.now.getTime()) {
    throw new EntraError({
      error: "invalid_grant",
      code: 70008,
      message:
        "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    });
  }
  const clientId = form.get("client_id");
  if (clientId && clientId.toLowerCase() !== code.clientId.toLowerCase()) {
    throw new EntraError({
      error: "invalid_grant",
      code: 70000,
      message: "The provided value for the 'code' parameter is not valid. The code was issued to a different client.",
    });
  }
  requireCrossOriginRules(request, code.isSpa);
  // A code issued to a web redirect URI needs the app's credential; SPA and public-client codes are redeemed without.
  const { client, level } = await authenticateClient(request, context.tenant, tokenEndpoints, !code.isSpa && !code.isPublicClient, context.keys);
  if (client.appId.toLowerCase() !== code.clientId.toLowerCase()) {
    throw new EntraError({
      error: "invalid_grant",
      code: 70000,
      message: "The provided value for the 'code' parameter is not valid. The code was issued to a different client.",
    });
  }
  const redirectUri = form.get("redirect_uri");
  if (redirectUri !== code.redirectUri) {
    throw new EntraError({
      error: "invalid_grant",
      code: 500112,
      message: `The reply address '${redirectUri ?? ""}' does not match the reply address '${code.redirectUri}' provided when requesting Authorization code.`,
    });
  }
  if (code.codeChallenge !== undefined) {
    const verifier = form.get("code_verifier") ?? "";
    const computed = code.codeChallengeMethod === "plain" ? verifier : createHash("sha256").update(verifier).digest("base64url");
    if (computed !== code.codeChallenge) {
      throw new EntraError({
        error: "invalid_grant",
        code: 501481,
        message: "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
      });
    }
  }
  code.redeemed = true;
  const user = requireUser(context.tenant, code.userObjectId);
  const scopeParameter = form.get("scope") ?? code.scope;
  return userTokens(issuer, {
    user,
    client,
    clientAuth: level,
    scopeRequest: parseScopes(scopeParameter, context.tenant),
    nonce: code.nonce,
    authTime: code.authTime,
    authMethods: code.authMethods,
    acrs: code.acrs ?? [],
    withIdToken: true,
    wantClientInfo,
    refreshTokenFor: { state: context.state, isSpa: code.isSpa, isPublicClient: code.isPublicClient, scope: scopeParameter },
  });
}

async function redeemRefreshToken(
  request: EntraRequest,
  context: TokenEndpointContext,
  issuer: IssuerContext,
  tokenEndpoints: readonly string[],
  wantClientInfo: boolean,
): Promise<TokenResponse> {
  const form = request.form;
  const value = form.get("refresh_token");
  if (!value) throw missingParameter("refresh_token");
  const grant = context.state.refreshTokens.get(value);
  if (!grant) {
    throw new EntraError({
      error: "invalid_grant",
      code: 9002313,
      message: "Invalid request. Request is malformed or invalid. The provided refresh token is not valid.",
    });
  }
  if (grant.expiresAt.getTime() <= request.now.getTime()) {
    context.state.refreshTokens.delete(value);
    if (grant.isSpa) {
      const issued = new Date(grant.expiresAt.getTime() - SPA_REFRESH_TOKEN_LIFETIME_MS);
      throw new EntraError({
        error: "invalid_grant",
        code: 700084,
        message: `The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${issued.toISOString()}.`,
      });
    }
    throw new EntraError({ error: "invalid_grant", code: 700082, message: "The refresh token has expired due to inactivity." });
  }
  requireCrossOriginRules(request, grant.isSpa);
  const isPublicClient = grant.isPublicClient;
  const { client, level } = await authenticateClient(request, context.tenant, tokenEndpoints, !grant.isSpa && !isPublicClient, context.keys);
  if (client.appId.toLowerCase() !== grant.clientId.toLowerCase()) {
    throw new EntraError({
      error: "invalid_grant",
      code: 70000,
      message: "Provided grant is invalid or malformed. The refresh token was issued to a different client.",
    });
  }
  const user = requireUser(context.tenant, grant.userObjectId);
  const demand = interactionRequiredError(context.state, user.objectId);
  if (demand) throw demand;
  // A refresh token is multi-resource: the new scope may name another resource.
  const scopeParameter = form.get("scope") ?? grant.scope;
  const scopeRequest = parseScopes(scopeParameter, context.tenant);
  return userTokens(issuer, {
    user,
    client,
    clientAuth: level,
    scopeRequest: { ...scopeRequest, oidc: new Set([...scopeRequest.oidc, "offline_access"]) },
    nonce: undefined,
    authTime: grant.authTime,
    authMethods: grant.authMethods,
    withIdToken: true,
    wantClientInfo,
    refreshTokenFor: {
      state: context.state,
      isSpa: grant.isSpa,
      isPublicClient,
      scope: scopeParameter,
      ...(grant.isSpa ? { expiresAt: grant.expiresAt } : {}),
    },
  });
}

async function onBehalfOf(
  request: EntraRequest,
  context: TokenEndpointContext,
  issuer: IssuerContext,
  tokenEndpoints: readonly string[],
  wantClientInfo: boolean,
): Promise<TokenResponse> {
  const form = request.form;
  if (form.get("requested_token_use") !== "on_behalf_of") throw missingParameter("requested_token_use");
  const assertion = form.get("assertion");
  if (!assertion) throw missingParameter("assertion");
  const { client, level } = await authenticateClient(request, context.tenant, tokenEndpoints, true, context.keys);
  const claims = await verifyUserAssertion(assertion, client, context, request.now, request.origin);
  const user = requireUser(context.tenant, String(claims.oid));
  const demand = interactionRequiredError(context.state, user.objectId);
  if (demand) throw demand;
  const scopeParameter = form.get("scope");
  if (!scopeParameter) throw missingParameter("scope");
  // A middle tier passes a resource's claims challenge on; Entra cannot add a factor to a token it did not see the user
  // complete, so an assertion without MFA needs the user back at the sign-in page (AADSTS50076, claims echoed).
  const claimsParameter = form.get("claims");
  const asked = parseClaimsRequest(claimsParameter);
  const authMethods = authMethodsOf(claims);
  if (asked.needsMfa && !authMethods.includes("mfa")) {
    throw new EntraError({
      error: "interaction_required",
      code: 50076,
      suberror: "basic_action",
      claims: claimsParameter ?? "",
      message: `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${parseScopes(scopeParameter, context.tenant).resource?.appId ?? "the resource"}'.`,
    });
  }
  return userTokens(issuer, {
    user,
    client,
    clientAuth: level,
    scopeRequest: parseScopes(scopeParameter, context.tenant),
    nonce: undefined,
    authTime: new Date(typeof claims.iat === "number" ? claims.iat * 1000 : request.now.getTime()),
    authMethods,
    acrs: asked.acrs,
    withIdToken: false,
    wantClientInfo,
    refreshTokenFor: { state: context.state, isSpa: false, isPublicClient: false, scope: scopeParameter },
  });
}

const invalidAssertion = (message: string) =>
  new EntraError({ error: "invalid_grant", code: 50013, message: `Assertion failed signature validation. [Reason - ${message}]` });

/** An OBO assertion must be a user access token, issued by this tenant, for the middle tier itself. */
async function verifyUserAssertion(
  assertion: string,
  client: AppRegistrationForAuth,
  context: TokenEndpointContext,
  now: Date,
  origin: string,
): Promise<JWTPayload> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(assertion).kid;
  } catch {
    throw invalidAssertion("The assertion is not a well-formed JWT.");
  }
  const key = kid ? context.keys.publicKey(kid) : undefined;
  if (!key) throw invalidAssertion(`The key was not found., Thumbprint of key used by client: '${kid ?? "none"}'`);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: ["RS256"],
      issuer: [v2Issuer(origin, context.tenant.tenantId), v1Issuer(context.tenant)],
      currentDate: now,
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new EntraError({
        error: "invalid_grant",
        code: 500133,
        message: `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${now.toISOString()}, expiry time of assertion ${new Date(Number(error.payload.exp) * 1000).toISOString()}.`,
      });
    }
    throw invalidAssertion(
      error instanceof joseErrors.JWTClaimValidationFailed ? `The assertion '${error.claim}' claim is not valid.` : "The signature is not valid.",
    );
  }
  const audiences = new Set([client.appId, ...client.identifierUris].map((value) => value.toLowerCase()));
  const tokenAudiences = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((value): value is string => typeof value === "string");
  if (!tokenAudiences.some((audience) => audiences.has(audience.toLowerCase()))) {
    throw new EntraError({
      error: "invalid_grant",
      code: 50013,
      message: `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${tokenAudiences.join(",")}' and the expected audience is '${client.appId}' or one of the Application Id URIs of this client app.`,
    });
  }
  if (payload.idtyp === "app" || typeof payload.scp !== "string" || typeof payload.oid !== "string") {
    throw new EntraError({ error: "invalid_grant", code: 50013, message: "Assertion is not a user token; on-behalf-of only accepts delegated access tokens." });
  }
  return payload;
}
