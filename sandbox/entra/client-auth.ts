/** Authenticates the client at the token endpoint: secret (post or basic) or certificate assertion (private_key_jwt). */
import { createPublicKey, timingSafeEqual } from "node:crypto";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import type { AppRegistrationForAuth, ClientCertificateForAuth, TenantAuthView } from "../contract";
import { EntraError, invalidClient } from "./errors";
import type { EntraRequest } from "./http";
import type { ClientAuthLevel } from "./tokens";

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

/**
 * @param tokenEndpoints URLs a client assertion's `aud` may name (this tenant's token endpoints).
 * @param credentialRequired confidential flows (client credentials, OBO, web auth code) need a credential.
 */
export async function authenticateClient(
  request: EntraRequest,
  tenant: TenantAuthView,
  tokenEndpoints: readonly string[],
  credentialRequired: boolean,
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
      throw new EntraError({ error: "invalid_client", code: 7000222, status: 401, message: `The provided client secret keys for app '${client.appId}' are expired. Visit the Azure portal to create new keys for your app.` });
    }
    return { client, level: "1" };
  }

  if (assertion) {
    if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE) {
      throw new EntraError({ error: "invalid_request", code: 50027, message: `Invalid client_assertion_type; expected '${CLIENT_ASSERTION_TYPE}'.` });
    }
    await verifyClientAssertion(assertion, client, request.now, tokenEndpoints);
    return { client, level: "2" };
  }

  if (credentialRequired) {
    throw new EntraError({ error: "invalid_client", code: 7000218, status: 401, message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." });
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
      throw new EntraError({ error: "invalid_client", code: 700021, status: 401, message: "Client assertion application identifier doesn't match 'client_id' parameter." });
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    const allowed = new Set(tokenEndpoints.map((endpoint) => endpoint.toLowerCase()));
    if (!audiences.some((audience) => typeof audience === "string" && allowed.has(audience.toLowerCase()))) {
      throw badAssertion(`Client assertion audience claim does not match Realm issuer. Review the documentation at https://aka.ms/certCredentials. (aud: '${String(payload.aud)}')`);
    }
  } catch (error) {
    if (error instanceof EntraError) throw error;
    if (error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf")) {
      throw new EntraError({ error: "invalid_client", code: 700024, status: 401, message: `Client assertion is not within its valid time range. Current time: ${now.toISOString()}.` });
    }
    throw badAssertion("Client assertion failed signature validation.");
  }
}
