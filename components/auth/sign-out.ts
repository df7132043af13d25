"use client";

import type { IPublicClientApplication } from "@azure/msal-browser";

import { signOut } from "@/app/actions/account";
import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";
import { currentAccount, markSigningOut } from "./session-client";

/**
 * Ends the session in Gatehouse (cookie) and then at Entra: the browser goes to the end-session endpoint, which returns
 * to the sign-in page. A plain navigation, not MSAL's logoutRedirect (refused with an in-memory cache); nothing of this
 * page is needed after it. The ID token, when this page's MSAL still holds it, tells Entra which session to end.
 */
export async function signOutEverywhere(client: IPublicClientApplication, settings: BrowserAuthSettings): Promise<void> {
  const account = currentAccount(client);
  markSigningOut();
  // Clear the server session first: even if the Entra round trip fails, this browser no longer has access.
  await signOut(undefined).catch(() => undefined);
  await fetch("/api/session", { method: "DELETE" }).catch(() => undefined);
  const logout = new URL(`${settings.authority}/oauth2/v2.0/logout`);
  logout.searchParams.set("client_id", settings.clientId);
  logout.searchParams.set("post_logout_redirect_uri", settings.postLogoutRedirectUri);
  if (account?.idToken) logout.searchParams.set("id_token_hint", account.idToken);
  await client.clearCache().catch(() => undefined);
  window.location.assign(logout.toString());
}
