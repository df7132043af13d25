"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, useTransition } from "react";

import { submitAccessRequest } from "@/app/actions/requests";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot, DialogTrigger } from "@/components/ui/dialog";
import type { FieldErrors } from "@/components/ui/field";
import { ResultText } from "@/components/ui/message-with-reference";
import type { DecisionTarget } from "./decision-dialog";
import type { ExtensionOptions } from "@/lib/requests/allowed-actions";
import { DurationField, JustificationField, TicketField } from "./fields";

type State =
  { phase: "editing" } | { phase: "error"; message: string; reference?: string | undefined; fieldErrors: FieldErrors } | { phase: "done"; id: string };

/** Ask for more time on granted, time-bound access: a new request that goes through approval like any other. */
export function ExtensionDialog({ request, options }: { request: DecisionTarget; options: ExtensionOptions }) {
  const [open, setOpen] = useState(false);
  const [justification, setJustification] = useState("");
  const [duration, setDuration] = useState(options.durations[0]?.value ?? "");
  const [ticket, setTicket] = useState("");
  const [state, setState] = useState<State>({ phase: "editing" });
  const [pending, startTransition] = useTransition();
  const router = useRouter();
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
      else setState({ phase: "done", id: result.data.id });
      // The request's page lists its pending extension, and a refusal may have stored newer directory facts.
      router.refresh();
    });
  }

  return (
    <DialogRoot
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
      <DialogTrigger className={buttonClass("secondary")}>Request an extension</DialogTrigger>
      <DialogPanel
        title="Request an extension"
        description={
          <>
            More time for {request.principalDisplayName}&apos;s {request.roleName} on {request.workspaceName}. It goes through approval like a new request; once
            granted, it replaces the current end date.
          </>
        }
      >
        {state.phase === "done" ? (
          <div className="space-y-3" aria-live="polite">
            <p role="status" className="text-success">
              Extension requested.{" "}
              <Link href={`/requests/${state.id}`} className="text-accent underline">
                Open the extension request
              </Link>
            </p>
            <DialogFooter>
              <DialogClose className={buttonClass("primary")}>Done</DialogClose>
            </DialogFooter>
          </div>
        ) : (
          <form
            className="space-y-3"
            onSubmit={(event) => {
              event.preventDefault();
              submit();
            }}
          >
            <JustificationField
              id={`${id}-why`}
              label="Why is more time needed?"
              rows={3}
              value={justification}
              onChange={setJustification}
              errors={errors.justification}
            />
            <DurationField
              id={`${id}-duration`}
              legend="For how much longer"
              options={options.durations}
              value={duration}
              onChange={setDuration}
              errors={errors.duration}
            />
            <TicketField id={`${id}-ticket`} value={ticket} onChange={setTicket} errors={errors.ticket} />
            <div aria-live="polite">
              {state.phase === "error" && (
                <ResultText message={state.message} reference={state.reference}>
                  {errors.extendsRequestId && <span className="block">{errors.extendsRequestId.join(" ")}</span>}
                </ResultText>
              )}
            </div>
            <DialogFooter>
              <DialogClose type="button" className={buttonClass("secondary")}>
                Cancel
              </DialogClose>
              <Button type="submit" variant="primary" disabled={pending}>
                {pending ? "Sending…" : "Ask for the extension"}
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogPanel>
    </DialogRoot>
  );
}
