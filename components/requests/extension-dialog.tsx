"use client";

import * as Dialog from "@radix-ui/react-dialog";
import Link from "next/link";
import { useId, useState, useTransition } from "react";

import { submitAccessRequest } from "@/app/actions/requests";
import { MessageWithReference } from "@/components/workspaces/result-text";
import type { DecisionTarget } from "./decision-dialog";
import { describedBy, FieldError, type FieldErrors } from "./field-error";
import { PRIMARY, SECONDARY } from "./outcome";

export interface DurationOption {
  readonly value: string;
  readonly label: string;
}

export interface ExtensionOptions {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly roleDefinitionId: string;
  readonly principal: { readonly id: string; readonly kind: "user" | "group" | "servicePrincipal" | "managedIdentity"; readonly displayName: string };
  readonly durations: readonly DurationOption[];
  readonly expiresAt: string;
}

type State = { phase: "editing" } | { phase: "error"; message: string; reference?: string | undefined; fieldErrors: FieldErrors } | { phase: "done"; id: string };

/** Ask for more time on granted, time-bound access: a new request that goes through approval like any other. */
export function ExtensionDialog({ request, options }: { request: DecisionTarget; options: ExtensionOptions }) {
  const [open, setOpen] = useState(false);
  const [justification, setJustification] = useState("");
  const [duration, setDuration] = useState(options.durations[0]?.value ?? "");
  const [ticket, setTicket] = useState("");
  const [state, setState] = useState<State>({ phase: "editing" });
  const [pending, startTransition] = useTransition();
  const id = useId();
  const errors: FieldErrors = state.phase === "error" ? state.fieldErrors : {};

  function submit() {
    startTransition(async () => {
      const result = await submitAccessRequest({
        workspaceId: options.workspaceId,
        workspaceName: options.workspaceName,
        roleDefinitionId: options.roleDefinitionId,
        principal: options.principal,
        justification,
        duration,
        ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
        extendsRequestId: request.id,
      });
      if (result.status === "error") setState({ phase: "error", message: result.message, reference: result.reference, fieldErrors: result.fieldErrors ?? {} });
      else if (!result.data.ok) setState({ phase: "error", message: result.data.message, fieldErrors: result.data.fieldErrors });
      else setState({ phase: "done", id: result.data.id });
    });
  }

  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next && state.phase === "done") {
          setJustification("");
          setTicket("");
          setState({ phase: "editing" });
        }
      }}
    >
      <Dialog.Trigger className={SECONDARY}>Request an extension</Dialog.Trigger>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
        <Dialog.Content className="fixed left-1/2 top-1/2 z-50 max-h-[90vh] w-[min(36rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 space-y-4 overflow-y-auto rounded-md border border-line bg-surface-raised p-5 text-sm text-ink shadow-xl">
          <div>
            <Dialog.Title className="text-base font-semibold">Request an extension</Dialog.Title>
            <Dialog.Description className="text-ink-muted">
              More time for {request.principalDisplayName}&apos;s {request.roleName} on {request.workspaceName}. It goes through approval like a new request; once
              granted, it replaces the current end date.
            </Dialog.Description>
          </div>
          {state.phase === "done" ? (
            <div className="space-y-3" aria-live="polite">
              <p role="status" className="text-success">
                Extension requested.{" "}
                <Link href={`/requests/${state.id}`} className="text-accent underline">
                  Open the extension request
                </Link>
              </p>
              <div className="flex justify-end">
                <Dialog.Close className={PRIMARY}>Done</Dialog.Close>
              </div>
            </div>
          ) : (
            <form
              className="space-y-3"
              onSubmit={(event) => {
                event.preventDefault();
                submit();
              }}
            >
              <div className="space-y-1">
                <label htmlFor={`${id}-why`} className="block font-medium">
                  Why is more time needed?
                </label>
                <textarea
                  id={`${id}-why`}
                  value={justification}
                  maxLength={1000}
                  rows={3}
                  aria-invalid={errors.justification ? true : undefined}
                  aria-describedby={describedBy(`${id}-why-count`, errors.justification && `${id}-why-error`)}
                  onChange={(event) => setJustification(event.target.value)}
                  className="w-full rounded border border-line bg-surface px-2 py-1.5"
                />
                <p id={`${id}-why-count`} className="text-xs text-ink-muted">
                  {justification.trim().length} of 1,000 characters (at least 10)
                </p>
                <FieldError id={`${id}-why-error`} messages={errors.justification} />
              </div>
              <fieldset className="space-y-1" aria-describedby={errors.duration ? `${id}-duration-error` : undefined}>
                <legend className="font-medium">For how much longer</legend>
                <div className="flex flex-wrap gap-3">
                  {options.durations.map((option) => (
                    <label key={option.value} className="flex items-center gap-1.5">
                      <input type="radio" name={`${id}-duration`} value={option.value} checked={duration === option.value} onChange={() => setDuration(option.value)} />
                      {option.label}
                    </label>
                  ))}
                </div>
                <FieldError id={`${id}-duration-error`} messages={errors.duration} />
              </fieldset>
              <div className="space-y-1">
                <label htmlFor={`${id}-ticket`} className="block font-medium">
                  Ticket reference (optional)
                </label>
                <input
                  id={`${id}-ticket`}
                  value={ticket}
                  maxLength={100}
                  aria-invalid={errors.ticket ? true : undefined}
                  aria-describedby={errors.ticket ? `${id}-ticket-error` : undefined}
                  onChange={(event) => setTicket(event.target.value)}
                  className="w-full rounded border border-line bg-surface px-2 py-1.5"
                />
                <FieldError id={`${id}-ticket-error`} messages={errors.ticket} />
              </div>
              <div aria-live="polite">
                {state.phase === "error" && (
                  <p role="alert" className="text-danger">
                    <MessageWithReference message={state.message} reference={state.reference} />
                    {errors.extendsRequestId && <span className="block">{errors.extendsRequestId.join(" ")}</span>}
                  </p>
                )}
              </div>
              <div className="flex justify-end gap-2">
                <Dialog.Close type="button" className={SECONDARY}>
                  Cancel
                </Dialog.Close>
                <button type="submit" disabled={pending} className={PRIMARY}>
                  {pending ? "Sending…" : "Ask for the extension"}
                </button>
              </div>
            </form>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
