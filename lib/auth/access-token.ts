import "server-only";

import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, type JSONWebKeySet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

import { CONSOLE_ROLES, type ConsoleRole } from "@/lib/shared/console-roles";
import { LOWER_CASE_GUID } from "@/lib/shared/patterns";

/**
 * Validates the access token the browser obtained for the console's API, the way Microsoft documents it
 * (access-tokens.md, claims-validation.md): RS256 only, a key from the authority's JWKS, the exact v2 issuer of an
 * allowed tenant, our API as audience, the SPA as the client, `access_as_user` delegated, `nbf`/`exp` with ≤ 2 min
 * of skew. Identity is (tid, oid) — never the UPN, which can be reassigned.
 */

/** Larger than any real Entra access token (even with many claims); refusing earlier bounds the parsing work. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
const CLOCK_SKEW_SECONDS = 120;
const REQUIRED_SCOPE = "access_as_user";

export interface TokenExpectations {
  /**
   * Hosts whose `{host}/{tid}/v2.0` issuer is accepted (no trailing slash), e.g. https://login.microsoftonline.com;
   * China's cloud issues from login.partner.microsoftonline.cn even when signed in at login.chinacloudapi.cn.
   */
  readonly issuerHosts: readonly string[];
  readonly allowedTenantIds: readonly string[];
  readonly apiClientId: string;
  readonly apiIdentifierUri: string;
  readonly spaClientId: string;
}

export interface SignedInPrincipal {
  readonly tenantId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly roles: readonly ConsoleRole[];
  /**
   * The Conditional Access authentication contexts this sign-in satisfied (`acrs`, e.g. ["c1"]): Entra adds them when
   * the app asked for them in a claims request and the policy was met. What step-up checks (lib/auth/step-up.ts).
   */
  readonly authContexts: readonly string[];
  /** When the token, and so the session, ends. */
  readonly expiresAt: Date;
}

export type TokenRejection =
  | "missing"
  | "oversized"
  | "malformed"
  | "algorithm_not_allowed"
  | "unknown_signing_key"
  | "invalid_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_version"
  | "tenant_not_allowed"
  | "wrong_issuer"
  | "wrong_key_issuer"
  | "wrong_audience"
  | "wrong_client"
  | "not_a_user_token"
  | "missing_scope"
  | "keys_unavailable";

export type TokenValidation =
  { readonly ok: true; readonly principal: SignedInPrincipal } | { readonly ok: false; readonly reason: TokenRejection; readonly detail: string };

/** JOSE algorithm names (RFC 7518 §3.1, RFC 8037) a rejection may name; anything else is logged as "other". */
const LOGGED_ALGORITHMS: ReadonlySet<string> = new Set([
  "none",
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "ES256",
  "ES384",
  "ES512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
]);

function reject(reason: TokenRejection, detail: string): TokenValidation {
  return { ok: false, reason, detail };
}

/** The authority's signing keys, cached by jose (10 min), refetched once when an unknown `kid` appears (30 s cooldown). */
export function remoteSigningKeys(authorityHost: string, tenantId: string): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(`${authorityHost}/${tenantId}/discovery/v2.0/keys`), {
    cacheMaxAge: 10 * 60_000,
    cooldownDuration: 30_000,
    timeoutDuration: 5_000,
  });
  return withSigningKeyIssuerCheck(remote, () => remote.jwks());
}

/** The token's `iss` is not the issuer its signing key is published for. */
class SigningKeyIssuerMismatch extends Error {}

/**
 * Entra publishes, with each signing key, the issuer it signs for (`issuer`, with `{tenantid}` standing for the
 * tenant on multi-tenant endpoints). A token signed by a key must carry that issuer, with its own `tid` filled in
 * (learn.microsoft.com/entra/identity-platform/claims-validation, "Validate the signing key issuer"), so a key
 * published for one issuer cannot vouch for tokens claiming another. A key that names no issuer is not restricted.
 * The payload read here is not yet verified: a mismatch only refuses, and the signature is checked with this key next.
 */
export function withSigningKeyIssuerCheck(getKey: JWTVerifyGetKey, keySet: () => JSONWebKeySet | undefined): JWTVerifyGetKey {
  return async (header, token) => {
    const key = await getKey(header, token);
    const published = keySet()?.keys.find((candidate) => candidate.kid === header.kid) as { issuer?: unknown } | undefined;
    if (typeof published?.issuer !== "string") return key;
    let claims: { iss?: unknown; tid?: unknown };
    try {
      const payload = typeof token.payload === "string" ? Buffer.from(token.payload, "base64url") : Buffer.from(token.payload);
      claims = JSON.parse(payload.toString("utf8")) as { iss?: unknown; tid?: unknown };
    } catch {
      throw new SigningKeyIssuerMismatch("the payload is not JSON");
    }
    const tenant = typeof claims.tid === "string" ? claims.tid : "";
    if (claims.iss !== published.issuer.replaceAll("{tenantid}", tenant)) throw new SigningKeyIssuerMismatch("iss is not the signing key's issuer");
    return key;
  };
}

export async function validateAccessToken(
  token: string | undefined,
  expectations: TokenExpectations,
  signingKeys: JWTVerifyGetKey,
  now: Date = new Date(),
): Promise<TokenValidation> {
  if (!token) return reject("missing", "no token");
  if (token.length > MAX_TOKEN_LENGTH) return reject("oversized", `token of ${token.length} characters`);

  let algorithm: string | undefined;
  try {
    algorithm = decodeProtectedHeader(token).alg;
  } catch {
    return reject("malformed", "the token is not a JWS");
  }
  // Checked before any key lookup: blocks `none` and HS256-signed-with-the-public-key confusion.
  // The header is unverified attacker text: only a known algorithm name reaches the detail (and the logs).
  if (algorithm !== "RS256") {
    return reject("algorithm_not_allowed", `alg ${algorithm === undefined ? "(none)" : LOGGED_ALGORITHMS.has(algorithm) ? algorithm : "other"}`);
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, signingKeys, {
      algorithms: ["RS256"],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: now,
      requiredClaims: ["iss", "aud", "exp", "nbf", "tid", "oid"],
    }));
  } catch (error) {
    return classifyVerificationError(error);
  }

  if (payload.ver !== "2.0") return reject("wrong_version", `ver ${String(payload.ver)}`);

  const tenantId = String(payload.tid).toLowerCase();
  if (!LOWER_CASE_GUID.test(tenantId) || !expectations.allowedTenantIds.includes(tenantId)) {
    return reject("tenant_not_allowed", `tid ${tenantId}`);
  }
  if (!expectations.issuerHosts.some((host) => payload.iss === `${host}/${tenantId}/v2.0`)) return reject("wrong_issuer", `iss ${String(payload.iss)}`);

  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((aud) => aud === expectations.apiClientId || aud === expectations.apiIdentifierUri)) {
    return reject("wrong_audience", `aud ${audiences.join(",")}`);
  }
  // ID tokens carry a nonce; app-only tokens say idtyp=app and have no scp. Only a user's delegated token authorizes.
  if (payload.nonce !== undefined || payload.idtyp === "app") return reject("not_a_user_token", "id token or app token");
  if (payload.azp !== expectations.spaClientId) return reject("wrong_client", `azp ${String(payload.azp)}`);

  const scopes = typeof payload.scp === "string" ? payload.scp.split(" ") : [];
  if (!scopes.includes(REQUIRED_SCOPE)) return reject("missing_scope", `scp ${scopes.join(" ") || "(none)"}`);

  const objectId = String(payload.oid).toLowerCase();
  if (!LOWER_CASE_GUID.test(objectId)) return reject("malformed", "oid is not a GUID");

  const roleClaims: unknown[] = Array.isArray(payload.roles) ? (payload.roles as unknown[]) : [];
  return {
    ok: true,
    principal: {
      tenantId,
      objectId,
      displayName: typeof payload.name === "string" ? payload.name : "",
      userPrincipalName: typeof payload.preferred_username === "string" ? payload.preferred_username : "",
      roles: CONSOLE_ROLES.filter((role) => roleClaims.includes(role)),
      authContexts: authContextsOf(payload.acrs),
      expiresAt: new Date((payload.exp ?? 0) * 1000),
    },
  };
}

/** Entra's ids are c1..c99 and Microsoft's own p1; anything else in the claim (or a claim of another type) counts as none. */
const AUTH_CONTEXT_ID = /^[a-z][0-9]{1,2}$/;
const MAX_AUTH_CONTEXTS = 100;

export function authContextsOf(claim: unknown): readonly string[] {
  if (!Array.isArray(claim) || claim.length > MAX_AUTH_CONTEXTS) return [];
  return claim.filter((value): value is string => typeof value === "string" && AUTH_CONTEXT_ID.test(value));
}

function classifyVerificationError(error: unknown): TokenValidation {
  if (error instanceof SigningKeyIssuerMismatch) return reject("wrong_key_issuer", error.message);
  if (error instanceof joseErrors.JWTExpired) return reject("expired", "exp has passed");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    // A missing claim is reported on the claim too; it is a malformed token, not one that is early.
    if (error.claim === "nbf" && error.reason !== "missing") return reject("not_yet_valid", "nbf is in the future");
    return reject("malformed", `claim ${error.claim}: ${error.reason}`);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return reject("unknown_signing_key", "no key with this kid");
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return reject("invalid_signature", "signature mismatch");
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return reject("algorithm_not_allowed", "algorithm not allowed");
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
    return reject("keys_unavailable", "the authority's signing keys could not be read");
  }
  if (error instanceof joseErrors.JOSEError) return reject("malformed", error.code);
  // A network failure fetching the keys: fail closed.
  return reject("keys_unavailable", error instanceof Error ? error.message : "unknown error");
}
