import { ResultText } from "@/components/ui/message-with-reference";
import type { Outcome } from "./outcome";

/** A result line: `role=status` for success, `role=alert` for a refusal or failure. */
export function OutcomeMessage({ outcome }: { outcome: Outcome | null }) {
  if (!outcome) return null;
  return <ResultText ok={outcome.ok} message={outcome.message} reference={outcome.reference} />;
}
