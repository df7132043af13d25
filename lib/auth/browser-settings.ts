import "server-only";

import { getConfig } from "@/lib/config";
import { describeError, log } from "@/lib/log";
import { type BrowserAuthSettings, REDIRECT_BRIDGE_PATH } from "@/lib/shared/browser-auth";

let sandboxMetadata: Promise<string | undefined> | undefined;

/**
 * In sandbox mode MSAL gets the authority's metadata up front, so the browser's first contact with the sandbox is the
 * sign-in page itself — a page a person can open (and accept a certificate warning on) before trusting its local CA.
 * Against real Entra, MSAL discovers it as usual.
 */
function fetchSandboxMetadata(authority: string): Promise<string | undefined> {
  sandboxMetadata ??= fetch(`${authority}/v2.0/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) })
    .then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return JSON.stringify(await response.json());
    })
    .catch((error: unknown) => {
      sandboxMetadata = undefined; // try again on the next page
      log("warn", "auth", "sandbox tenant metadata unavailable", { error: describeError(error) });
      return undefined;
    });
  return sandboxMetadata;
}

export async function getBrowserAuthSettings(): Promise<BrowserAuthSettings> {
  const { identity, publicOrigin, mode } = getConfig();
  const authorityMetadata = mode === "sandbox" ? await fetchSandboxMetadata(identity.authority) : undefined;
  return {
    clientId: identity.spaClientId,
    authority: identity.authority,
    knownAuthorities: [new URL(identity.authorityHost).host],
    ...(authorityMetadata ? { authorityMetadata } : {}),
    redirectUri: `${publicOrigin}${REDIRECT_BRIDGE_PATH}`,
    postLogoutRedirectUri: `${publicOrigin}/signin?signedOut=1`,
    apiScope: identity.apiScope,
  };
}
