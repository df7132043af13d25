"use client";

import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import Link from "next/link";

import { useAuthSettings } from "@/components/auth/auth-provider";
import { signOutEverywhere } from "@/components/auth/sign-out";

export interface AccountSummary {
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly tenantId: string;
  readonly roles: readonly string[];
}

export function AccountMenu({ account }: { account: AccountSummary }) {
  const settings = useAuthSettings();
  const initials = account.displayName
    .split(/\s+/)
    .map((part) => part[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();

  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger aria-label={`Account: ${account.displayName}`} className="flex items-center gap-2 rounded px-2 py-1 hover:bg-surface-sunken">
        <span aria-hidden="true" className="grid h-7 w-7 place-items-center rounded-full bg-accent text-xs font-semibold text-accent-ink">
          {initials || "?"}
        </span>
        <span className="hidden max-w-48 truncate md:inline">{account.displayName}</span>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content align="end" sideOffset={6} className="z-50 w-80 rounded-md border border-line bg-surface-raised p-1 text-sm text-ink shadow-lg">
          <div className="space-y-1 px-3 py-2">
            <p className="font-medium">{account.displayName}</p>
            <p className="truncate text-ink-muted">{account.userPrincipalName}</p>
            <p className="text-xs text-ink-muted">
              Tenant <span className="font-mono">{account.tenantId}</span>
            </p>
            <p className="text-xs text-ink-muted">Console roles: {account.roles.length > 0 ? account.roles.join(", ") : "none"}</p>
          </div>
          <DropdownMenu.Separator className="my-1 h-px bg-line" />
          <DropdownMenu.Item asChild className="block cursor-pointer rounded px-3 py-1.5 outline-none data-[highlighted]:bg-surface-sunken">
            <Link href="/account">Account and Azure access</Link>
          </DropdownMenu.Item>
          <DropdownMenu.Item
            onSelect={() => void signOutEverywhere(settings)}
            className="cursor-pointer rounded px-3 py-1.5 outline-none data-[highlighted]:bg-surface-sunken"
          >
            Sign out
          </DropdownMenu.Item>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
