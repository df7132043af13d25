/**
 * Verifies the bearer token on a Graph or ARM call (RS256 against the sandbox's own keys, v1 issuer, the service's
 * audience, lifetime against the sandbox clock) and turns it into a `Caller`. Failures come back in the service's
 * own 401 shape.
 */
import { type JWTPayload, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { armAudiences, graphAudiences, monitorAudiences } from "./clouds";
import { type Caller, MICROSOFT_GRAPH_APP_ID, type SandboxCloud } from "./contract";
import type { SigningKeys } from "./entra/keys";
import { v1Issuer } from "./entra/tokens";

export type ProtectedService = "graph" | "arm" | "monitor";

export type TokenProblem =
  | { readonly kind: "missing" }
  | { readonly kind: "malformed" }
  | { readonly kind: "invalid"; readonly detail: string }
  | { readonly kind: "expired"; readonly expiredAt: Date }
  | { readonly kind: "audience"; readonly audience: string; readonly allowed: readonly string[] };

export type VerifyResult = { readonly ok: true; readonly caller: Caller } | { readonly ok: false; readonly problem: TokenProblem };

/** Audiences each service accepts in the tenant's cloud, as in production (with and without the trailing slash). */
function acceptedAudiences(service: ProtectedService, cloud: SandboxCloud): readonly string[] {
  return service === "graph" ? graphAudiences(cloud) : service === "arm" ? armAudiences(cloud) : monitorAudiences(cloud);
}

export async function verifyBearerToken(
  authorization: string | undefined,
  service: ProtectedService,
  keys: SigningKeys,
  tenant: { readonly tenantId: string; readonly cloud: SandboxCloud },
  now: Date,
): Promise<VerifyResult> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "");
  if (!authorization) return { ok: false, problem: { kind: "missing" } };
  const token = match?.[1];
  if (!token) return { ok: false, problem: { kind: "malformed" } };

  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return { ok: false, problem: { kind: "malformed" } };
  }
  const key = kid ? keys.publicKey(kid) : undefined;
  if (!key) return { ok: false, problem: { kind: "invalid", detail: "The signing key is not published in the tenant's keys." } };

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ["RS256"], issuer: v1Issuer(tenant), currentDate: now }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      return { ok: false, problem: { kind: "expired", expiredAt: new Date(Number(error.payload.exp) * 1000) } };
    }
    const detail = error instanceof joseErrors.JWTClaimValidationFailed ? `The '${error.claim}' claim is not valid.` : "The signature is not valid.";
    return { ok: false, problem: { kind: "invalid", detail } };
  }
  const audience = typeof payload.aud === "string" ? payload.aud : "";
  if (!acceptedAudiences(service, tenant.cloud).includes(audience)) {
    return { ok: false, problem: { kind: "audience", audience, allowed: acceptedAudiences(service, tenant.cloud) } };
  }
  if (payload.tid !== tenant.tenantId || typeof payload.oid !== "string") {
    return { ok: false, problem: { kind: "invalid", detail: "The token has no object id for this tenant." } };
  }

  const isApp = payload.idtyp === "app" || typeof payload.scp !== "string";
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is string => typeof role === "string") : [];
  return {
    ok: true,
    caller: {
      kind: isApp ? "app" : "user",
      tenantId: tenant.tenantId,
      objectId: payload.oid,
      appId: typeof payload.appid === "string" ? payload.appid : typeof payload.azp === "string" ? payload.azp : "",
      scopes: isApp ? [] : String(payload.scp).split(" ").filter(Boolean),
      roles: isApp ? roles : [],
      authMethods: !isApp && Array.isArray(payload.amr) ? payload.amr.filter((method): method is string => typeof method === "string") : [],
    },
  };
}

export interface ChallengeReply {
  readonly status: 401;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** A 401 in the service's own shape, with `WWW-Authenticate` pointing at the sandbox authority. */
export function unauthorizedReply(
  service: ProtectedService,
  problem: TokenProblem,
  context: { origin: string; tenantId: string; requestId: string; clientRequestId: string | undefined; now: Date },
): ChallengeReply {
  const authorizationUri = `${context.origin}/${context.tenantId}/oauth2/authorize`;
  if (service === "graph") {
    const message =
      problem.kind === "missing" || problem.kind === "malformed"
        ? "Access token is empty."
        : problem.kind === "expired"
          ? "Lifetime validation failed, the token is expired."
          : problem.kind === "audience"
            ? "Invalid audience."
            : "Access token validation failure.";
    return {
      status: 401,
      headers: {
        "www-authenticate": `Bearer realm="", authorization_uri="${authorizationUri}", client_id="${MICROSOFT_GRAPH_APP_ID}"`,
      },
      body: {
        error: {
          code: "InvalidAuthenticationToken",
          message,
          innerError: {
            date: context.now.toISOString().slice(0, 19),
            "request-id": context.requestId,
            "client-request-id": context.clientRequestId ?? context.requestId,
          },
        },
      },
    };
  }
  if (service === "monitor") {
    // The Logs Ingestion API's 401 body is not documented publicly; a plain error in Azure's shape, no ARM wording.
    const message =
      problem.kind === "missing" || problem.kind === "malformed"
        ? "The request has no valid bearer token."
        : problem.kind === "expired"
          ? "The access token has expired."
          : problem.kind === "audience"
            ? `The access token's audience '${problem.audience}' is not https://monitor.azure.com.`
            : "The access token is invalid.";
    return {
      status: 401,
      headers: { "www-authenticate": `Bearer authorization_uri="${authorizationUri}", error="invalid_token"` },
      body: { error: { code: "InvalidAuthenticationToken", message } },
    };
  }
  const [code, message, description] = armProblem(problem, context.now);
  return {
    status: 401,
    headers: {
      "www-authenticate": `Bearer authorization_uri="${authorizationUri}", error="invalid_token", error_description="${description}"`,
    },
    body: { error: { code, message } },
  };
}

function armProblem(problem: TokenProblem, now: Date): [code: string, message: string, description: string] {
  switch (problem.kind) {
    case "missing":
      return [
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is missing.",
        "The authentication failed because of missing 'Authorization' header.",
      ];
    case "malformed":
      return [
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        "The authentication failed because of an invalid 'Authorization' header.",
      ];
    case "expired":
      return [
        "ExpiredAuthenticationToken",
        `The access token expiry UTC time '${armTime(problem.expiredAt)}' is earlier than current UTC time '${armTime(now)}'.`,
        "The access token has expired.",
      ];
    case "audience":
      return [
        "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${problem.audience}'. It should exactly match with one of the allowed audiences ${problem.allowed.map((audience) => `'${audience}'`).join(",")}.`,
        "The access token has an invalid audience.",
      ];
    case "invalid":
      return ["InvalidAuthenticationToken", "The access token is invalid.", "The access token is invalid."];
  }
}

/** ARM prints times like `11/24/2026 11:44:23 AM`. */
function armTime(date: Date): string {
  const hours = date.getUTCHours();
  const twelve = hours % 12 === 0 ? 12 : hours % 12;
  const pad = (value: number) => value.toString().padStart(2, "0");
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${twelve}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? "AM" : "PM"}`;
}
