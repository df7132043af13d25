import type { Metadata } from "next";
import { cookies } from "next/headers";
import type { ReactNode } from "react";

import { AppShell } from "@/components/shell/app-shell";
import { parseTheme, THEME_COOKIE } from "@/lib/shared/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Gatehouse", template: "%s · Gatehouse" },
  description: "Who can do what in your Azure Machine Learning workspaces.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <html lang="en" data-theme={theme}>
      <body className="min-h-screen bg-surface font-sans text-sm text-ink antialiased">
        <AppShell theme={theme}>{children}</AppShell>
      </body>
    </html>
  );
}
