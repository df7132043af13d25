"use client";

import { createContext, type ReactNode, useContext } from "react";

import type { BrowserAuthSettings } from "@/lib/shared/browser-auth";

const SettingsContext = createContext<BrowserAuthSettings | null>(null);

export function useAuthSettings(): BrowserAuthSettings {
  const settings = useContext(SettingsContext);
  if (!settings) throw new Error("useAuthSettings must be used inside <AuthProvider>");
  return settings;
}

/** The browser's sign-in settings for the components that sign in; MSAL itself is loaded only then (msal-client.ts). */
export function AuthProvider({ settings, children }: { settings: BrowserAuthSettings; children: ReactNode }) {
  return <SettingsContext.Provider value={settings}>{children}</SettingsContext.Provider>;
}
