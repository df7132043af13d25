"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { cancelAccessRequest, retryAccessRequest } from "@/app/actions/requests";
import { ResumedNotice, useReadyToRetry, useResumedStepUp } from "@/components/auth/step-up";
import { Button } from "@/components/ui/button";
import { DecisionButtons, DecisionHost, type DecisionTarget } from "./decision-dialog";
import type { AllowedActions } from "@/lib/requests/allowed-actions";
import { ExtensionDialog } from "./extension-dialog";
import { type Outcome, outcomeOf, requestResumeKey } from "./outcome";
import { OutcomeMessage } from "./outcome-message";

/** The actions the viewer may take on one request; each result is the server's own message. */
export function RequestActions({ request, allowed }: { request: DecisionTarget; allowed: AllowedActions }) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const resumed = useResumedStepUp<{ requestId: string }>(requestResumeKey(request.id));
  const retryReady = useReadyToRetry();

  function run(action: "cancel" | "retry") {
    startTransition(async () => {
      await retryReady.afterSignIn();
      const input = { requestId: request.id, comment: "" };
      const result = action === "cancel" ? await cancelAccessRequest(input) : await retryAccessRequest(input);
      setOutcome(outcomeOf(result));
      router.refresh();
    });
  }

  const any = allowed.cancel || allowed.decide || allowed.retry || allowed.extend !== null;
  return (
    <DecisionHost>
      <section aria-labelledby="request-actions-heading" className="space-y-3 rounded-md border border-line bg-surface-raised p-4">
        <h2 id="request-actions-heading" className="font-medium">
          Actions
        </h2>
        {!any && <p className="text-ink-muted">Nothing you can do on this request in its current state.</p>}
        {allowed.decide && allowed.selfInvolved && (
          <p role="note" className="text-warning">
            You filed this request or would receive the access: another admin has to decide it.
          </p>
        )}
        <div className="flex flex-wrap gap-2">
          {allowed.decide && <DecisionButtons request={request} />}
          {allowed.retry && (
            <Button variant="primary" disabled={pending || !retryReady.ready} onClick={() => run("retry")}>
              {pending ? "Retrying…" : "Retry the grant"}
            </Button>
          )}
          {allowed.cancel && (
            <Button variant="danger" disabled={pending} onClick={() => run("cancel")}>
              {pending ? "Withdrawing…" : "Withdraw request"}
            </Button>
          )}
          {allowed.extend && <ExtensionDialog request={request} options={allowed.extend} />}
        </div>
        <div aria-live="polite">
          {resumed && allowed.retry && !outcome && <ResumedNotice what="retry the grant" />}
          <OutcomeMessage outcome={outcome} requestId={request.id} />
        </div>
      </section>
    </DecisionHost>
  );
}
