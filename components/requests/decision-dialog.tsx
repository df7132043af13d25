"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { createContext, type ReactNode, useContext, useId, useRef, useState, useTransition } from "react";

import { approveAccessRequest, denyAccessRequest } from "@/app/actions/requests";
import { type Outcome, outcomeOf, PRIMARY, SECONDARY, DANGER } from "./outcome";
import { OutcomeMessage } from "./outcome-message";
import { PrincipalFacts, type PrincipalFactsView } from "./principal-facts";

export interface DecisionTarget extends PrincipalFactsView {
  readonly id: string;
  readonly roleName: string;
  readonly workspaceName: string;
  readonly workspaceId: string;
  readonly requesterName: string;
}

type Decision = "approve" | "deny";

const TEXT = {
  approve: { trigger: "Approve", title: "Approve request", confirm: "Approve and grant", busy: "Approving…", comment: "Comment (optional)" },
  deny: { trigger: "Deny", title: "Deny request", confirm: "Deny request", busy: "Denying…", comment: "Reason (required; the requester sees it)" },
} as const;

const DecisionContext = createContext<((request: DecisionTarget, decision: Decision) => void) | null>(null);

/**
 * Owns the approve/deny dialog for everything inside it. The dialog lives here, not next to its button, because a
 * decision refreshes the page (the action revalidates it): the row or button that opened it may be gone, while the
 * person still has to read the server's answer.
 */
export function DecisionHost({ children }: { children: ReactNode }) {
  const [target, setTarget] = useState<{ request: DecisionTarget; decision: Decision } | null>(null);
  const [comment, setComment] = useState("");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [pending, startTransition] = useTransition();
  const opener = useRef<HTMLElement | null>(null);
  const id = useId();

  function open(request: DecisionTarget, decision: Decision) {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setComment("");
    setOutcome(null);
    setTarget({ request, decision });
  }

  function submit() {
    if (!target) return;
    const { request, decision } = target;
    startTransition(async () => {
      const input = { requestId: request.id, comment: comment.trim() };
      setOutcome(outcomeOf(decision === "approve" ? await approveAccessRequest(input) : await denyAccessRequest(input)));
    });
  }

  const text = target ? TEXT[target.decision] : TEXT.approve;
  const decided = outcome?.ok === true;
  return (
    <DecisionContext.Provider value={open}>
      {children}
      <Dialog.Root open={target !== null} onOpenChange={(next) => !next && setTarget(null)}>
        <Dialog.Portal>
          <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40" />
          <Dialog.Content
            onCloseAutoFocus={(event) => {
              // Back to the button that opened it, when it still exists after the refresh.
              if (opener.current?.isConnected) {
                event.preventDefault();
                opener.current.focus();
              }
            }}
            className="fixed left-1/2 top-1/2 z-50 max-h-[90vh] w-[min(36rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 space-y-4 overflow-y-auto rounded-md border border-line bg-surface-raised p-5 text-sm text-ink shadow-xl"
          >
            <div>
              <Dialog.Title className="text-base font-semibold">{text.title}</Dialog.Title>
              <Dialog.Description className="text-ink-muted">
                {target && `${target.request.roleName} on ${target.request.workspaceName} for ${target.request.principalDisplayName}, asked by ${target.request.requesterName}.`}
                {target?.decision === "approve" && " The grant runs as you: Azure checks your own rights."}
              </Dialog.Description>
            </div>
            {target && (
              <dl className="space-y-1 rounded-md border border-line bg-surface px-3 py-2" aria-label="Verified facts">
                <div>
                  <dt className="text-xs text-ink-muted">For (as the directory knows it)</dt>
                  <dd>
                    <PrincipalFacts facts={target.request} />
                  </dd>
                </div>
                <div>
                  <dt className="text-xs text-ink-muted">Workspace (as Azure knows it)</dt>
                  <dd>
                    {target.request.workspaceName}
                    <span className="block break-all font-mono text-xs text-ink-muted">{target.request.workspaceId}</span>
                  </dd>
                </div>
              </dl>
            )}
            <form
              className="space-y-3"
              onSubmit={(event) => {
                event.preventDefault();
                submit();
              }}
            >
              {!decided && (
                <div className="space-y-1">
                  <label htmlFor={`${id}-comment`} className="block font-medium">
                    {text.comment}
                  </label>
                  <textarea
                    id={`${id}-comment`}
                    value={comment}
                    maxLength={1000}
                    rows={3}
                    required={target?.decision === "deny"}
                    onChange={(event) => setComment(event.target.value)}
                    className="w-full rounded border border-line bg-surface px-2 py-1.5"
                  />
                </div>
              )}
              <div aria-live="polite">
                <OutcomeMessage outcome={outcome} />
              </div>
              <div className="flex justify-end gap-2">
                <Dialog.Close type="button" className={SECONDARY}>
                  {decided ? "Close" : "Cancel"}
                </Dialog.Close>
                {!decided && (
                  <button
                    type="submit"
                    disabled={pending || (target?.decision === "deny" && comment.trim() === "")}
                    className={target?.decision === "deny" ? DANGER : PRIMARY}
                  >
                    {pending ? text.busy : text.confirm}
                  </button>
                )}
              </div>
            </form>
          </Dialog.Content>
        </Dialog.Portal>
      </Dialog.Root>
    </DecisionContext.Provider>
  );
}

/** Approve and Deny buttons for one request; they open the dialog of the nearest `DecisionHost`. */
export function DecisionButtons({ request, compact = false }: { request: DecisionTarget; compact?: boolean }) {
  const open = useContext(DecisionContext);
  if (!open) throw new Error("DecisionButtons needs a DecisionHost");
  const about = compact ? <span className="sr-only"> {request.roleName} on {request.workspaceName} for {request.principalDisplayName}</span> : null;
  return (
    <div className="flex gap-2">
      <button type="button" aria-haspopup="dialog" onClick={() => open(request, "approve")} className={PRIMARY}>
        {TEXT.approve.trigger}
        {about}
      </button>
      <button type="button" aria-haspopup="dialog" onClick={() => open(request, "deny")} className={DANGER}>
        {TEXT.deny.trigger}
        {about}
      </button>
    </div>
  );
}
