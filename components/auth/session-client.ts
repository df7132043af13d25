"use client";

import { type AccountInfo, CacheLookupPolicy, InteractionRequiredAuthError, type IPublicClientApplication, ServerError } from "@azure/msal-browser";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";

// Set while signing out: the page may re-render before the browser leaves for Entra's logout, and nothing must
// hand the server a token again in that window.
let signingOut = false;

export function markSigningOut(): void {
  signingOut = true;
}

export function isSigningOut(): boolean {
  return signingOut;
}

// The hand-over of the token from the last interactive sign-in to the server; a retry waits for it, or it would run
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

/**
 * Gets a token for the console's API silently (MSAL's cache or refresh token) and hands it to the server, which
 * validates it and keeps it in an HttpOnly cookie. The token is never kept anywhere else on the page.
 *
 * Never through MSAL's hidden-iframe fallback: the console's own CSP (`frame-ancestors 'none'`, `frame-src` only the
 * identity origin) stops the iframe at the redirect back, so it could only time out. A refresh token Entra refuses
 * (`invalid_grant`: an SPA's fixed 24 hours are over, AADSTS700084, or the grant was revoked) needs a new sign-in.
 */
export async function establishSession(
  client: IPublicClientApplication,
  settings: BrowserAuthSettings,
  account: AccountInfo,
  claims?: string,
): Promise<SessionOutcome> {
  let accessToken: string;
  try {
    const result = await client.acquireTokenSilent({
      scopes: [settings.apiScope],
      account,
      cacheLookupPolicy: CacheLookupPolicy.AccessTokenAndRefreshToken,
      ...(claims ? { claims } : {}),
    });
    accessToken = result.accessToken;
  } catch (error) {
    if (error instanceof InteractionRequiredAuthError) return { kind: "needs-sign-in" };
    if (error instanceof ServerError && error.errorCode === "invalid_grant") return { kind: "needs-sign-in" };
    return { kind: "failed", message: "Gatehouse could not reach the sign-in service. Check your connection and try again." };
  }
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

/** Starts an interactive sign-in that returns to `returnPath`. */
export function signInRedirect(client: IPublicClientApplication, settings: BrowserAuthSettings, returnPath: string, claims?: string) {
  return client.loginRedirect({
    scopes: [settings.apiScope],
    redirectStartPage: new URL(returnPath, window.location.origin).toString(),
    ...(claims ? { claims } : {}),
  });
}
