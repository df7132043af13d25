import "server-only";

import type { JWTVerifyGetKey } from "jose";

import { createHash } from "node:crypto";

import { decodeJwt } from "jose";

import { recordAuditEventNow } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { describeError, log } from "@/lib/log";
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
 * Validates an API access token against the configured tenant, and records every rejection in the security log
 * with its reason — never the token itself.
 */
export async function validateConsoleToken(
  token: string | undefined,
  context: { readonly via: "session-cookie" | "sign-in" | "bearer" },
): Promise<TokenValidation> {
  const { identity } = getConfig();
  signingKeys ??= remoteSigningKeys(identity.authorityHost, identity.tenantId);
  const result = await validateAccessToken(token, expectations(), signingKeys);
  if (!result.ok && result.reason !== "missing") {
    log("warn", "security", "auth.token_rejected", { reason: result.reason, detail: result.detail, via: context.via });
    await recordRejection(token ?? "", result.reason, context.via);
  }
  return result;
}

/** The hash of the token's `uti` (its unique id), so support can match a rejection without the token ever kept. */
function tokenIdHash(token: string): string | undefined {
  try {
    const uti = decodeJwt(token).uti;
    return typeof uti === "string" ? createHash("sha256").update(uti).digest("hex") : undefined;
  } catch {
    return undefined;
  }
}

async function recordRejection(token: string, rejection: string, via: "session-cookie" | "sign-in" | "bearer"): Promise<void> {
  const tokenIdSha256 = tokenIdHash(token);
  try {
    await recordAuditEventNow(await getDatabase(), {
      action: "auth.token_rejected",
      outcome: "denied",
      actor: { kind: "anonymous" },
      target: {},
      details: { rejection, via, ...(tokenIdSha256 ? { tokenIdSha256 } : {}) },
    });
  } catch (error) {
    log("error", "audit", "could not record a token rejection", { error: describeError(error) });
  }
}
