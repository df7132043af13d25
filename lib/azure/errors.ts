import "server-only";

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
}

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
