"use client";

import { useRouter } from "next/navigation";
import { createContext, type ReactNode, useContext, useId, useRef, useState, useTransition } from "react";

import { approveAccessRequest, denyAccessRequest } from "@/app/actions/requests";
import { ResumedNotice, StepUpPrompt, useReadyToRetry, useResumedStepUp } from "@/components/auth/step-up";
import { BundleDelta } from "@/components/permissions/bundle-delta";
import { PermissionDelta } from "@/components/permissions/permission-delta";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot } from "@/components/ui/dialog";
import { Field, INPUT_CLASS } from "@/components/ui/field";
import { formatDateTime } from "@/components/shared/format";
import { type RelatedRequestView, STATUS_LABELS } from "./format";
import { type Outcome, outcomeOf } from "./outcome";
import { OutcomeMessage } from "./outcome-message";
import { PrincipalFacts, type PrincipalFactsView } from "./principal-facts";

export interface DecisionTarget extends PrincipalFactsView {
  readonly id: string;
  readonly roleName: string;
  readonly workspaceName: string;
  readonly workspaceId: string;
  readonly roleDefinitionId: string;
  readonly requesterName: string;
  /** A bundle request: what the approver gives is the bundle, not only its workspace role. */
  readonly bundleId?: string | null;
  readonly bundleName?: string | null;
  /** Earlier requests on this workspace for this principal or by this requester; absent where not loaded. */
  readonly related?: readonly RelatedRequestView[];
}

type Decision = "approve" | "deny";

const TEXT = {
  approve: { trigger: "Approve", title: "Approve request", confirm: "Approve and grant", busy: "Approving…", comment: "Comment (optional)" },
  deny: { trigger: "Deny", title: "Deny request", confirm: "Deny request", busy: "Denying…", comment: "Reason (required; the requester sees it)" },
} as const;

/**
 * Approving a privileged role's request needs a stronger sign-in (the console's own step-up): nothing is decided, the
 * person signs in again, and the approval dialog reopens with the same request and comment, one click from done.
 */
const DECISION_RESUME_KEY = "request-decision";

interface DecisionChoices {
  readonly request: DecisionTarget;
  readonly comment: string;
}

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
  const router = useRouter();
  const opener = useRef<HTMLElement | null>(null);
  const id = useId();
  const retry = useReadyToRetry();
  const [resumed, setResumed] = useState(false);
  useResumedStepUp<DecisionChoices>(DECISION_RESUME_KEY, (choices) => {
    setComment(choices.comment);
    setOutcome(null);
    setResumed(true);
    setTarget({ request: choices.request, decision: "approve" });
  });

  function open(request: DecisionTarget, decision: Decision) {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setComment("");
    setOutcome(null);
    setResumed(false);
    setTarget({ request, decision });
  }

  function submit() {
    if (!target) return;
    const { request, decision } = target;
    startTransition(async () => {
      // Back from signing in again: the decision waits until the server holds the new sign-in's token.
      await retry.afterSignIn();
      const input = { requestId: request.id, comment: comment.trim() };
      setOutcome(outcomeOf(decision === "approve" ? await approveAccessRequest(input) : await denyAccessRequest(input)));
      // After a refusal too: it may have stored newer directory facts about the request.
      router.refresh();
    });
  }

  const text = target ? TEXT[target.decision] : TEXT.approve;
  const decided = outcome?.ok === true;
  return (
    <DecisionContext.Provider value={open}>
      {children}
      <DialogRoot open={target !== null} onOpenChange={(next) => !next && setTarget(null)}>
        <DialogPanel
          title={text.title}
          description={
            <>
              {target &&
                `${target.request.bundleName ? `The ${target.request.bundleName} bundle` : target.request.roleName} on ${target.request.workspaceName} for ${target.request.principalDisplayName}, asked by ${target.request.requesterName}.`}
              {target?.decision === "approve" && " The grant runs as you: Azure checks your own rights."}
            </>
          }
          onCloseAutoFocus={(event) => {
            // Back to the button that opened it, when it still exists after the refresh.
            if (opener.current?.isConnected) {
              event.preventDefault();
              opener.current.focus();
            }
          }}
        >
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
          {target?.decision === "approve" && !decided && target.request.bundleId && (
            // Read as the approver, now: the bundle placed as they will grant it, and what each part adds on its resource.
            <BundleDelta
              workspaceId={target.request.workspaceId}
              bundleId={target.request.bundleId}
              principalId={target.request.principalId}
              title={`What you are about to give: the ${target.request.bundleName ?? "requested"} bundle, part by part`}
            />
          )}
          {target?.decision === "approve" && !decided && !target.request.bundleId && target.request.roleDefinitionId && (
            // Read as the approver, now: their view of the principal's current access, and what approving adds to it.
            <PermissionDelta
              workspaceId={target.request.workspaceId}
              roleDefinitionId={target.request.roleDefinitionId}
              principalId={target.request.principalId}
              title="What you are about to give"
            />
          )}
          {target?.decision === "approve" && !decided && target.request.related && <RelatedRequests requests={target.request.related} />}
          <form
            className="space-y-3"
            onSubmit={(event) => {
              event.preventDefault();
              submit();
            }}
          >
            {!decided && (
              <Field id={`${id}-comment`} label={text.comment}>
                {(control) => (
                  <textarea
                    {...control}
                    value={comment}
                    maxLength={1000}
                    rows={3}
                    required={target?.decision === "deny"}
                    onChange={(event) => setComment(event.target.value)}
                    className={INPUT_CLASS}
                  />
                )}
              </Field>
            )}
            <div aria-live="polite">
              {resumed && !outcome && <ResumedNotice what="approve it again" />}
              {outcome && !outcome.ok && outcome.claims && target ? (
                // Refused before anything was decided: the same decision is resumed here, not retried as a failed grant.
                <StepUpPrompt
                  claims={outcome.claims}
                  resume={{ key: DECISION_RESUME_KEY, choices: { request: target.request, comment } satisfies DecisionChoices }}
                  message={outcome.message}
                />
              ) : (
                <OutcomeMessage outcome={outcome} requestId={target?.request.id} />
              )}
            </div>
            <DialogFooter>
              <DialogClose type="button" className={buttonClass("secondary")}>
                {decided ? "Close" : "Cancel"}
              </DialogClose>
              {!decided && (
                <Button
                  type="submit"
                  variant={target?.decision === "deny" ? "danger" : "primary"}
                  disabled={pending || !retry.ready || (target?.decision === "deny" && comment.trim() === "")}
                >
                  {pending ? text.busy : text.confirm}
                </Button>
              )}
            </DialogFooter>
          </form>
        </DialogPanel>
      </DialogRoot>
    </DecisionContext.Provider>
  );
}

/** Earlier requests for the same principal or by the same requester on the workspace, newest first. */
function RelatedRequests({ requests }: { requests: readonly RelatedRequestView[] }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="space-y-1 rounded-md border border-line bg-surface px-3 py-2">
      <h3 id={id} className="font-medium">
        Earlier requests on this workspace for this identity or by this requester
      </h3>
      {requests.length === 0 ? (
        <p className="text-ink-muted">None.</p>
      ) : (
        <ul className="space-y-0.5">
          {requests.map((request) => (
            <li key={request.id}>
              <a href={`/requests/${request.id}`} className="text-accent underline-offset-2 hover:underline">
                {request.roleName} for {request.principalDisplayName}
              </a>
              , asked by {request.requesterName} on {formatDateTime(request.createdAt)}: {STATUS_LABELS[request.status]}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Approve and Deny buttons for one request; they open the dialog of the nearest `DecisionHost`. */
export function DecisionButtons({ request, compact = false }: { request: DecisionTarget; compact?: boolean }) {
  const open = useContext(DecisionContext);
  if (!open) throw new Error("DecisionButtons needs a DecisionHost");
  const about = compact ? (
    <span className="sr-only">
      {" "}
      {request.bundleName ? `${request.bundleName} bundle` : request.roleName} on {request.workspaceName} for {request.principalDisplayName}
    </span>
  ) : null;
  return (
    <div className="flex gap-2">
      <Button variant="primary" aria-haspopup="dialog" onClick={() => open(request, "approve")}>
        {TEXT.approve.trigger}
        {about}
      </Button>
      <Button variant="danger" aria-haspopup="dialog" onClick={() => open(request, "deny")}>
        {TEXT.deny.trigger}
        {about}
      </Button>
    </div>
  );
}
