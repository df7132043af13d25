"use client";

import { useEffect, useState } from "react";

import { previewGroupMembers } from "@/components/shared/reads";
import { buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot } from "@/components/ui/dialog";
import { ResultText } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import type { MappingRow } from "./model";

type State =
  | { phase: "loading" }
  | { phase: "done"; members: readonly DirectoryPrincipal[]; total: number | null }
  | { phase: "error"; message: string; reference?: string | undefined };

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
        setState(
          result.status === "success"
            ? { phase: "done", members: result.data.members, total: result.data.total }
            : { phase: "error", message: result.message, reference: result.reference },
        );
      });
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [groupId, search]);

  return (
    <DialogRoot
      open={mapping !== null}
      onOpenChange={(open) => {
        if (!open) {
          setSearch("");
          onClose();
        }
      }}
    >
      <DialogPanel title={<>Members of {mapping?.groupDisplayName}</>} description="Direct and nested members; the first 50 are shown.">
        <label className="flex flex-col gap-1">
          <span>Search members</span>
          <input value={search} onChange={(event) => setSearch(event.target.value)} className="rounded border border-line bg-surface-raised px-2 py-1.5" />
        </label>
        <div aria-live="polite">
          {state.phase === "loading" && <p className="text-ink-muted">Loading members…</p>}
          {state.phase === "error" && <ResultText message={state.message} reference={state.reference} />}
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
        <DialogFooter>
          <DialogClose className={buttonClass("primary")}>Close</DialogClose>
        </DialogFooter>
      </DialogPanel>
    </DialogRoot>
  );
}
