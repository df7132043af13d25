"use client";

import * as RadixDialog from "@radix-ui/react-dialog";
import type { ComponentProps, ReactNode } from "react";

import { buttonClass } from "./button";

export const DialogRoot = RadixDialog.Root;
export const DialogTrigger = RadixDialog.Trigger;
export const DialogClose = RadixDialog.Close;

const WIDTHS = {
  sm: "w-[min(36rem,calc(100vw-2rem))]",
  md: "w-[min(44rem,calc(100vw-2rem))]",
  lg: "w-[min(48rem,calc(100vw-2rem))]",
  xl: "w-[min(56rem,calc(100vw-2rem))]",
} as const;

const PLACEMENTS = {
  center: "left-1/2 top-1/2 max-h-[90vh] -translate-x-1/2 -translate-y-1/2 rounded-md border",
  // A drawer: full height on the right, for details that sit beside the page rather than over it.
  right: "inset-y-0 right-0 border-l",
} as const;

/**
 * The chrome every dialog shares: portal, dimmed overlay, the panel, its title and description (which Radix wires to
 * aria-labelledby / aria-describedby), and optionally a Close button in the header. Radix traps focus inside and
 * returns it to the trigger on close; `onCloseAutoFocus` lets a dialog send it elsewhere.
 */
export function DialogPanel({
  title,
  description,
  width = "sm",
  placement = "center",
  headerClose,
  onCloseAutoFocus,
  children,
}: {
  title: ReactNode;
  description: ReactNode;
  width?: keyof typeof WIDTHS;
  placement?: keyof typeof PLACEMENTS;
  /** Label of a Close button in the header, for dialogs whose body has no footer. */
  headerClose?: string;
  onCloseAutoFocus?: ComponentProps<typeof RadixDialog.Content>["onCloseAutoFocus"];
  children: ReactNode;
}) {
  const size = placement === "right" ? "w-[min(44rem,100vw)]" : WIDTHS[width];
  return (
    <RadixDialog.Portal>
      <RadixDialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
      <RadixDialog.Content
        {...(onCloseAutoFocus ? { onCloseAutoFocus } : {})}
        className={`fixed z-50 ${PLACEMENTS[placement]} ${size} space-y-4 overflow-y-auto border-line bg-surface-raised p-5 text-sm text-ink shadow-xl`}
      >
        <div className="flex items-start justify-between gap-4">
          <div>
            <RadixDialog.Title className="text-base font-semibold">{title}</RadixDialog.Title>
            <RadixDialog.Description className="text-ink-muted">{description}</RadixDialog.Description>
          </div>
          {headerClose && <RadixDialog.Close className={buttonClass("secondary", "sm")}>{headerClose}</RadixDialog.Close>}
        </div>
        {children}
      </RadixDialog.Content>
    </RadixDialog.Portal>
  );
}

/** The row of buttons at the end of a dialog: Cancel first, the action last. */
export function DialogFooter({ children }: { children: ReactNode }) {
  return <div className="flex justify-end gap-2">{children}</div>;
}
