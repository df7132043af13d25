import "server-only";

import type { ActionErrorCode } from "@/lib/shared/action-result";

/**
 * The codes an action may return (lib/shared/action-result.ts), less `internal` — which is what unexpected failures
 * become at the edge — plus `configuration`, which is shown to people as `internal`.
 */
export type AppErrorCode = Exclude<ActionErrorCode, "internal"> | "configuration";

/** What people are told of a failure nobody planned for; the reference beside it finds the log line. */
export const INTERNAL_FAILURE_MESSAGE = "Something went wrong on our side. Try again; if it keeps happening, quote the reference to your admin.";

export interface AppErrorOptions {
  readonly code: AppErrorCode;
  /** Internal detail for logs; never shown. */
  readonly message: string;
  /** What the person is told, in plain words, with what to do next. */
  readonly userMessage: string;
  /** Correlation id from ARM (`x-ms-request-id`) or Graph (`request-id`), shown for support. */
  readonly upstreamRequestId?: string;
  /** Claims challenge to pass back to MSAL when `code` is `interaction_required`. */
  readonly claims?: string;
  /** Per-field messages, for a refusal that is about one field of a form (the form keeps every answer). */
  readonly fieldErrors?: Readonly<Record<string, readonly string[]>>;
  readonly cause?: unknown;
}

/**
 * The one error model. `message` is for logs and support (may hold upstream detail); `userMessage` is the only text a
 * person ever sees. Anything thrown that is not an `AppError` reaches users as a generic message with an event id.
 */
export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly userMessage: string;
  readonly upstreamRequestId: string | undefined;
  readonly claims: string | undefined;
  readonly fieldErrors: Readonly<Record<string, readonly string[]>> | undefined;

  constructor(options: AppErrorOptions) {
    super(options.message, { cause: options.cause });
    this.name = "AppError";
    this.code = options.code;
    this.userMessage = options.userMessage;
    this.upstreamRequestId = options.upstreamRequestId;
    this.claims = options.claims;
    this.fieldErrors = options.fieldErrors;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * Whether a person should be given a reference to quote to support: yes for anything that went wrong (upstream,
 * internal, configuration) or that carries an upstream correlation id; no for Gatehouse's own decisions about the
 * input (invalid, conflicting, not allowed, not there), whose message already says what to do.
 */
export function needsSupportReference(error: AppError): boolean {
  if (error.upstreamRequestId) return true;
  return !(["invalid_input", "conflict", "forbidden", "not_found"] as const).some((code) => code === error.code);
}

/**
 * An operation's decision not to act (already decided, not yours to approve, a field that cannot be accepted), thrown
 * after its audit write where it has one. `reason` names the refusal in logs and tests; `field` puts the message
 * beside that form field as well.
 */
export function refusal(code: AppErrorCode, reason: string, userMessage: string, field?: string): AppError {
  return new AppError({ code, message: `refused: ${reason}`, userMessage, ...(field ? { fieldErrors: { [field]: [userMessage] } } : {}) });
}
