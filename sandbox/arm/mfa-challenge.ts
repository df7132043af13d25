/**
 * Mandatory MFA for Azure (phase 2): ARM refuses a user's create, update or delete made with a token that does not
 * show MFA, with 401 and a `WWW-Authenticate` claims challenge the client must send back through a new sign-in
 * (sources in sandbox/README.md, "MFA claims challenge on ARM writes"). Workload identities (app tokens) are exempt.
 * The sandbox applies it to the users in `tenant.armWriteMfaUsers` (a seeded persona, or any user through the control
 * API), so every other persona keeps writing with a password-only token.
 */
import type { SandboxResponse } from "../contract";
import type { ArmContext } from "./context";
import { armJson } from "./responses";

/** The claims Microsoft's mandatory-MFA challenge asks for: authentication context class `p1`, i.e. MFA. */
export const ARM_MFA_CLAIMS = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });

const WRITE_METHODS = new Set(["PUT", "PATCH", "DELETE"]);

/** The 401 challenge when this request is a write that needs MFA the token lacks; undefined when it may go on. */
export function mfaChallenge(context: ArmContext, method: string): SandboxResponse | undefined {
  const { caller } = context.request;
  if (!WRITE_METHODS.has(method) || caller.kind !== "user") return undefined;
  if (!context.tenant.armWriteMfaUsers.has(caller.objectId.toLowerCase()) || caller.authMethods.includes("mfa")) return undefined;
  const authorizationUri = `${context.request.origin}/${caller.tenantId}/oauth2/authorize`;
  const claims = Buffer.from(ARM_MFA_CLAIMS).toString("base64");
  const response = armJson(context, 401, {
    error: {
      code: "InvalidAuthenticationTokenClaims",
      message:
        "The access token is missing required claims: multi-factor authentication is required for this operation. Satisfy the claims challenge in the WWW-Authenticate header and retry.",
    },
  });
  return {
    ...response,
    headers: {
      ...response.headers,
      "www-authenticate": `Bearer authorization_uri="${authorizationUri}", error="insufficient_claims", claims="${claims}"`,
    },
  };
}
