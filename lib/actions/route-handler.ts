import "server-only";

import { randomUUID } from "node:crypto";

import type { UserActor } from "@/lib/auth/audit-actor";
import { sessionActorOf } from "@/lib/auth/caller";
import { authorizeRequest } from "@/lib/auth/authorize";
import type { Session } from "@/lib/auth/session";
import { AppError, type AppErrorCode, INTERNAL_FAILURE_MESSAGE } from "@/lib/errors";
import { databaseUnavailable, isDatabaseUnavailable } from "@/lib/db/faults";
import { describeError, log } from "@/lib/log";
import { declaresBodyOver, NO_BODY, payloadTooLarge } from "@/lib/security/body-limit";
import { tooManyRequestsResponse } from "@/lib/security/rate-limit";
import { throttle } from "@/lib/security/throttle";
import type { Permission } from "@/lib/shared/permissions";

export interface RouteContext {
  readonly session: Session;
  readonly actor: UserActor;
  /** Gatehouse's id for this call: in logs, on the response (`X-Request-Id`) and in error bodies as the reference. */
  readonly requestId: string;
}

/** Responses of signed-in routes are for one person: never stored by a cache. */
export const NO_STORE = { "Cache-Control": "no-store" } as const;

const STATUS: Record<AppErrorCode, number> = {
  unauthenticated: 401,
  forbidden: 403,
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  interaction_required: 401,
  upstream_forbidden: 403,
  upstream_throttled: 429,
  rate_limited: 429,
  upstream_unavailable: 503,
  upstream_failed: 502,
  configuration: 500,
};

/** The HTTP status of a failure the browser is told about (`internal` is a 500, like `configuration`). */
export function httpStatusOf(code: AppErrorCode | "internal"): number {
  return code === "internal" ? 500 : STATUS[code];
}

/** The error body every route handler answers with: the same fields as a failed server action. */
export function routeError(status: number, code: string, message: string, reference?: string): Response {
  return Response.json({ error: { code, message, ...(reference ? { reference } : {}) } }, { status, headers: NO_STORE });
}

/**
 * Wraps a route handler in the steps every signed-in route takes, the counterpart of `serverAction()`: refuse a body
 * (413; these routes take none), read the session and check the permission matrix (refusals are audited; 401 or 403
 * with a reference), apply the rate limits (429 with `Retry-After`: per client address without a session, per person
 * for expensive routes), give the call a request id, run, and turn any failure into the error body — an `AppError`
 * with its status and message for people, anything else as a 500 with the reference only. Every response is marked
 * no-store and carries `X-Request-Id`.
 */
export function routeHandler(
  permission: Permission,
  run: (context: RouteContext, request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    // Every routeHandler route is a GET (exports): a body is never read, so none is accepted.
    if (declaresBodyOver(request, NO_BODY)) return payloadTooLarge(NO_BODY);
    const authorization = await authorizeRequest(request, permission);
    const requestId = randomUUID();
    if (!authorization.ok) {
      const throttled = authorization.reason === "no_session" ? await throttle(permission, null, request.headers, requestId) : undefined;
      return throttled ? tooManyRequestsResponse(throttled) : authorization.response;
    }
    // Route handlers are exports: limited per person as expensive operations (server actions have their own limit).
    const throttled = await throttle(permission, authorization.session, request.headers, requestId, { counted: "expensive only" });
    if (throttled) return tooManyRequestsResponse(throttled);
    const context: RouteContext = { session: authorization.session, actor: sessionActorOf(authorization.session), requestId };
    let response: Response;
    try {
      response = await run(context, request);
    } catch (thrown) {
      // A lost connection or a statement past its timeout: a message of our own, never the driver's text.
      const error = isDatabaseUnavailable(thrown) ? databaseUnavailable(thrown) : thrown;
      if (error instanceof AppError) {
        log(error.code.startsWith("upstream") ? "warn" : "info", "route", error.message, { permission, code: error.code, requestId });
        response = routeError(
          STATUS[error.code],
          error.code === "configuration" ? "internal" : error.code,
          error.userMessage,
          error.upstreamRequestId ?? requestId,
        );
      } else {
        log("error", "route", "unexpected failure", { permission, requestId, error: describeError(error) });
        response = routeError(500, "internal", INTERNAL_FAILURE_MESSAGE, requestId);
      }
    }
    for (const [name, value] of Object.entries(NO_STORE)) response.headers.set(name, value);
    response.headers.set("X-Request-Id", requestId);
    return response;
  };
}
