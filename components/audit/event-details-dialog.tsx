"use client";

import * as Dialog from "@radix-ui/react-dialog";
import type { ReactNode } from "react";

/** A row's "Details" button and the dialog it opens; the body is rendered on the server and passed in. */
export function EventDetailsDialog({ eventId, title, children }: { eventId: number; title: string; children: ReactNode }) {
  return (
    <Dialog.Root>
      <Dialog.Trigger
        aria-label={`Details of event ${eventId}`}
        className="rounded border border-line px-2 py-0.5 text-xs hover:bg-surface-sunken"
      >
        Details
      </Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 max-h-[85vh] w-[min(56rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-md border border-line bg-surface-raised p-5 text-sm text-ink shadow-xl">
          <div className="mb-4 flex items-start justify-between gap-4">
            <div>
              <Dialog.Title className="text-base font-semibold">{title}</Dialog.Title>
              <Dialog.Description className="text-ink-muted">Audit event #{eventId}</Dialog.Description>
            </div>
            <Dialog.Close className="rounded border border-line px-2 py-1 hover:bg-surface-sunken">Close</Dialog.Close>
          </div>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
