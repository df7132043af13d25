"use client";

import { signOut } from "@/app/actions/account";
import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";
import { loadedMsal } from "./msal-client";
import { currentAccount, markSigningOut } from "./session-client";

/**
 * Ends the session in Gatehouse (cookie) and then at Entra: the browser goes to the end-session endpoint, which returns
 * to the sign-in page. A plain navigation, not MSAL's logoutRedirect (refused with an in-memory cache); nothing of this
 * page is needed after it. The ID token, when this page's MSAL still holds it, tells Entra which session to end; a page
 * that never loaded MSAL holds none, so it is not loaded for this.
 */
export async function signOutEverywhere(settings: BrowserAuthSettings): Promise<void> {
  const client = loadedMsal()?.client;
  const account = client ? currentAccount(client) : null;
  markSigningOut();
  // Clear the server session first: even if the Entra round trip fails, this browser no longer has access.
  await signOut(undefined).catch(() => undefined);
  await fetch("/api/session", { method: "DELETE" }).catch(() => undefined);
  const logout = new URL(`${settings.authority}/oauth2/v2.0/logout`);
  logout.searchParams.set("client_id", settings.clientId);
  logout.searchParams.set("post_logout_redirect_uri", settings.postLogoutRedirectUri);
  if (account?.idToken) logout.searchParams.set("id_token_hint", account.idToken);
  await client?.clearCache().catch(() => undefined);
  window.location.assign(logout.toString());
}
