"use client";

import type { IPublicClientApplication } from "@azure/msal-browser";

import { signOut } from "@/app/actions/account";
import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";
import { currentAccount, markSigningOut } from "./session-client";

/** Ends the session in Gatehouse (cookie) and then at Entra (MSAL logout), which returns to the sign-in page. */
export async function signOutEverywhere(client: IPublicClientApplication, settings: BrowserAuthSettings): Promise<void> {
  const account = currentAccount(client);
  markSigningOut();
  // Clear the server session first: even if the Entra round trip fails, this browser no longer has access.
  await signOut(undefined).catch(() => undefined);
  await fetch("/api/session", { method: "DELETE" }).catch(() => undefined);
  await client.logoutRedirect({ postLogoutRedirectUri: settings.postLogoutRedirectUri, ...(account ? { account } : {}) });
}
