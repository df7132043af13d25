import { MessageWithReference } from "@/components/workspaces/result-text";
import type { Outcome } from "./outcome";

/** A result line: `role=status` for success, `role=alert` for a refusal or failure. */
export function OutcomeMessage({ outcome }: { outcome: Outcome | null }) {
  if (!outcome) return null;
  return (
    <p role={outcome.ok ? "status" : "alert"} className={outcome.ok ? "text-success" : "text-danger"}>
      <MessageWithReference message={outcome.message} reference={outcome.reference} />
    </p>
  );
}
