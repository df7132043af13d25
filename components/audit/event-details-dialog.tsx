"use client";

import type { ReactNode } from "react";

import { buttonClass } from "@/components/ui/button";
import { DialogPanel, DialogRoot, DialogTrigger } from "@/components/ui/dialog";

/** A row's "Details" button and the dialog it opens; the body is rendered on the server and passed in. */
export function EventDetailsDialog({ eventId, title, children }: { eventId: number; title: string; children: ReactNode }) {
  return (
    <DialogRoot>
      <DialogTrigger aria-label={`Details of event ${eventId}`} className={buttonClass("secondary", "xs")}>
        Details
      </DialogTrigger>
      <DialogPanel width="xl" title={title} description={`Audit event #${eventId}`} headerClose="Close">
        {children}
      </DialogPanel>
    </DialogRoot>
  );
}
