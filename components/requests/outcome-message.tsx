import { StepUpPrompt } from "@/components/auth/step-up";
import { ResultText } from "@/components/ui/message-with-reference";
import { type Outcome, requestResumeKey } from "./outcome";

/**
 * A result line: `role=status` for success, `role=alert` for a refusal or failure; a grant Azure wants a new sign-in
 * for offers it, and comes back to the request's page.
 */
export function OutcomeMessage({ outcome, requestId }: { outcome: Outcome | null; requestId?: string | undefined }) {
  if (!outcome) return null;
  if (outcome.claims && requestId) {
    return <StepUpPrompt claims={outcome.claims} resume={{ key: requestResumeKey(requestId), choices: { requestId } }} message={outcome.message} />;
  }
  return <ResultText ok={outcome.ok} message={outcome.message} reference={outcome.reference} />;
}
