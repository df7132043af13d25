"use client";

import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";

import { MessageWithReference } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal, PrincipalKind } from "@/lib/graph/principals";
import { kindLabel } from "./format";
import type { PrincipalSearch } from "./principal-search";
import { useLatestCall } from "./use-latest-call";

const KIND_ORDER: readonly PrincipalKind[] = ["user", "group", "servicePrincipal", "managedIdentity"];
const GROUP_HEADINGS: Record<PrincipalKind, string> = {
  user: "Users",
  group: "Groups",
  servicePrincipal: "Service principals",
  managedIdentity: "Managed identities",
};
const DEBOUNCE_MS = 300;
const MIN_LENGTH = 2;

type SearchState =
  | { phase: "idle" }
  | { phase: "searching" }
  | { phase: "done"; principals: readonly DirectoryPrincipal[] }
  | { phase: "error"; message: string; reference?: string | undefined };

/**
 * A combobox that finds users, groups, service principals and managed identities as you type (debounced), grouped by
 * kind. With `multiple`, chosen principals show as removable chips; otherwise choosing one replaces the choice.
 */
export function PrincipalPicker({
  label,
  search,
  selected,
  onChange,
  multiple,
  hint,
}: {
  label: string;
  search: PrincipalSearch;
  selected: readonly DirectoryPrincipal[];
  onChange: (principals: DirectoryPrincipal[]) => void;
  multiple: boolean;
  hint?: string;
}) {
  const id = useId();
  const [query, setQuery] = useState("");
  const [state, setState] = useState<SearchState>({ phase: "idle" });
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const startCall = useLatestCall();

  useEffect(() => () => clearTimeout(timer.current), []);

  const options = state.phase === "done" ? KIND_ORDER.flatMap((kind) => state.principals.filter((p) => p.kind === kind)) : [];
  const isSelected = (principal: DirectoryPrincipal) => selected.some((p) => p.id === principal.id);

  function type(value: string) {
    setQuery(value);
    setActive(0);
    clearTimeout(timer.current);
    const isLatest = startCall();
    if (value.trim().length < MIN_LENGTH) {
      setState({ phase: "idle" });
      setOpen(false);
      return;
    }
    setOpen(true);
    setState({ phase: "searching" });
    timer.current = setTimeout(() => {
      void search(value.trim()).then(
        (result) => {
          if (!isLatest()) return;
          setState(result.ok ? { phase: "done", principals: result.principals } : { phase: "error", message: result.message, reference: result.reference });
        },
        () => {
          if (isLatest()) setState({ phase: "error", message: "The search could not be completed. Try again." });
        },
      );
    }, DEBOUNCE_MS);
  }

  function choose(principal: DirectoryPrincipal) {
    if (multiple) {
      onChange(isSelected(principal) ? selected.filter((p) => p.id !== principal.id) : [...selected, principal]);
    } else {
      onChange([principal]);
      setOpen(false);
      setQuery("");
      setState({ phase: "idle" });
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "ArrowDown" && options.length > 0) {
      event.preventDefault();
      setOpen(true);
      setActive((index) => Math.min(index + 1, options.length - 1));
    } else if (event.key === "ArrowUp" && options.length > 0) {
      event.preventDefault();
      setActive((index) => Math.max(index - 1, 0));
    } else if (event.key === "Enter" && open && options[active]) {
      event.preventDefault();
      choose(options[active]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    }
  }

  const listboxId = `${id}-listbox`;
  const optionId = (index: number) => `${id}-option-${index}`;

  return (
    <div className="space-y-2">
      <label htmlFor={`${id}-input`} className="block font-medium">
        {label}
      </label>
      {hint && (
        <p id={`${id}-hint`} className="text-ink-muted">
          {hint}
        </p>
      )}
      {multiple && selected.length > 0 && (
        <ul aria-label="Chosen" className="flex flex-wrap gap-2">
          {selected.map((principal) => (
            <li key={principal.id} className="flex items-center gap-1 rounded-full border border-line bg-surface-sunken py-0.5 pl-3 pr-1">
              <span>{principal.displayName}</span>
              <span className="text-ink-muted">({kindLabel(principal.kind)})</span>
              <button
                type="button"
                aria-label={`Remove ${principal.displayName}`}
                onClick={() => onChange(selected.filter((p) => p.id !== principal.id))}
                className="rounded-full px-1.5 text-ink-muted hover:bg-surface-raised hover:text-ink"
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="relative">
        <input
          id={`${id}-input`}
          type="text"
          role="combobox"
          autoComplete="off"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listboxId}
          aria-activedescendant={open && options[active] ? optionId(active) : undefined}
          aria-describedby={hint ? `${id}-hint` : undefined}
          value={query}
          onChange={(event) => type(event.target.value)}
          onKeyDown={onKeyDown}
          onFocus={() => setOpen(query.trim().length >= MIN_LENGTH)}
          onBlur={() => setOpen(false)}
          placeholder="Name, UPN, app id or object id"
          className="w-full rounded border border-line bg-surface-raised px-2 py-1.5"
        />
        <div
          id={listboxId}
          role="listbox"
          aria-label={`${label}: results`}
          aria-multiselectable={multiple || undefined}
          hidden={!open}
          className="absolute left-0 right-0 top-full z-10 mt-1 max-h-72 overflow-y-auto rounded-md border border-line bg-surface-raised shadow-lg"
        >
          {state.phase === "searching" && <div className="px-3 py-2 text-ink-muted">Searching…</div>}
          {state.phase === "error" && (
            <div className="px-3 py-2 text-danger">
              <MessageWithReference message={state.message} reference={state.reference} />
            </div>
          )}
          {state.phase === "done" && options.length === 0 && <div className="px-3 py-2 text-ink-muted">Nothing found.</div>}
          {state.phase === "done" &&
            KIND_ORDER.map((kind) => {
              const group = options.filter((p) => p.kind === kind);
              if (group.length === 0) return null;
              return (
                <div key={kind} role="group" aria-labelledby={`${id}-group-${kind}`}>
                  <div id={`${id}-group-${kind}`} className="bg-surface-sunken px-3 py-1 text-xs font-medium uppercase tracking-wide text-ink-muted">
                    {GROUP_HEADINGS[kind]}
                  </div>
                  {group.map((principal) => {
                    const position = options.indexOf(principal);
                    const chosen = isSelected(principal);
                    return (
                      <div
                        key={principal.id}
                        id={optionId(position)}
                        role="option"
                        aria-selected={chosen}
                        onMouseDown={(event) => event.preventDefault()}
                        onClick={() => choose(principal)}
                        onMouseEnter={() => setActive(position)}
                        className={`flex cursor-pointer items-baseline gap-2 px-3 py-1.5 ${position === active ? "bg-accent/15" : ""}`}
                      >
                        <span aria-hidden="true" className="w-4 text-accent">
                          {chosen ? "✓" : ""}
                        </span>
                        <span className="font-medium">{principal.displayName}</span>
                        <span className="text-ink-muted">{kindLabel(principal.kind)}</span>
                        {principal.secondaryId && <span className="truncate font-mono text-xs text-ink-muted">{principal.secondaryId}</span>}
                      </div>
                    );
                  })}
                </div>
              );
            })}
        </div>
      </div>
      <p className="sr-only" aria-live="polite">
        {state.phase === "done" ? `${options.length} result${options.length === 1 ? "" : "s"}` : ""}
      </p>
    </div>
  );
}
