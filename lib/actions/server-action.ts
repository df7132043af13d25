import "server-only";

import { randomUUID } from "node:crypto";

import { headers } from "next/headers";
import { z } from "zod";

import type { AuditActor } from "@/lib/audit";
import type { UserActor } from "@/lib/auth/audit-actor";
import { type DelegatedContext, delegatedContextOf, sessionActorOf } from "@/lib/auth/caller";
import { recordRefusal } from "@/lib/auth/record-refusal";
import { getSession, type Session } from "@/lib/auth/session";
import { AppError, INTERNAL_FAILURE_MESSAGE, needsSupportReference } from "@/lib/errors";
import { databaseUnavailable, isDatabaseUnavailable } from "@/lib/db/faults";
import { log } from "@/lib/log";
import { tooManyRequestsMessage } from "@/lib/security/rate-limit";
import { isSameOriginRequest } from "@/lib/security/same-origin";
import { throttle } from "@/lib/security/throttle";
import type { ActionResult } from "@/lib/shared/action-result";
import { type ConsoleAction, isAllowed } from "@/lib/shared/permissions";

export interface ActionContext {
  readonly session: Session;
  /** Who the audit trail names for what this action does. */
  readonly actor: UserActor;
  /** Gatehouse's id for this call: in logs, in the audit trail, and shown to the person as a reference. */
  readonly requestId: string;
}

/** The context a domain operation takes to act as the person who called the action (see `DelegatedContext`). */
export function delegatedContext({ session, requestId }: ActionContext): DelegatedContext {
  return delegatedContextOf(session, requestId);
}

const inputSchemas = new Map<ConsoleAction, z.ZodType>();

/** Every action's input schema by name, once its module is loaded: the property tests fuzz each one through the wrapper. */
export function actionInputSchemas(): ReadonlyMap<ConsoleAction, z.ZodType> {
  return inputSchemas;
}

/**
 * Wraps a server action, or a read (lib/actions/reads.ts, answered by `POST /api/reads/<name>`), in the steps every
 * call takes, in this order: refuse cross-site calls, read the session, apply the rate limits (per client address
 * without a session, per person with one), check the permission matrix, validate the input, run, and map any failure
 * to a message for people. Both are public POST endpoints, so none of this relies on the page that rendered them or on
 * proxy.ts. Authorization comes before validation so that someone who may not use an action learns nothing about its
 * input.
 *
 * Next.js checks `Origin` against `Host`/`X-Forwarded-Host` itself, but lets a request without `Origin` through and
 * trusts whatever `X-Forwarded-Host` says; this check compares against the configured public origin instead.
 */
export function serverAction<Schema extends z.ZodType, Output>(
  action: ConsoleAction,
  input: Schema,
  run: (context: ActionContext, input: z.output<Schema>) => Promise<Output>,
): (raw: unknown) => Promise<ActionResult<Output>> {
  inputSchemas.set(action, input);
  return async (raw) => {
    const requestId = randomUUID();
    try {
      return await runSteps(action, input, run, raw, requestId);
    } catch (thrown) {
      // Any step's failure (the session store or the rate limiter unreachable, the operation itself) answers alike.
      return failureResult(action, thrown, requestId);
    }
  };
}

async function runSteps<Schema extends z.ZodType, Output>(
  action: ConsoleAction,
  input: Schema,
  run: (context: ActionContext, input: z.output<Schema>) => Promise<Output>,
  raw: unknown,
  requestId: string,
): Promise<ActionResult<Output>> {
  const session = await getSession();
  // Built once per call: the refusals below and the operation name the same actor.
  const userActor = session ? sessionActorOf(session) : undefined;
  const actor: AuditActor = userActor ?? { kind: "anonymous" };

  const requestHeaders = await headers();
  if (!isSameOriginRequest(requestHeaders)) {
    await recordRefusal(action, actor, "cross_origin", requestId);
    return { status: "error", code: "forbidden", message: "Requests must come from the Gatehouse page itself." };
  }
  // Before anything is recorded: a throttled caller's calls only count (the first refusal per window is audited).
  const throttled = await throttle(action, session, requestHeaders, requestId);
  if (throttled) return { status: "error", code: "rate_limited", message: tooManyRequestsMessage(throttled.retryAfterSeconds) };
  if (!session || !userActor) {
    await recordRefusal(action, actor, "no_session", requestId);
    return { status: "error", code: "unauthenticated", message: "Your session has ended. Sign in again to continue." };
  }
  if (!isAllowed(action, session.principal.roles)) {
    await recordRefusal(action, actor, "console_role_missing", requestId);
    return { status: "error", code: "forbidden", message: "Your Gatehouse role does not allow this. Ask an admin if you need it." };
  }

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
  // PostgreSQL cannot store U+0000 in text or jsonb: refused here, naming the field, instead of failing as "internal"
  // halfway through the operation (or being sent to Graph/ARM first).
  const nulField = fieldWithNul(parsed.data);
  if (nulField !== undefined) {
    return {
      status: "error",
      code: "invalid_input",
      message: nulField === "" ? NUL_MESSAGE : "Some fields need attention.",
      fieldErrors: nulField === "" ? {} : { [nulField]: [NUL_MESSAGE] },
    };
  }

  return { status: "success", data: await run({ session, actor: userActor, requestId }, parsed.data) };
}

/** A failure as the person sees it: an AppError's own message, a lost database in our words, anything else as internal. */
function failureResult(action: ConsoleAction, thrown: unknown, requestId: string): ActionResult<never> {
  // A lost connection or a statement past its timeout: a message of our own, never the driver's text.
  const error = isDatabaseUnavailable(thrown) ? databaseUnavailable(thrown) : thrown;
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
      ...(error.fieldErrors ? { fieldErrors: error.fieldErrors } : {}),
      ...(needsSupportReference(error) ? { reference: error.upstreamRequestId ?? requestId } : {}),
      claims: error.claims,
    };
  }
  log("error", "action", "unexpected failure", {
    action,
    requestId,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  return internalFailure(requestId);
}

/** The result of a failure nobody planned for, with the reference that finds its log line. */
export function internalFailure(reference: string): ActionResult<never> {
  return { status: "error", code: "internal", message: INTERNAL_FAILURE_MESSAGE, reference };
}

const NUL_MESSAGE = "Remove the NUL character (\\0) from this text.";

/** The top-level field ("" for the input itself) of the first string in `value` that contains U+0000, if any. */
function fieldWithNul(value: unknown): string | undefined {
  const seen = new Set<unknown>();
  const pending: [unknown, string][] = [[value, ""]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, field] = next;
    if (typeof current === "string") {
      if (current.includes("\u0000")) return field;
    } else if (typeof current === "object" && current !== null && !seen.has(current)) {
      seen.add(current);
      for (const [key, item] of Object.entries(current)) pending.push([item, current === value && !Array.isArray(value) ? key : field]);
    }
  }
  return undefined;
}
