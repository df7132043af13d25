"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useEffect, useState } from "react";

import { previewGroupMembers } from "@/app/actions/mappings";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import { MessageWithReference } from "@/components/workspaces/result-text";
import type { MappingRow } from "./mappings-console";

type State = { phase: "loading" } | { phase: "done"; members: readonly DirectoryPrincipal[]; total: number | null } | { phase: "error"; message: string; reference?: string | undefined };

/** The first 50 members of a mapped group (transitively), with a name search. */
export function MembersDialog({ mapping, onClose }: { mapping: MappingRow | null; onClose: () => void }) {
  const [search, setSearch] = useState("");
  const [state, setState] = useState<State>({ phase: "loading" });
  const groupId = mapping?.groupId;

  useEffect(() => {
    if (!groupId) return;
    let current = true;
    const timer = setTimeout(() => {
      setState({ phase: "loading" });
      void previewGroupMembers({ groupId, ...(search.trim() ? { search: search.trim() } : {}) }).then((result) => {
        if (!current) return;
        setState(result.status === "success" ? { phase: "done", members: result.data.members, total: result.data.total } : { phase: "error", message: result.message, reference: result.reference });
      });
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [groupId, search]);

  return (
    <Dialog.Root
      open={mapping !== null}
      onOpenChange={(open) => {
        if (!open) {
          setSearch("");
          onClose();
        }
      }}
    >
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 max-h-[90vh] w-[min(40rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 space-y-3 overflow-y-auto rounded-md border border-line bg-surface-raised p-5 text-sm text-ink shadow-xl">
          <Dialog.Title className="text-base font-semibold">Members of {mapping?.groupDisplayName}</Dialog.Title>
          <Dialog.Description className="text-ink-muted">Direct and nested members; the first 50 are shown.</Dialog.Description>
          <label className="flex flex-col gap-1">
            <span>Search members</span>
            <input value={search} onChange={(event) => setSearch(event.target.value)} className="rounded border border-line bg-surface-raised px-2 py-1.5" />
          </label>
          <div aria-live="polite">
            {state.phase === "loading" && <p className="text-ink-muted">Loading members…</p>}
            {state.phase === "error" && (
              <p role="alert" className="text-danger">
                <MessageWithReference message={state.message} reference={state.reference} />
              </p>
            )}
            {state.phase === "done" && (
              <>
                {state.total !== null && <p className="text-ink-muted">{state.total.toLocaleString("en-US")} members in total.</p>}
                <ul aria-label="Members" className="max-h-96 divide-y divide-line overflow-y-auto rounded-md border border-line">
                  {state.members.length === 0 && <li className="px-3 py-2 text-ink-muted">No members found.</li>}
                  {state.members.map((member) => (
                    <li key={member.id} className="px-3 py-1.5">
                      <span className="font-medium">{member.displayName}</span>
                      {member.secondaryId && <span className="ml-2 font-mono text-xs text-ink-muted">{member.secondaryId}</span>}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
          <div className="flex justify-end">
            <Dialog.Close className="rounded bg-accent px-3 py-1.5 font-medium text-accent-ink">Close</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
