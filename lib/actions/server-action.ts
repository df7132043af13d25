import "server-only";

import { randomUUID } from "node:crypto";

import { headers } from "next/headers";
import { z } from "zod";

import { getSession, type Session } from "@/lib/auth/session";
import { type ConsoleAction, isAllowed } from "@/lib/shared/permissions";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { isSameOriginRequest } from "@/lib/security/same-origin";
import type { ActionResult } from "@/lib/shared/action-result";

export interface ActionContext {
  readonly session: Session;
  /** Gatehouse's id for this call, in logs and (later) the audit trail. */
  readonly requestId: string;
}

/**
 * Wraps a server action in the steps every action takes, in this order: refuse cross-site calls, read the session,
 * validate the input, check the permission matrix, run, and map any failure to a message for people. A server action
 * is a public POST endpoint, so none of this relies on the page that rendered it or on proxy.ts.
 *
 * Next.js checks `Origin` against `Host`/`X-Forwarded-Host` itself, but lets a request without `Origin` through and
 * trusts whatever `X-Forwarded-Host` says; this check compares against the configured public origin instead.
 */
export function serverAction<Schema extends z.ZodType, Output>(
  action: ConsoleAction,
  input: Schema,
  run: (context: ActionContext, input: z.output<Schema>) => Promise<Output>,
): (raw: unknown) => Promise<ActionResult<Output>> {
  return async (raw) => {
    const requestId = randomUUID();
    if (!isSameOriginRequest(await headers())) {
      log("warn", "security", "authz.denied", { action, reason: "cross-origin server action call", requestId });
      return { status: "error", code: "forbidden", message: "Requests must come from the Gatehouse page itself." };
    }
    const session = await getSession();
    if (!session) {
      log("warn", "security", "authz.denied", { action, reason: "no valid session", requestId });
      return { status: "error", code: "unauthenticated", message: "Your session has ended. Sign in again to continue." };
    }
    const principal = session.principal;

    const parsed = input.safeParse(raw);
    if (!parsed.success) {
      const flattened = z.flattenError(parsed.error);
      return {
        status: "error",
        code: "invalid_input",
        message: flattened.formErrors[0] ?? "Some fields need attention.",
        fieldErrors: flattened.fieldErrors as Record<string, string[]>,
      };
    }

    if (!isAllowed(action, principal.roles)) {
      log("warn", "security", "authz.denied", {
        action,
        reason: "console role missing",
        tenantId: principal.tenantId,
        objectId: principal.objectId,
        roles: principal.roles,
        requestId,
      });
      return { status: "error", code: "forbidden", message: "Your Gatehouse role does not allow this. Ask an admin if you need it." };
    }

    try {
      return { status: "success", data: await run({ session, requestId }, parsed.data) };
    } catch (error) {
      if (error instanceof AppError) {
        log(error.code.startsWith("upstream") ? "warn" : "info", "action", error.message, {
          action,
          code: error.code,
          requestId,
          upstreamRequestId: error.upstreamRequestId,
        });
        return {
          status: "error",
          code: error.code === "configuration" ? "internal" : error.code,
          message: error.userMessage,
          reference: error.upstreamRequestId ?? requestId,
          claims: error.claims,
        };
      }
      log("error", "action", "unexpected failure", {
        action,
        requestId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return {
        status: "error",
        code: "internal",
        message: "Something went wrong on our side. Try again; if it keeps happening, quote the reference to your admin.",
        reference: requestId,
      };
    }
  };
}
