import "server-only";

import { type AuditTarget, recordAuditEventNow } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { type Database, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import type { DelegatedContext } from "./caller";

/**
 * Console-initiated step-up: before a high-impact change, the person's token must show the Conditional Access
 * authentication context the operator chose (GATEHOUSE_STEP_UP_AUTH_CONTEXT). Without it the change is refused with
 * the same `interaction_required` error an ARM claims challenge becomes, carrying a claims request for that context, so
 * the browser's step-up path (sign in again with the claims, then retry) is the one Azure's challenges already use.
 *
 * Entra issues `"acrs": ["c1"]` only after the CA policy for the context is met, and only when the app asked for it:
 * https://learn.microsoft.com/entra/identity-platform/developer-guide-conditional-access-authentication-context.
 * v2 access tokens carry no `amr`, so `acrs` is the only evidence of the stronger sign-in the console can check.
 */

export type StepUpReason = "privileged_grant" | "privileged_approval" | "bulk_removal";

export interface StepUpCheck {
  readonly reason: StepUpReason;
  /** The operation that asked (the audit event's `consoleAction`). */
  readonly consoleAction: string;
  /** What was about to happen, for the audit trail: "grant of Contributor", "removal of 6 assignments". */
  readonly change: string;
  readonly target?: AuditTarget;
}

export interface StepUpOptions {
  readonly db?: Database;
  /** The context to require; the configured one by default. Null: step-up is off. */
  readonly authContext?: string | null;
}

export const STEP_UP_MESSAGE = "This change needs a stronger sign-in. Sign in again to continue.";

/** The OIDC claims request Entra answers with a token carrying `acrs` [authContext] once its policy is met. */
export function stepUpClaims(authContext: string): string {
  return JSON.stringify({ access_token: { acrs: { essential: true, value: authContext } } });
}

/** Whether the sign-in satisfied the context (always, when step-up is off). */
export function hasSteppedUp(authContexts: readonly string[], authContext: string | null): boolean {
  return authContext === null || authContexts.includes(authContext);
}

/**
 * Returns when the person's sign-in satisfied the configured context; otherwise records the refusal
 * (`authz.denied`, deniedBecause `step_up_required`) and throws the claims challenge. Call it before any ARM write.
 */
export async function requireStepUp(context: DelegatedContext, check: StepUpCheck, options: StepUpOptions = {}): Promise<void> {
  const authContext = options.authContext === undefined ? getConfig().stepUp.authContext : options.authContext;
  if (hasSteppedUp(context.authContexts, authContext)) return;
  const required = authContext!;
  log("info", "security", "step-up required", { action: check.consoleAction, reason: check.reason, requestId: context.requestId });
  // Like every refusal: recorded first, and a failing audit write is logged but never turns the refusal into something else.
  try {
    await recordAuditEventNow(options.db ?? (await getDatabase()), {
      action: "authz.denied",
      outcome: "denied",
      actor: context.actor,
      target: check.target ?? {},
      reason: `${check.reason}: ${check.change} needs authentication context ${required}`,
      correlation: { consoleRequestId: context.requestId },
      details: { consoleAction: check.consoleAction, deniedBecause: "step_up_required" },
    });
  } catch (error) {
    log("error", "audit", "could not record a step-up refusal", { action: check.consoleAction, requestId: context.requestId, error: describeError(error) });
  }
  throw new AppError({
    code: "interaction_required",
    message: `step-up required (${check.reason}): authentication context ${required} not in the token's acrs`,
    userMessage: STEP_UP_MESSAGE,
    claims: stepUpClaims(required),
  });
}
