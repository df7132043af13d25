"use client";

import { EventType, InteractionType, PublicClientApplication, type AuthenticationResult } from "@azure/msal-browser";
import { MsalProvider } from "@azure/msal-react";
import { createContext, type ReactNode, useContext, useState } from "react";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";
import { trackSessionRenewal } from "./session-client";

const SettingsContext = createContext<BrowserAuthSettings | null>(null);

export function useAuthSettings(): BrowserAuthSettings {
  const settings = useContext(SettingsContext);
  if (!settings) throw new Error("useAuthSettings must be used inside <AuthProvider>");
  return settings;
}

function createClient(settings: BrowserAuthSettings): PublicClientApplication {
  const client = new PublicClientApplication({
    auth: {
      clientId: settings.clientId,
      authority: settings.authority,
      knownAuthorities: [...settings.knownAuthorities],
      ...(settings.authorityMetadata ? { authorityMetadata: settings.authorityMetadata } : {}),
      redirectUri: settings.redirectUri,
      postLogoutRedirectUri: settings.postLogoutRedirectUri,
    },
    // Per tab, gone when the tab closes. The only token it holds is the one for our own API. Not "memoryStorage":
    // msal-browser 5 refuses redirect sign-ins with it (in_mem_redirect_unavailable), and the console signs in by
    // redirect (a popup would be blocked or lost more often, and step-up resumes on the same page).
    cache: { cacheLocation: "sessionStorage" },
  });
  client.addEventCallback((event) => {
    if ((event.eventType === EventType.LOGIN_SUCCESS || event.eventType === EventType.ACQUIRE_TOKEN_SUCCESS) && event.payload) {
      const { account, accessToken } = event.payload as AuthenticationResult;
      if (account) client.setActiveAccount(account);
      // Back from an interactive sign-in (first sign-in, or a re-prompt for a claims challenge such as MFA): the new
      // token is the one that satisfies the challenge, so it replaces the session's token at once.
      if (event.interactionType === InteractionType.Redirect && accessToken) {
        trackSessionRenewal(fetch("/api/session", { method: "POST", headers: { Authorization: `Bearer ${accessToken}` } }));
      }
    }
  });
  return client;
}

export function AuthProvider({ settings, children }: { settings: BrowserAuthSettings; children: ReactNode }) {
  const [client] = useState(() => createClient(settings));
  return (
    <SettingsContext.Provider value={settings}>
      <MsalProvider instance={client}>{children}</MsalProvider>
    </SettingsContext.Provider>
  );
}
