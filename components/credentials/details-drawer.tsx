"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useRouter } from "next/navigation";
import type { ReactNode } from "react";

/** The per-identity drawer. Open while `?identity=` is in the URL; closing it goes back to the view without it. */
export function DetailsDrawer({ title, description, closeHref, children }: { title: string; description: string; closeHref: string; children: ReactNode }) {
  const router = useRouter();
  return (
    <Dialog.Root open onOpenChange={(open) => !open && router.push(closeHref, { scroll: false })}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <Dialog.Content className="fixed inset-y-0 right-0 z-50 w-[min(44rem,100vw)] overflow-y-auto border-l border-line bg-surface-raised p-5 text-sm text-ink shadow-xl">
          <div className="mb-4 flex items-start justify-between gap-4">
            <div>
              <Dialog.Title className="text-base font-semibold">{title}</Dialog.Title>
              <Dialog.Description className="text-ink-muted">{description}</Dialog.Description>
            </div>
            <Dialog.Close className="rounded border border-line px-2 py-1 hover:bg-surface-sunken">Close</Dialog.Close>
          </div>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
