"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { deleteMapping } from "@/app/actions/mappings";
import { ResumedNotice, StepUpPrompt, useReadyToRetry } from "@/components/auth/step-up";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot } from "@/components/ui/dialog";
import { ResultText } from "@/components/ui/message-with-reference";
import { type MappingRow, workspaceNameOf } from "./model";

/** What the dialog keeps across signing in again for a claims challenge. */
export interface DeleteMappingChoices {
  readonly mappingId: string;
}

export const DELETE_MAPPING_RESUME_KEY = "mapping:delete";

/** Confirms deleting a mapping, with the choice to remove the group's assignment in Azure too. */
export function DeleteMappingDialog({ mapping, onClose, resumed = false }: { mapping: MappingRow | null; onClose: () => void; resumed?: boolean }) {
  const [revoke, setRevoke] = useState(true);
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string; reference?: string | undefined; claims?: string | undefined } | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const retry = useReadyToRetry();

  function run() {
    if (!mapping) return;
    startTransition(async () => {
      await retry.afterSignIn();
      const result = await deleteMapping({ mappingId: mapping.id, revokeAssignment: revoke });
      if (result.status === "error") setOutcome({ ok: false, message: result.message, reference: result.reference, claims: result.claims });
      else {
        setOutcome({ ok: result.data.deleted, message: result.data.message, reference: result.data.reference, claims: result.data.claims });
        router.refresh();
      }
    });
  }

  return (
    <DialogRoot
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
      <DialogPanel
        title="Delete mapping?"
        description={
          <>
            {mapping?.groupDisplayName} → {mapping?.roleName} on {mapping ? workspaceNameOf(mapping.scope) : ""}
          </>
        }
      >
        {!outcome && resumed && <ResumedNotice what="delete it again" />}
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
          {outcome &&
            (outcome.claims && mapping ? (
              <StepUpPrompt
                claims={outcome.claims}
                resume={{ key: DELETE_MAPPING_RESUME_KEY, choices: { mappingId: mapping.id } satisfies DeleteMappingChoices }}
                message={outcome.message}
              />
            ) : (
              <ResultText ok={outcome.ok} message={outcome.message} reference={outcome.reference} />
            ))}
        </div>
        <DialogFooter>
          {outcome ? (
            <DialogClose className={buttonClass("primary")}>Done</DialogClose>
          ) : (
            <>
              <DialogClose className={buttonClass("secondary")} disabled={pending}>
                Cancel
              </DialogClose>
              <Button variant="destructive" onClick={run} disabled={pending || !retry.ready}>
                {pending ? "Deleting…" : "Delete mapping"}
              </Button>
            </>
          )}
        </DialogFooter>
      </DialogPanel>
    </DialogRoot>
  );
}
