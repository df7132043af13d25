/**
 * What every server action and read returns to the browser. Only `message` texts written for people reach it: never an
 * upstream error body, a stack trace or a token.
 */
export type ActionResult<T> =
  | { readonly status: "success"; readonly data: T }
  | {
      readonly status: "error";
      readonly code: ActionErrorCode;
      readonly message: string;
      /** Per-field messages for form inputs that failed validation. */
      readonly fieldErrors?: Readonly<Record<string, readonly string[]>>;
      /** Quote this to support: ARM's x-ms-request-id, Graph's request-id, or Gatehouse's own event id. */
      readonly reference?: string;
      /** A claims challenge: the browser re-prompts with MSAL (passing these claims) and retries. */
      readonly claims?: string;
    };

export type ActionErrorCode =
  | "unauthenticated"
  | "forbidden"
  | "invalid_input"
  | "not_found"
  | "conflict"
  | "interaction_required"
  | "upstream_forbidden"
  | "upstream_throttled"
  | "rate_limited"
  | "upstream_unavailable"
  | "upstream_failed"
  | "internal";
