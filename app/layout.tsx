import type { Metadata } from "next";
import { cookies } from "next/headers";
import type { ReactNode } from "react";

import { AuthProvider } from "@/components/auth/auth-provider";
import { SessionKeeper } from "@/components/auth/session-keeper";
import { AppShell } from "@/components/shell/app-shell";
import { getBrowserAuthSettings } from "@/lib/auth/browser-settings";
import { getSession } from "@/lib/auth/session";
import { parseTheme, THEME_COOKIE } from "@/lib/shared/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Gatehouse", template: "%s · Gatehouse" },
  description: "Who can do what in your Azure Machine Learning workspaces.",
  // The files live in public/; declaring them stops browsers probing for others that would 404.
  icons: {
    icon: [
      { url: "/favicon.ico", sizes: "48x48" },
      { url: "/icon.svg", type: "image/svg+xml" },
      { url: "/icon-32.png", sizes: "32x32", type: "image/png" },
    ],
    apple: [{ url: "/apple-touch-icon.png", sizes: "180x180" }],
  },
  manifest: "/manifest.webmanifest",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const [cookieStore, session, authSettings] = await Promise.all([cookies(), getSession(), getBrowserAuthSettings()]);
  const theme = parseTheme(cookieStore.get(THEME_COOKIE)?.value);
  // Only display fields cross to the browser; the session's token stays on the server.
  const account = session
    ? {
        displayName: session.principal.displayName,
        userPrincipalName: session.principal.userPrincipalName,
        tenantId: session.principal.tenantId,
        roles: session.principal.roles,
      }
    : null;
  return (
    <html lang="en" data-theme={theme}>
      <body className="min-h-screen bg-surface font-sans text-sm text-ink antialiased">
        <AuthProvider settings={authSettings}>
          {/* The UPN as login hint for silent renewal (Entra accepts it); the token itself never leaves the server. */}
          {session && <SessionKeeper expiresAt={session.principal.expiresAt.toISOString()} loginHint={session.principal.userPrincipalName} />}
          <AppShell theme={theme} account={account}>
            {children}
          </AppShell>
        </AuthProvider>
      </body>
    </html>
  );
}
