import "server-only";

import type { ActionErrorCode } from "@/lib/shared/action-result";

/**
 * The codes an action may return (lib/shared/action-result.ts), less `internal` — which is what unexpected failures
 * become at the edge — plus `configuration`, which is shown to people as `internal`.
 */
export type AppErrorCode = Exclude<ActionErrorCode, "internal"> | "configuration";

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

  constructor(options: AppErrorOptions) {
    super(options.message, { cause: options.cause });
    this.name = "AppError";
    this.code = options.code;
    this.userMessage = options.userMessage;
    this.upstreamRequestId = options.upstreamRequestId;
    this.claims = options.claims;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
