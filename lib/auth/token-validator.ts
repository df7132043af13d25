import "server-only";

import type { JWTVerifyGetKey } from "jose";

import { getConfig } from "@/lib/config";
import { logRefusal, recordAnonymousRefusal } from "@/lib/security/refusal-tally";
import { remoteSigningKeys, type TokenExpectations, type TokenValidation, validateAccessToken } from "./access-token";

let signingKeys: JWTVerifyGetKey | undefined;

function expectations(): TokenExpectations {
  const { identity } = getConfig();
  return {
    issuerHosts: identity.issuerHosts,
    allowedTenantIds: identity.allowedTenantIds,
    apiClientId: identity.apiClientId,
    apiIdentifierUri: identity.apiIdentifierUri,
    spaClientId: identity.spaClientId,
  };
}

/**
 * Validates an API access token against the configured tenant. Every rejection is counted with its reason for the
 * audit trail's per-minute tally (`security.refusals_counted`) and logged (at most a few lines a minute) — never the
 * token itself.
 */
export async function validateConsoleToken(
  token: string | undefined,
  context: { readonly via: "session-cookie" | "sign-in" | "bearer" },
): Promise<TokenValidation> {
  const { identity } = getConfig();
  signingKeys ??= remoteSigningKeys(identity.authorityHost, identity.tenantId);
  const result = await validateAccessToken(token, expectations(), signingKeys);
  if (!result.ok && result.reason !== "missing") {
    logRefusal("auth.token_rejected", { reason: result.reason, detail: result.detail.slice(0, 200), via: context.via });
    await recordAnonymousRefusal(`auth.token_rejected/${context.via}/${result.reason}`);
  }
  return result;
}
