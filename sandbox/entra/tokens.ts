/**
 * Token minting with Entra's claim sets: v2 ID tokens, v2 access tokens for the tenant's own APIs, and v1-shaped
 * access tokens for Graph and ARM (whose resource apps are still issued v1 tokens, as on a real tenant).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { JWTPayload } from "jose";
import type { AppRegistrationForAuth, SignInUser, TenantAuthView } from "../contract";
import type { SigningKeys } from "./keys";
import type { ResolvedResource } from "./scopes";

export interface IssuerContext {
  readonly keys: SigningKeys;
  readonly tenant: TenantAuthView;
  /** `https://localhost:<port>` */
  readonly origin: string;
  readonly now: Date;
  readonly accessTokenLifetimeSeconds: number;
}

export const v2Issuer = (origin: string, tenantId: string) => `${origin}/${tenantId}/v2.0`;
/** The v1 issuer of Graph's and ARM's tokens: the cloud's STS host (`sts.windows.net` in the public cloud). */
export const v1Issuer = (tenant: Pick<TenantAuthView, "tenantId" | "cloud">) => `https://${tenant.cloud.v1IssuerHost}/${tenant.tenantId}/`;

/** How the client authenticated: 0 public, 1 secret, 2 certificate (`appidacr`/`azpacr`). */
export type ClientAuthLevel = "0" | "1" | "2";

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const opaque = (bytes: number) => randomBytes(bytes).toString("base64url");

function timeClaims(context: IssuerContext, lifetimeSeconds: number): { iat: number; nbf: number; exp: number } {
  const issuedAt = seconds(context.now);
  return { iat: issuedAt, nbf: issuedAt, exp: issuedAt + lifetimeSeconds };
}

/** `client_info` = base64url(`{"uid":oid,"utid":tid}`), so MSAL account ids look like production (`oid.tid`). */
export function clientInfo(objectId: string, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: objectId, utid: tenantId })).toString("base64url");
}

export async function mintIdToken(
  context: IssuerContext,
  input: { user: SignInUser; clientId: string; nonce: string | undefined; authTime: Date },
): Promise<string> {
  const claims: JWTPayload = {
    aud: input.clientId,
    iss: v2Issuer(context.origin, context.tenant.tenantId),
    ...timeClaims(context, 3600),
    auth_time: seconds(input.authTime),
    name: input.user.displayName,
    ...(input.nonce ? { nonce: input.nonce } : {}),
    oid: input.user.objectId,
    preferred_username: input.user.userPrincipalName,
    rh: opaque(16),
    sid: randomUUID(),
    sub: pairwiseSubject(input.user.objectId, input.clientId),
    tid: context.tenant.tenantId,
    uti: opaque(16),
    ver: "2.0",
  };
  return context.keys.sign(claims, { includeX5t: false });
}

/** Entra's `sub` is pairwise per app; a stable derivation keeps it distinct from `oid` like production. */
function pairwiseSubject(objectId: string, appId: string): string {
  return Buffer.from(`${objectId}:${appId}`).toString("base64url").slice(0, 43);
}

/** How a user signed in (`amr`): a password only, or a password and a second factor. */
export type AuthMethods = readonly ("pwd" | "mfa")[];
export const PASSWORD_ONLY: AuthMethods = ["pwd"];
export const WITH_MFA: AuthMethods = ["pwd", "mfa"];

/**
 * Entra's `aio` is an opaque claim it reads back when a token comes in again (e.g. as an on-behalf-of assertion) to
 * recall how the session was authenticated; v2 access tokens carry no `amr`. The sandbox keeps the methods in it.
 */
export function sessionInfoClaim(authMethods: AuthMethods): string {
  return Buffer.from(JSON.stringify({ amr: authMethods, n: opaque(6) })).toString("base64url");
}

/** The methods recorded in an incoming token's `aio` (or v1 `amr`); a password only when neither says more. */
export function authMethodsOf(payload: JWTPayload): AuthMethods {
  const fromAmr = Array.isArray(payload.amr) ? payload.amr : undefined;
  let fromAio: unknown;
  try {
    fromAio = typeof payload.aio === "string" ? (JSON.parse(Buffer.from(payload.aio, "base64url").toString("utf8")) as { amr?: unknown }).amr : undefined;
  } catch {
    fromAio = undefined;
  }
  const methods = Array.isArray(fromAio) ? fromAio : fromAmr;
  return methods?.includes("mfa") ? WITH_MFA : PASSWORD_ONLY;
}

export interface DelegatedGrant {
  readonly user: SignInUser;
  readonly client: AppRegistrationForAuth;
  readonly clientAuth: ClientAuthLevel;
  readonly resource: ResolvedResource;
  /** The delegated scopes that go into `scp`. */
  readonly scopes: readonly string[];
  readonly authMethods: AuthMethods;
  /** Authentication context class references satisfied (`acrs`), e.g. `p1` after an MFA claims challenge. */
  readonly acrs: readonly string[];
}

export async function mintDelegatedAccessToken(context: IssuerContext, grant: DelegatedGrant): Promise<string> {
  const { user, client, resource } = grant;
  const tenantId = context.tenant.tenantId;
  const times = timeClaims(context, context.accessTokenLifetimeSeconds);
  const common = {
    ...times,
    ...(grant.acrs.length > 0 ? { acrs: [...grant.acrs] } : {}),
    aio: sessionInfoClaim(grant.authMethods),
    name: user.displayName,
    oid: user.objectId,
    rh: opaque(16),
    scp: grant.scopes.join(" "),
    sub: pairwiseSubject(user.objectId, resource.appId),
    tid: tenantId,
    uti: opaque(16),
  };
  if (resource.tokenVersion === 2) {
    const roles = context.tenant.userAppRoles(user.objectId, resource.appId);
    const claims: JWTPayload = {
      aud: resource.audience,
      iss: v2Issuer(context.origin, tenantId),
      ...common,
      azp: client.appId,
      azpacr: grant.clientAuth,
      preferred_username: user.userPrincipalName,
      ...(roles.length > 0 ? { roles: [...roles] } : {}),
      idtyp: "user",
      ver: "2.0",
    };
    return context.keys.sign(claims, { includeX5t: false });
  }
  const claims: JWTPayload = {
    aud: resource.audience,
    iss: v1Issuer(context.tenant),
    ...common,
    acr: "1",
    amr: [...grant.authMethods],
    app_displayname: client.displayName,
    appid: client.appId,
    appidacr: grant.clientAuth,
    idtyp: "user",
    unique_name: user.userPrincipalName,
    upn: user.userPrincipalName,
    ver: "1.0",
  };
  return context.keys.sign(claims, { includeX5t: true });
}

export interface ApplicationGrant {
  readonly client: AppRegistrationForAuth;
  readonly clientAuth: ClientAuthLevel;
  readonly resource: ResolvedResource;
}

export async function mintApplicationAccessToken(context: IssuerContext, grant: ApplicationGrant): Promise<string> {
  const { client, resource } = grant;
  const tenantId = context.tenant.tenantId;
  const roles = context.tenant.appPermissions(client.appId, resource.appId);
  const common = {
    ...timeClaims(context, context.accessTokenLifetimeSeconds),
    idtyp: "app",
    oid: client.servicePrincipalId,
    rh: opaque(16),
    ...(roles.length > 0 ? { roles: [...roles] } : {}),
    sub: client.servicePrincipalId,
    tid: tenantId,
    uti: opaque(16),
  };
  if (resource.tokenVersion === 2) {
    return context.keys.sign(
      { aud: resource.audience, iss: v2Issuer(context.origin, tenantId), ...common, azp: client.appId, azpacr: grant.clientAuth, ver: "2.0" },
      { includeX5t: false },
    );
  }
  return context.keys.sign(
    {
      aud: resource.audience,
      iss: v1Issuer(context.tenant),
      ...common,
      app_displayname: client.displayName,
      appid: client.appId,
      appidacr: grant.clientAuth,
      ver: "1.0",
    },
    { includeX5t: true },
  );
}

export function newOpaqueToken(): string {
  return opaque(48);
}

/** Lifetime of a managed identity's tokens: Azure issues them for about 24 hours (`expires_in` 86399). */
export const MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS = 86_400;

/**
 * A managed identity's token for the workload identity exchange (`api://AzureADTokenExchange`): a v2 app token whose
 * `aud` is the exchange endpoint's app id and whose `sub`/`oid` are the identity's principal id — the assertion a
 * federated identity credential of type "managed identity" matches (issuer `<authority>/<tenant>/v2.0`).
 */
export async function mintManagedIdentityExchangeToken(
  context: IssuerContext,
  identity: { clientId: string; principalId: string; resourceId: string },
  exchangeAppId: string,
): Promise<string> {
  return context.keys.sign(
    {
      aud: exchangeAppId,
      iss: v2Issuer(context.origin, context.tenant.tenantId),
      ...timeClaims(context, MANAGED_IDENTITY_TOKEN_LIFETIME_SECONDS),
      azp: identity.clientId,
      azpacr: "2",
      idtyp: "app",
      oid: identity.principalId,
      rh: opaque(16),
      sub: identity.principalId,
      tid: context.tenant.tenantId,
      uti: opaque(16),
      ver: "2.0",
      xms_mirid: identity.resourceId,
    },
    { includeX5t: false },
  );
}
