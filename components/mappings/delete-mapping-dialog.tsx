"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { deleteMapping } from "@/app/actions/mappings";
import { MessageWithReference } from "@/components/workspaces/result-text";
import { type MappingRow, workspaceNameOf } from "./mappings-console";

/** Confirms deleting a mapping, with the choice to remove the group's assignment in Azure too. */
export function DeleteMappingDialog({ mapping, onClose }: { mapping: MappingRow | null; onClose: () => void }) {
  const [revoke, setRevoke] = useState(true);
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string; reference?: string | undefined } | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();

  function run() {
    if (!mapping) return;
    startTransition(async () => {
      const result = await deleteMapping({ mappingId: mapping.id, revokeAssignment: revoke });
      if (result.status === "error") setOutcome({ ok: false, message: result.message, reference: result.reference });
      else {
        setOutcome({ ok: result.data.deleted, message: result.data.message, reference: result.data.reference });
        router.refresh();
      }
    });
  }

  return (
    <Dialog.Root
      open={mapping !== null}
      onOpenChange={(open) => {
        // Once the outcome is shown the dialog may close even while the page refresh is still pending.
        if (!open && (!pending || outcome !== null)) {
          setOutcome(null);
          setRevoke(true);
          onClose();
        }
      }}
    >
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 w-[min(36rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 space-y-4 rounded-md border border-line bg-surface-raised p-5 text-sm text-ink shadow-xl">
          <Dialog.Title className="text-base font-semibold">Delete mapping?</Dialog.Title>
          <Dialog.Description>
            {mapping?.groupDisplayName} → {mapping?.roleName} on {mapping ? workspaceNameOf(mapping.scope) : ""}
          </Dialog.Description>
          {!outcome && (
            <label className="flex items-start gap-2">
              <input type="checkbox" checked={revoke} onChange={(event) => setRevoke(event.target.checked)} className="mt-1" />
              <span>
                Also remove the group&apos;s role assignment in Azure
                <span className="block text-ink-muted">Unticked, the group keeps the role and the drift report lists it as not mapped.</span>
              </span>
            </label>
          )}
          <div aria-live="polite">
            {outcome && (
              <p role={outcome.ok ? "status" : "alert"} className={outcome.ok ? "text-success" : "text-danger"}>
                <MessageWithReference message={outcome.message} reference={outcome.reference} />
              </p>
            )}
          </div>
          <div className="flex justify-end gap-2">
            {outcome ? (
              <Dialog.Close className="rounded bg-accent px-3 py-1.5 font-medium text-accent-ink">Done</Dialog.Close>
            ) : (
              <>
                <Dialog.Close className="rounded border border-line px-3 py-1.5 hover:bg-surface-sunken" disabled={pending}>
                  Cancel
                </Dialog.Close>
                <button type="button" onClick={run} disabled={pending} className="rounded bg-danger px-3 py-1.5 font-medium text-accent-ink disabled:opacity-60">
                  {pending ? "Deleting…" : "Delete mapping"}
                </button>
              </>
            )}
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
