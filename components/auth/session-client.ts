"use client";

import type { AccountInfo, IPublicClientApplication } from "@azure/msal-browser";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";
import { type LoadedMsal, loadedMsal, loadMsal, type MsalLibrary } from "./msal-client";
import { describeSignInFailure } from "./sign-in-errors";

// Set while signing out: the page may re-render before the browser leaves for Entra's logout, and nothing must
// hand the server a token again in that window.
let signingOut = false;

export function markSigningOut(): void {
  signingOut = true;
}

export function isSigningOut(): boolean {
  return signingOut;
}

// The hand-over of the token from the last interactive sign-in (a popup) to the server; a retry waits for it, or it would run
// with the session's previous token.
let renewal: Promise<unknown> = Promise.resolve();

export function trackSessionRenewal(handOver: Promise<unknown>): void {
  renewal = handOver.catch(() => undefined);
}

/** Settles once the server holds the token of the last interactive sign-in (at once when there was none). */
export function sessionRenewed(): Promise<unknown> {
  return renewal;
}

export function currentAccount(client: IPublicClientApplication): AccountInfo | null {
  if (signingOut) return null;
  return client.getActiveAccount() ?? client.getAllAccounts()[0] ?? null;
}

export type SessionOutcome =
  { readonly kind: "established"; readonly expiresAt: Date } | { readonly kind: "needs-sign-in" } | { readonly kind: "failed"; readonly message: string };

const UNREACHABLE = "Gatehouse could not reach the sign-in service. Check your connection and try again.";

/**
 * Hands an access token for the console's API to the server, which validates it and keeps it (encrypted) with the
 * session; the cookie carries only the session's id. The token is never kept anywhere else on the page: MSAL's cache
 * is in memory (msal-client.ts).
 */
async function handOver(client: IPublicClientApplication, accessToken: string): Promise<SessionOutcome> {
  const response = await fetch("/api/session", { method: "POST", headers: { Authorization: `Bearer ${accessToken}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    if (body?.error?.code === "session_ended") {
      // Ended from the account page (by this person elsewhere, or an admin): forget this tab's tokens and sign in again.
      await client.clearCache().catch(() => undefined);
      return { kind: "needs-sign-in" };
    }
    return { kind: "failed", message: body?.error?.message ?? "Your sign-in could not be verified. Sign in again." };
  }
  const body = (await response.json()) as { expiresAt: string };
  return { kind: "established", expiresAt: new Date(body.expiresAt) };
}

/** Whether a silent request failed because only the person can go on (not because the service was unreachable). */
function needsInteraction(msal: MsalLibrary, error: unknown): boolean {
  if (error instanceof msal.InteractionRequiredAuthError) return true;
  // An SPA's refresh token lives a fixed 24 hours (AADSTS700084), or the grant was revoked.
  if (error instanceof msal.ServerError && error.errorCode === "invalid_grant") return true;
  // The hidden iframe got no answer: third-party cookies blocked, or Entra showed a page instead of redirecting.
  return error instanceof msal.AuthError && error.errorCode === msal.BrowserAuthErrorCodes.timedOut;
}

/**
 * Gets a token for the console's API without the person and hands it to the server: from MSAL's memory cache or its
 * refresh token while this page has signed in; otherwise (after a reload the memory cache is empty) through a hidden
 * iframe on Entra's own session cookie (`ssoSilent`, `prompt=none`) for the person the server's session names.
 */
export async function renewSilently(settings: BrowserAuthSettings, loginHint: string | undefined): Promise<SessionOutcome> {
  let loaded;
  try {
    loaded = await loadMsal(settings);
  } catch {
    return { kind: "failed", message: UNREACHABLE };
  }
  const { client, msal } = loaded;
  const account = currentAccount(client);
  if (!account && !loginHint) return { kind: "needs-sign-in" };
  let accessToken: string;
  try {
    const result = account
      ? await client.acquireTokenSilent({ scopes: [settings.apiScope], account, cacheLookupPolicy: msal.CacheLookupPolicy.Default })
      : await client.ssoSilent({ scopes: [settings.apiScope], loginHint });
    if (result.account) client.setActiveAccount(result.account);
    accessToken = result.accessToken;
  } catch (error) {
    return needsInteraction(msal, error) ? { kind: "needs-sign-in" } : { kind: "failed", message: UNREACHABLE };
  }
  return handOver(client, accessToken);
}

/** The message for an interactive sign-in that did not finish: never MSAL's own text. */
export function describeInteractiveFailure(msal: MsalLibrary, error: unknown): string {
  const { BrowserAuthErrorCodes } = msal;
  const code = error instanceof msal.AuthError ? error.errorCode : undefined;
  if (code === BrowserAuthErrorCodes.popupWindowError || code === BrowserAuthErrorCodes.emptyWindowError) {
    return "Your browser blocked the sign-in window. Allow pop-ups for this site, then select the button again.";
  }
  if (code === BrowserAuthErrorCodes.userCancelled || code === BrowserAuthErrorCodes.timedOut) {
    return "The sign-in window was closed before the sign-in finished. Select the button to open it again.";
  }
  if (code === BrowserAuthErrorCodes.noNetworkConnectivity || code === "network_error") return UNREACHABLE;
  return describeSignInFailure(error);
}

export interface InteractiveSignIn {
  /** A claims challenge (e.g. MFA, an authentication context) the new token must satisfy. */
  readonly claims?: string | undefined;
  /** Who to sign in, when this page knows (the server's session names them). */
  readonly loginHint?: string | undefined;
}

/**
 * Signs in in a popup — the page stays as it is — and hands the new token to the server. Call it from a click: a
 * browser blocks a popup that no gesture opened. A popup still open from an earlier click (closed by the person, whose
 * answer MSAL would wait for until its timeout) is given up for this one. MSAL must be loaded already (preloadMsal
 * where the button shows): a browser lets only a click's own moment open a popup, not the end of a download.
 */
export function signInWithPopup(settings: BrowserAuthSettings, request: InteractiveSignIn = {}): Promise<SessionOutcome> {
  const loaded = loadedMsal();
  const outcome = loaded
    ? popupSignIn(loaded, settings, request)
    : loadMsal(settings).then(
        (ready) => popupSignIn(ready, settings, request),
        (): SessionOutcome => ({ kind: "failed", message: UNREACHABLE }),
      );
  trackSessionRenewal(outcome);
  return outcome;
}

function popupSignIn({ client, msal }: LoadedMsal, settings: BrowserAuthSettings, request: InteractiveSignIn): Promise<SessionOutcome> {
  const account = currentAccount(client);
  const popup = {
    scopes: [settings.apiScope],
    overrideInteractionInProgress: true,
    ...(request.claims ? { claims: request.claims } : {}),
    ...(account ? { account } : request.loginHint ? { loginHint: request.loginHint } : {}),
  };
  return (account ? client.acquireTokenPopup(popup) : client.loginPopup(popup)).then(
    (result) => {
      if (result.account) client.setActiveAccount(result.account);
      return handOver(client, result.accessToken);
    },
    (error: unknown): SessionOutcome => ({ kind: "failed", message: describeInteractiveFailure(msal, error) }),
  );
}
