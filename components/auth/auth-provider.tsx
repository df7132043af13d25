"use client";

import { BrowserCacheLocation, PublicClientApplication } from "@azure/msal-browser";
import { MsalProvider } from "@azure/msal-react";
import { createContext, type ReactNode, useContext, useState } from "react";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";

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
    // In memory: gone with the page. The token for the console's API lives on the server (console_sessions); the browser
    // needs one only to start or renew that session, or for a claims challenge. Every interactive sign-in is therefore a
    // popup (msal-browser refuses redirects with an in-memory cache: the navigation would reset it), and a reload renews
    // through Entra's own session cookie (ssoSilent). Only MSAL's short-lived interaction state uses sessionStorage.
    cache: { cacheLocation: BrowserCacheLocation.MemoryStorage },
    // Time enough to type a password and pass MFA in the popup. A popup the person closed is not noticed before this
    // (Cross-Origin-Opener-Policy, the console's and Entra's, cuts this page off from the popup; its answer comes over a
    // BroadcastChannel from the redirect bridge); the next click opens a new one at once (overrideInteractionInProgress).
    system: { popupBridgeTimeout: 5 * 60_000 },
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
