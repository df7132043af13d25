/**
 * Authenticates the client at the token endpoint: secret (post or basic), certificate assertion (private_key_jwt), or
 * a federated assertion (workload identity federation: a token from a trusted issuer matching one of the app's
 * federated identity credentials — here, the console's managed identity).
 */
import { createPublicKey, timingSafeEqual } from "node:crypto";
import { type JWTPayload, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import {
  type AppRegistrationForAuth,
  type ClientCertificateForAuth,
  type FederatedCredentialForAuth,
  TOKEN_EXCHANGE_APP_ID,
  TOKEN_EXCHANGE_AUDIENCE,
  type TenantAuthView,
} from "../contract";
import { EntraError, invalidClient } from "./errors";
import type { EntraRequest } from "./http";
import type { SigningKeys } from "./keys";
import { type ClientAuthLevel, v2Issuer } from "./tokens";

export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface AuthenticatedClient {
  readonly client: AppRegistrationForAuth;
  /** 0 = public client (no credential), 1 = secret, 2 = certificate. */
  readonly level: ClientAuthLevel;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function basicCredentials(header: string | undefined): { clientId: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

const badAssertion = (message: string) => new EntraError({ error: "invalid_client", code: 700027, status: 401, message });

/** How a token request authenticated its client, for the call journal (tests prove "no secret anywhere" with it). */
export type ClientCredentialKind = "none" | "secret" | "certificate" | "federated";

export function clientCredentialKind(form: URLSearchParams, headers: Readonly<Record<string, string | undefined>>): ClientCredentialKind {
  if (form.get("client_secret") !== null || basicCredentials(headers["authorization"])) return "secret";
  const assertion = form.get("client_assertion");
  if (!assertion) return "none";
  try {
    const { iss, sub } = decodeJwt(assertion);
    const clientId = form.get("client_id") ?? sub;
    return iss !== undefined && iss === clientId ? "certificate" : "federated";
  } catch {
    return "certificate";
  }
}

/**
 * @param tokenEndpoints URLs a client assertion's `aud` may name (this tenant's token endpoints).
 * @param credentialRequired confidential flows (client credentials, OBO, web auth code) need a credential.
 */
export async function authenticateClient(
  request: EntraRequest,
  tenant: TenantAuthView,
  tokenEndpoints: readonly string[],
  credentialRequired: boolean,
  keys: SigningKeys,
): Promise<AuthenticatedClient> {
  const form = request.form;
  const basic = basicCredentials(request.headers["authorization"]);
  const assertion = form.get("client_assertion");
  let clientId = form.get("client_id") ?? basic?.clientId ?? null;

  if (assertion && !clientId) {
    // private_key_jwt may omit client_id; the assertion's `sub` names the client.
    try {
      const payload = JSON.parse(Buffer.from(assertion.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: unknown };
      if (typeof payload.sub === "string") clientId = payload.sub;
    } catch {
      throw badAssertion("The client assertion is not a well-formed JWT.");
    }
  }
  if (!clientId) {
    throw new EntraError({ error: "invalid_request", code: 900144, message: "The request body must contain the following parameter: 'client_id'." });
  }
  const client = tenant.findApplication(clientId);
  if (!client || client.appId.toLowerCase() !== clientId.toLowerCase()) throw invalidClient(clientId, tenant.tenantId);

  const secret = form.get("client_secret") ?? basic?.secret ?? null;
  if (secret !== null) {
    const match = client.secrets.find((candidate) => sameText(candidate.secretText, secret));
    if (!match) {
      throw new EntraError({
        error: "invalid_client",
        code: 7000215,
        status: 401,
        message: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.appId}'.`,
      });
    }
    if (match.endDateTime && Date.parse(match.endDateTime) <= request.now.getTime()) {
      throw new EntraError({
        error: "invalid_client",
        code: 7000222,
        status: 401,
        message: `The provided client secret keys for app '${client.appId}' are expired. Visit the Azure portal to create new keys for your app.`,
      });
    }
    return { client, level: "1" };
  }

  if (assertion) {
    if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE) {
      throw new EntraError({ error: "invalid_request", code: 50027, message: `Invalid client_assertion_type; expected '${CLIENT_ASSERTION_TYPE}'.` });
    }
    // A certificate assertion is issued by the client itself (RFC 7523 §3: `iss` = `sub` = client id); anything else
    // is a federated assertion from another issuer.
    let issuer: unknown;
    try {
      issuer = decodeJwt(assertion).iss;
    } catch {
      throw badAssertion("The client assertion is not a well-formed JWT.");
    }
    if (issuer === client.appId) {
      await verifyClientAssertion(assertion, client, request.now, tokenEndpoints);
    } else {
      await verifyFederatedAssertion(assertion, client, request, tenant, keys);
    }
    return { client, level: "2" };
  }

  if (credentialRequired) {
    throw new EntraError({
      error: "invalid_client",
      code: 7000218,
      status: 401,
      message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    });
  }
  return { client, level: "0" };
}

async function verifyClientAssertion(assertion: string, client: AppRegistrationForAuth, now: Date, tokenEndpoints: readonly string[]): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw badAssertion("The client assertion is not a well-formed JWT.");
  }
  const thumbprintSha256 = typeof header["x5t#S256"] === "string" ? header["x5t#S256"] : undefined;
  const thumbprintSha1 = typeof header.x5t === "string" ? header.x5t : undefined;
  const certificate: ClientCertificateForAuth | undefined = client.certificates.find(
    (candidate) =>
      (thumbprintSha256 !== undefined && candidate.thumbprintSha256 === thumbprintSha256) ||
      (thumbprintSha1 !== undefined && candidate.thumbprintSha1 === thumbprintSha1),
  );
  if (!certificate) {
    throw badAssertion(
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprintSha256 ?? thumbprintSha1 ?? "none"}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${client.appId}'.]`,
    );
  }
  if (certificate.endDateTime && Date.parse(certificate.endDateTime) <= now.getTime()) {
    throw badAssertion(`The certificate used to sign the client assertion for app '${client.appId}' has expired.`);
  }
  try {
    const { payload } = await jwtVerify(assertion, createPublicKey(certificate.publicKeyPem), {
      algorithms: ["PS256", "RS256"],
      currentDate: now,
      clockTolerance: 300,
    });
    if (payload.iss !== client.appId || payload.sub !== client.appId) {
      throw new EntraError({
        error: "invalid_client",
        code: 700021,
        status: 401,
        message: "Client assertion application identifier doesn't match 'client_id' parameter.",
      });
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const allowed = new Set(tokenEndpoints.map((endpoint) => endpoint.toLowerCase()));
    if (!audiences.some((audience) => typeof audience === "string" && allowed.has(audience.toLowerCase()))) {
      throw badAssertion(
        `Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCredentials. (aud: '${String(payload.aud)}')`,
      );
    }
  } catch (error) {
    if (error instanceof EntraError) throw error;
    if (error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf")) {
      throw new EntraError({
        error: "invalid_client",
        code: 700024,
        status: 401,
        message: `Client assertion is not within its valid time range. Current time: ${now.toISOString()}.`,
      });
    }
    throw badAssertion("Client assertion failed signature validation.");
  }
}

const FEDERATION_DOC = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";
const CHECK_FIC = `Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FEDERATION_DOC}`;

/** A federated credential's audience matches the assertion's: `api://AzureADTokenExchange` is carried as its app id. */
function audienceMatches(credential: FederatedCredentialForAuth, audiences: readonly string[]): boolean {
  return credential.audiences.some(
    (configured) => audiences.includes(configured) || (configured === TOKEN_EXCHANGE_AUDIENCE && audiences.includes(TOKEN_EXCHANGE_APP_ID)),
  );
}

/**
 * Workload identity federation as Entra applies it (errors as Entra words them; matching is case-sensitive since
 * 2024, see https://learn.microsoft.com/entra/identity-platform/reference-breaking-changes#federated-identity-credentials-now-use-case-sensitive-matching):
 *  - no federated credential on the app → AADSTS70021;
 *  - none with the assertion's issuer → AADSTS700211; issuer but not subject → AADSTS700213 (AADSTS7002138 when only
 *    the case differs); issuer and subject but not audience → AADSTS700212;
 *  - then the assertion itself: signature against the issuer's keys, lifetime (AADSTS700024).
 * The only issuer whose keys the sandbox can read is itself, whose tokens for the exchange audience come from its
 * managed-identity endpoint — Entra accepts its own tokens here only from managed identities, too.
 */
async function verifyFederatedAssertion(
  assertion: string,
  client: AppRegistrationForAuth,
  request: EntraRequest,
  tenant: TenantAuthView,
  keys: SigningKeys,
): Promise<void> {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw badAssertion("The client assertion is not a well-formed JWT.");
  }
  const issuer = typeof claims.iss === "string" ? claims.iss : "";
  const subject = typeof claims.sub === "string" ? claims.sub : "";
  const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter((value): value is string => typeof value === "string");
  const credentials = client.federatedCredentials;
  if (credentials.length === 0) {
    throw new EntraError({
      error: "invalid_request",
      code: 70021,
      message: `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audiences.join(",")}'. ${FEDERATION_DOC}`,
    });
  }
  const sameIssuer = credentials.filter((credential) => credential.issuer === issuer);
  if (sameIssuer.length === 0) {
    throw new EntraError({
      error: "invalid_client",
      code: 700211,
      status: 401,
      message: `No matching federated identity record found for presented assertion issuer '${issuer}'. ${CHECK_FIC}`,
    });
  }
  const sameSubject = sameIssuer.filter((credential) => credential.subject === subject);
  if (sameSubject.length === 0) {
    const caseOnly = sameIssuer.some((credential) => credential.subject.toLowerCase() === subject.toLowerCase());
    throw new EntraError({
      error: "invalid_client",
      code: caseOnly ? 7002138 : 700213,
      status: 401,
      message: caseOnly
        ? `No matching federated identity record found for presented assertion subject '${subject}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. ${CHECK_FIC}`
        : `No matching federated identity record found for presented assertion subject '${subject}'. ${CHECK_FIC}`,
    });
  }
  if (!sameSubject.some((credential) => audienceMatches(credential, audiences))) {
    throw new EntraError({
      error: "invalid_client",
      code: 700212,
      status: 401,
      message: `No matching federated identity record found for presented assertion audience '${audiences.join(",")}'. ${CHECK_FIC}`,
    });
  }

  const ownIssuer = v2Issuer(request.origin, tenant.tenantId);
  if (issuer !== ownIssuer) {
    // Entra would now read the issuer's OpenID configuration and keys; the sandbox reaches no network.
    throw new EntraError({
      error: "invalid_client",
      code: 50166,
      status: 401,
      message: `Request to External OIDC endpoint failed. The sandbox can only verify assertions issued by itself (${ownIssuer}).`,
    });
  }
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(assertion).kid;
  } catch {
    throw badAssertion("The client assertion is not a well-formed JWT.");
  }
  const key = kid ? keys.publicKey(kid) : undefined;
  if (!key) {
    throw badAssertion(`Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${kid ?? "none"}']`);
  }
  try {
    await jwtVerify(assertion, key, { algorithms: ["RS256"], issuer: ownIssuer, currentDate: request.now });
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf")) {
      throw new EntraError({
        error: "invalid_client",
        code: 700024,
        status: 401,
        message: `Client assertion is not within its valid time range. Current time: ${request.now.toISOString()}, expiry time of assertion ${new Date(Number(claims.exp) * 1000).toISOString()}.`,
      });
    }
    throw badAssertion("Client assertion failed signature validation.");
  }
  if (claims.idtyp !== "app" || !tenant.findManagedIdentity(subject)) {
    throw new EntraError({
      error: "invalid_request",
      code: 70021,
      message: `No matching federated identity record found for presented assertion. Tokens issued by Microsoft Entra ID can only be used as a federated credential when they belong to a managed identity. ${FEDERATION_DOC}`,
    });
  }
}
