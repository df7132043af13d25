import type { ActionResult } from "@/lib/shared/action-result";

/** What a request action's result says to the person: done or refused, the server's own message, a reference. */
export interface Outcome {
  readonly ok: boolean;
  readonly message: string;
  readonly reference?: string | undefined;
  /** Azure wants a new sign-in with these claims (e.g. MFA) before the grant can be made. */
  readonly claims?: string | undefined;
}

export function outcomeOf(result: ActionResult<{ readonly message: string; readonly claims?: string }>): Outcome {
  if (result.status === "error") return { ok: false, message: result.message, reference: result.reference, claims: result.claims };
  return { ok: true, message: result.data.message, claims: result.data.claims };
}

/** Where a request's step-up comes back to: its own page, whose "Retry the grant" makes the grant. */
export const requestResumeKey = (requestId: string) => `request:${requestId}`;
