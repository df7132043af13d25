import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";

import { describeError } from "@/lib/log";
import { AppError } from "@/lib/errors";
import { MAX_RETRY_AFTER_SECONDS, parseRetryAfterSeconds } from "./retry";

/** What an upstream failure looked like, whichever SDK reported it. */
export interface UpstreamFailure {
  readonly system: "Microsoft Graph" | "Azure Resource Manager";
  /** HTTP status, or undefined when no answer arrived (network error, timeout). */
  readonly status: number | undefined;
  /** The service's error code (`AuthorizationFailed`, `Request_ResourceNotFound`, …). */
  readonly code: string | undefined;
  readonly message: string;
  readonly requestId: string | undefined;
  readonly retryAfter: string | undefined;
  /** The claims (JSON) of a 401 `insufficient_claims` challenge, from `claimsChallengeOf`. */
  readonly claimsChallenge?: string | undefined;
}

/**
 * The claims a `WWW-Authenticate: Bearer error="insufficient_claims", claims="<base64>"` challenge asks for, decoded
 * (ARM's answer to a write that needs MFA); undefined for any other 401.
 */
export function claimsChallengeOf(header: string | null | undefined): string | undefined {
  if (!header || !/\berror="insufficient_claims"/.test(header)) return undefined;
  const encoded = /\bclaims="([^"]+)"/.exec(header)?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  try {
    JSON.parse(decoded);
    return decoded;
  } catch {
    return undefined;
  }
}

/** What a person is told when Azure wants them to sign in again with more (MFA) before it makes a change. */
export const STEP_UP_MESSAGE =
  "Azure needs you to sign in again, with multi-factor authentication, before Gatehouse can make this change for you. Nothing was changed: sign in again, then retry.";

/**
 * Maps an upstream failure to the one error model: the service's own message goes to the log only, the person gets
 * a plain explanation, and the service's request id is kept for support. Features refine `userMessage` where they
 * know more (e.g. which workspace and which permission).
 */
export function upstreamError(failure: UpstreamFailure): AppError {
  const { system, status, code, requestId } = failure;
  const message = `${system} ${status ?? "no response"} ${code ?? ""}: ${failure.message}`.trim();
  const base = { message, upstreamRequestId: requestId };
  if (status === undefined) {
    return new AppError({ ...base, code: "upstream_unavailable", userMessage: `${system} did not answer in time. Try again in a minute.` });
  }
  if (status === 401 && failure.claimsChallenge) {
    return new AppError({ ...base, code: "interaction_required", userMessage: STEP_UP_MESSAGE, claims: failure.claimsChallenge });
  }
  if (status === 401) {
    return new AppError({ ...base, code: "unauthenticated", userMessage: "Your session has ended. Sign in again to continue." });
  }
  if (status === 403) {
    return new AppError({
      ...base,
      code: "upstream_forbidden",
      userMessage: `${system} refused: your Azure permissions do not allow this.`,
    });
  }
  if (status === 404) {
    return new AppError({ ...base, code: "not_found", userMessage: `${system} could not find it; it may have been deleted.` });
  }
  if (status === 409) {
    return new AppError({ ...base, code: "conflict", userMessage: `${system} reported a conflict with the current state. Refresh and try again.` });
  }
  if (status === 429) {
    const wait = parseRetryAfterSeconds(failure.retryAfter) ?? MAX_RETRY_AFTER_SECONDS;
    return new AppError({
      ...base,
      code: "upstream_throttled",
      userMessage: `${system} is limiting how fast Gatehouse may call it. Try again in ${wait} second${wait === 1 ? "" : "s"}.`,
    });
  }
  if (status >= 500) {
    return new AppError({ ...base, code: "upstream_unavailable", userMessage: `${system} is having problems. Try again in a minute.` });
  }
  return new AppError({ ...base, code: "upstream_failed", userMessage: `${system} could not complete the request.` });
}

/** A failed change to a role assignment: ARM's code and status for the audit trail, and a sentence for the admin. */
export interface ArmFailure {
  readonly code: string;
  readonly httpStatus: number | undefined;
  readonly requestId: string | undefined;
  readonly internalMessage: string;
  readonly userMessage: string;
  /** Set when only a new sign-in with these claims (JSON) can make the change: the browser signs in again and retries. */
  readonly claims?: string;
}

/** What the sentence may name: who acted, where, which role. */
export interface RoleChangeSubject {
  readonly actingAs: string;
  readonly scopeName: string;
  readonly roleName: string;
}

/**
 * The one table from ARM's role-assignment error codes to sentences an admin can act on. Matched on the code, never
 * the message: ARM rewords its messages.
 */
const ROLE_ASSIGNMENT_MESSAGES: Record<string, (subject: RoleChangeSubject) => string> = {
  AuthorizationFailed: ({ actingAs, scopeName }) =>
    `You (${actingAs}) can't manage access on ${scopeName}: that needs Microsoft.Authorization/roleAssignments/write, which your Azure roles don't include.`,
  RoleAssignmentLimitExceeded: ({ roleName }) =>
    `This subscription has reached its limit of role assignments (4,000). Grant ${roleName} to a group instead and manage people through its membership, or remove assignments nobody needs.`,
  PrincipalNotFound: () => "Azure does not know this identity yet. If it was created in the last few minutes, wait and try again.",
  InvalidPrincipalId: () => "That identity's id is not valid.",
  RoleAssignmentUpdateNotPermitted: () =>
    "An assignment with the same name exists for a different identity (it may have been deleted and recreated). Remove the old assignment first.",
  UnmatchedPrincipalType: () => "Azure says this identity is of a different type than Gatehouse sent. Refresh the identity and try again.",
};

/** By status, for codes the table does not know: what a failed change to access means for the admin. */
function roleChangeStatusMessage(status: number | undefined): string {
  if (status === 401) {
    // A 401 without a claims challenge: Azure did not accept the token Gatehouse holds for the person.
    return "Azure did not accept your sign-in for this change. Sign in again and retry: what was already done stays done.";
  }
  if (status === 429) return "Azure is throttling role changes in this subscription. Wait a minute and try again.";
  if (status !== undefined && status >= 500) return "Azure Resource Manager is having problems. Try again in a minute.";
  return "Azure refused the change.";
}

/** ARM's failure of a role-assignment change in words an admin can act on; ARM's own message goes only to logs and the trail. */
export function roleChangeFailure(error: unknown, subject: RoleChangeSubject): ArmFailure {
  const rest = isRestError(error) ? error : undefined;
  const code = rest?.code ?? (error instanceof AppError ? error.code : "NoResponse");
  const httpStatus = rest?.statusCode;
  const requestId = rest?.response?.headers.get("x-ms-request-id") ?? (error instanceof AppError ? error.upstreamRequestId : undefined);
  const internalMessage = describeError(error);
  // The claims come from Entra's interaction_required (on-behalf-of with ARM's challenge), or from ARM's challenge itself
  // when the SDK gave up on it.
  const claims = error instanceof AppError ? error.claims : claimsChallengeOf(rest?.response?.headers.get("www-authenticate"));
  if (claims) return { code, httpStatus, requestId, internalMessage, userMessage: STEP_UP_MESSAGE, claims };
  const known = ROLE_ASSIGNMENT_MESSAGES[code];
  const userMessage = known ? known(subject) : error instanceof AppError ? error.userMessage : roleChangeStatusMessage(httpStatus);
  return { code, httpStatus, requestId, internalMessage, userMessage };
}
