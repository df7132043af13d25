import "server-only";

import type { JWTVerifyGetKey } from "jose";

import { getConfig } from "@/lib/config";
import { log } from "@/lib/log";
import { remoteSigningKeys, type TokenExpectations, type TokenValidation, validateAccessToken } from "./access-token";

let signingKeys: JWTVerifyGetKey | undefined;

function expectations(): TokenExpectations {
  const { identity } = getConfig();
  return {
    authorityHost: identity.authorityHost,
    allowedTenantIds: identity.allowedTenantIds,
    apiClientId: identity.apiClientId,
    apiIdentifierUri: identity.apiIdentifierUri,
    spaClientId: identity.spaClientId,
  };
}

/**
 * Validates an API access token against the configured tenant, and records every rejection in the security log
 * with its reason — never the token itself.
 */
export async function validateConsoleToken(token: string | undefined, context: { readonly via: string }): Promise<TokenValidation> {
  const { identity } = getConfig();
  signingKeys ??= remoteSigningKeys(identity.authorityHost, identity.tenantId);
  const result = await validateAccessToken(token, expectations(), signingKeys);
  if (!result.ok && result.reason !== "missing") {
    log("warn", "security", "auth.token_rejected", { reason: result.reason, detail: result.detail, via: context.via });
  }
  return result;
}
