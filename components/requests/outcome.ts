import type { ActionResult } from "@/lib/shared/action-result";

/** What a request action's result says to the person: done or refused, the server's own message, a reference. */
export interface Outcome {
  readonly ok: boolean;
  readonly message: string;
  readonly reference?: string | undefined;
}

export function outcomeOf(result: ActionResult<{ readonly message: string }>): Outcome {
  if (result.status === "error") return { ok: false, message: result.message, reference: result.reference };
  return { ok: true, message: result.data.message };
}
