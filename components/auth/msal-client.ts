"use client";

import type * as MsalBrowser from "@azure/msal-browser";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";

export type MsalLibrary = typeof MsalBrowser;

export interface LoadedMsal {
  readonly client: MsalBrowser.IPublicClientApplication;
  /** The library itself, for its error classes and constants. */
  readonly msal: MsalLibrary;
}

// MSAL is a large library that a signed-in page's first paint never needs: it is downloaded for the first sign-in,
// silent renewal or step-up, and then kept for the page's life (its token cache is in memory).
let loading: Promise<LoadedMsal> | undefined;
let ready: LoadedMsal | undefined;

async function create(settings: BrowserAuthSettings): Promise<LoadedMsal> {
  const msal = await import("@azure/msal-browser");
  const client = new msal.PublicClientApplication({
    auth: {
      clientId: settings.clientId,
      authority: settings.authority,
      knownAuthorities: [...settings.knownAuthorities],
      ...(settings.authorityMetadata ? { authorityMetadata: settings.authorityMetadata } : {}),
      redirectUri: settings.redirectUri,
      postLogoutRedirectUri: settings.postLogoutRedirectUri,
    },
    // In memory: gone with the page. The token for the console's API lives on the server (console_sessions); the
    // browser needs one only to start or renew that session, or for a claims challenge. Every interactive sign-in is
    // therefore a popup (msal-browser refuses redirects with an in-memory cache: the navigation would reset it), and a
    // reload renews through Entra's own session cookie (ssoSilent). Only MSAL's short-lived interaction state uses
    // sessionStorage.
    cache: { cacheLocation: msal.BrowserCacheLocation.MemoryStorage },
    // Time enough to type a password and pass MFA in the popup. A popup the person closed is not noticed before this
    // (Cross-Origin-Opener-Policy, the console's and Entra's, cuts this page off from the popup; its answer comes over a
    // BroadcastChannel from the redirect bridge); the next click opens a new one at once (overrideInteractionInProgress).
    system: { popupBridgeTimeout: 5 * 60_000 },
  });
  // No handleRedirectPromise: the console never signs in by redirect (see above), so no page load carries an answer.
  await client.initialize();
  ready = { client, msal };
  return ready;
}

/** This page's MSAL client: downloaded, created and initialized once. */
export function loadMsal(settings: BrowserAuthSettings): Promise<LoadedMsal> {
  loading ??= create(settings).catch((error: unknown) => {
    // A failed download (offline, a new deployment) is tried again on the next use.
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Starts loading MSAL where a sign-in button shows, so that a click opens its popup at once (see signInWithPopup). */
export function preloadMsal(settings: BrowserAuthSettings): void {
  loadMsal(settings).catch(() => undefined);
}

/** MSAL when this page has loaded it; none means it knows nobody here (its cache is in memory). */
export function loadedMsal(): LoadedMsal | undefined {
  return ready;
}
