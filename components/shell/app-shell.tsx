import Link from "next/link";
import type { ReactNode } from "react";

import type { Theme } from "@/lib/shared/theme";
import { AccountMenu, type AccountSummary } from "./account-menu";
import { visibleNavigation } from "./navigation";
import { PrimaryNavigation } from "./primary-navigation";
import { ThemeSwitcher } from "./theme-switcher";

/** The frame of every page: product name, navigation, theme, and the page itself. */
export function AppShell({ theme, account, children }: { theme: Theme; account: AccountSummary | null; children: ReactNode }) {
  const navigation = account ? visibleNavigation(account.roles) : [];
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-surface-raised focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-line bg-surface-raised">
        <div className="mx-auto flex h-12 max-w-screen-2xl items-center gap-6 px-4">
          <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
            <GatehouseMark />
            Gatehouse
          </Link>
          {navigation.length > 0 && <PrimaryNavigation items={navigation} />}
          <div className="ml-auto flex items-center gap-3">
            <ThemeSwitcher initialTheme={theme} />
            {account && <AccountMenu account={account} />}
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-screen-2xl flex-1 px-4 py-6">
        {children}
      </main>
    </div>
  );
}

function GatehouseMark() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="h-5 w-5 text-accent" fill="none" stroke="currentColor" strokeWidth="2">
      <path d="M3 21V9l9-6 9 6v12" />
      <path d="M9 21v-6a3 3 0 0 1 6 0v6" />
    </svg>
  );
}
