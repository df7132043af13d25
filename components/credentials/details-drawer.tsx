"use client";

import { useRouter } from "next/navigation";
import type { ReactNode } from "react";

import { DialogPanel, DialogRoot } from "@/components/ui/dialog";

/** The per-identity drawer. Open while `?identity=` is in the URL; closing it goes back to the view without it. */
export function DetailsDrawer({ title, description, closeHref, children }: { title: string; description: string; closeHref: string; children: ReactNode }) {
  const router = useRouter();
  return (
    <DialogRoot open onOpenChange={(open) => !open && router.push(closeHref, { scroll: false })}>
      <DialogPanel placement="right" title={title} description={description} headerClose="Close">
        {children}
      </DialogPanel>
    </DialogRoot>
  );
}
