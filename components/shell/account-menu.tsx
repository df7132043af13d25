"use client";

import Link from "next/link";
import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";

import { useAuthSettings } from "@/components/auth/auth-provider";
import { signOutEverywhere } from "@/components/auth/sign-out";

export interface AccountSummary {
  readonly displayName: string;
  readonly userPrincipalName: string;
  readonly tenantId: string;
  readonly roles: readonly string[];
}

const ITEM_CLASS = "block w-full cursor-pointer rounded px-3 py-1.5 text-left outline-none hover:bg-surface-sunken focus:bg-surface-sunken";

/**
 * The account menu: a menu button after the WAI-ARIA pattern (https://www.w3.org/WAI/ARIA/apg/patterns/menu-button/).
 * Written out rather than taken from a menu library, which with its positioning engine cost every page about 25 KB of
 * script for two items.
 */
export function AccountMenu({ account }: { account: AccountSummary }) {
  const settings = useAuthSettings();
  const menuId = useId();
  const trigger = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  // Which item takes the focus when the menu opens: from the keyboard the first (or last, with ArrowUp); from a pointer none.
  const [open, setOpen] = useState<false | "first" | "last" | "menu">(false);
  const initials = account.displayName
    .split(/\s+/)
    .map((part) => part[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();

  const items = () => [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  const close = (returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) trigger.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    const list = items();
    if (open === "first") list[0]?.focus();
    else if (open === "last") list.at(-1)?.focus();
    else menu.current?.focus();
    // A press anywhere else closes it, as a click outside any menu does.
    const outside = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!menu.current?.contains(target) && !trigger.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const onMenuKey = (event: KeyboardEvent) => {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLElement);
    const move = (index: number) => {
      event.preventDefault();
      list[(index + list.length) % list.length]?.focus();
    };
    if (event.key === "ArrowDown") move(at + 1);
    else if (event.key === "ArrowUp") move(at < 0 ? -1 : at - 1);
    else if (event.key === "Home") move(0);
    else if (event.key === "End") move(-1);
    else if (event.key === "Escape") {
      event.preventDefault();
      close(true);
    } else if (event.key === "Tab") close(false);
  };

  return (
    <div className="relative">
      <button
        ref={trigger}
        type="button"
        aria-label={`Account: ${account.displayName}`}
        aria-haspopup="menu"
        aria-expanded={Boolean(open)}
        aria-controls={open ? menuId : undefined}
        onClick={(event) => setOpen(open ? false : event.detail === 0 ? "first" : "menu")}
        onKeyDown={(event) => {
          if (event.key === "ArrowDown" || event.key === "ArrowUp") {
            event.preventDefault();
            setOpen(event.key === "ArrowDown" ? "first" : "last");
          }
        }}
        className="flex items-center gap-2 rounded px-2 py-1 hover:bg-surface-sunken"
      >
        <span aria-hidden="true" className="grid h-7 w-7 place-items-center rounded-full bg-accent text-xs font-semibold text-accent-ink">
          {initials || "?"}
        </span>
        <span className="hidden max-w-48 truncate md:inline">{account.displayName}</span>
      </button>
      {open && (
        <div
          ref={menu}
          id={menuId}
          role="menu"
          tabIndex={-1}
          aria-label={`Account: ${account.displayName}`}
          onKeyDown={onMenuKey}
          className="absolute right-0 top-full z-50 mt-1.5 w-80 rounded-md border border-line bg-surface-raised p-1 text-sm text-ink shadow-lg outline-none"
        >
          <div className="space-y-1 px-3 py-2">
            <p className="font-medium">{account.displayName}</p>
            <p className="truncate text-ink-muted">{account.userPrincipalName}</p>
            <p className="text-xs text-ink-muted">
              Tenant <span className="font-mono">{account.tenantId}</span>
            </p>
            <p className="text-xs text-ink-muted">Console roles: {account.roles.length > 0 ? account.roles.join(", ") : "none"}</p>
          </div>
          <div role="separator" className="my-1 h-px bg-line" />
          <Link href="/account" role="menuitem" tabIndex={-1} onClick={() => close(false)} className={ITEM_CLASS}>
            Account and Azure access
          </Link>
          <button
            type="button"
            role="menuitem"
            tabIndex={-1}
            onClick={() => {
              close(false);
              void signOutEverywhere(settings);
            }}
            className={ITEM_CLASS}
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  );
}
