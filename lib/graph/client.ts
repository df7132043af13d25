import "server-only";

import { AuthenticationHandler, Client, type Context, GraphClientError, GraphError, type Middleware } from "@microsoft/microsoft-graph-client";

import { describeError } from "@/lib/log";
import type { SecretToken } from "@/lib/auth/secret-token";
import { getDelegatedToken, type DelegatedCaller, getAppToken } from "@/lib/azure/tokens";
import { callOutcome, circuitBreaker } from "@/lib/azure/circuit-breaker";
import { upstreamError } from "@/lib/azure/errors";
import { parseRetryAfterSeconds, retryDecision } from "@/lib/azure/retry";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { HttpsMessageHandler } from "./transport";

/**
 * The only place a Microsoft Graph client is built. Middleware: token (on-behalf-of or app) → retry (our one rule,
 * `lib/azure/retry.ts`) → HTTP with a per-attempt timeout (`transport.ts`: `node:https`, connections kept alive).
 * The Graph SDK's own retry handler is left out on purpose.
 */

/**
 * The Graph SDK turns whatever a middleware throws into a `GraphError` and keeps only its message, except a
 * `GraphClientError`, which it rethrows as it is: an `AppError` (a token that needs the person to sign in again, an
 * open circuit breaker) travels inside one, and `graphError` takes it out again.
 */
function throughGraphSdk(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const carrier = new GraphClientError(error.message);
  carrier.customError = error;
  return carrier;
}

class RetryMiddleware implements Middleware {
  private next: Middleware | undefined;

  async execute(context: Context): Promise<void> {
    const breaker = circuitBreaker("graph");
    try {
      breaker.admit();
    } catch (error) {
      throw throughGraphSdk(error);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.next!.execute(context);
      } catch (error) {
        breaker.record(callOutcome(undefined, error instanceof AppError || error instanceof GraphClientError));
        throw error;
      }
      const response = context.response;
      const decision = retryDecision(attempt, response?.status, parseRetryAfterSeconds(response?.headers.get("retry-after")));
      // An open breaker ends the retries: the caller gets this attempt's answer. One count per call, by its last attempt.
      if (!response || response.ok || !decision.retry || breaker.isOpen) {
        breaker.record(callOutcome(response?.status));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    }
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

function buildClient(getToken: () => Promise<SecretToken>): Client {
  const { upstream } = getConfig();
  const auth = new AuthenticationHandler({
    getAccessToken: () =>
      getToken().then(
        (token) => token.reveal(),
        (error: unknown) => {
          throw throughGraphSdk(error);
        },
      ),
  });
  const retry = new RetryMiddleware();
  auth.setNext(retry);
  retry.setNext(new HttpsMessageHandler(upstream.timeoutMs));
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: upstream.graphBaseUrl,
    // Hostname without port: the SDK only attaches the token for Graph's own hosts and these.
    customHosts: new Set([new URL(upstream.graphBaseUrl).hostname]),
    defaultVersion: "v1.0",
  });
}

// One client per caller object, which an action or page builds once for its request: the middleware chain is built
// once per request, not per lookup. It lives as long as the caller object, a request's.
const delegatedClients = new WeakMap<DelegatedCaller, Client>();

/** Graph acting as the signed-in person. */
export function delegatedGraphClient(caller: DelegatedCaller): Client {
  let client = delegatedClients.get(caller);
  if (client === undefined) {
    client = buildClient(() => getDelegatedToken(caller, "graph"));
    delegatedClients.set(caller, client);
  }
  return client;
}

/** Graph as the console's own identity (scheduled jobs, notifications). */
export function appGraphClient(): Client {
  return buildClient(() => getAppToken("graph"));
}

/** How long the calls of one run share an app token: well inside its lifetime (an hour). */
const RUN_TOKEN_MS = 5 * 60_000;

/**
 * Graph as the console's own identity for one run of many calls (an inventory, an outbox delivery run): the token is
 * fetched once and shared by the run's calls for a few minutes, rather than asked for before every call (where MSAL's
 * cache is skipped, as in sandbox mode, that is one more round trip and one more token signed per call). A fetch that
 * failed is not kept: the next call asks again.
 */
export function appGraphClientForRun(): Client {
  let shared: { token: Promise<SecretToken>; at: number } | undefined;
  return buildClient(() => {
    const now = Date.now();
    if (!shared || now - shared.at > RUN_TOKEN_MS) {
      const token = getAppToken("graph");
      shared = { token, at: now };
      token.catch(() => {
        if (shared?.token === token) shared = undefined;
      });
    }
    return shared.token;
  });
}

/** The one error model for anything a Graph call threw. */
export function graphError(error: unknown): AppError {
  if (error instanceof GraphError) {
    const body = error.body as unknown;
    const code = typeof body === "string" ? safeJsonCode(body) : undefined;
    return upstreamError({
      system: "Microsoft Graph",
      status: error.statusCode > 0 ? error.statusCode : undefined,
      code: error.code ?? code,
      message: error.message,
      requestId: error.requestId ?? undefined,
      retryAfter: error.headers?.get("retry-after") ?? undefined,
    });
  }
  if (error instanceof AppError) return error;
  if (error instanceof GraphClientError && error.customError instanceof AppError) return error.customError;
  return upstreamError({
    system: "Microsoft Graph",
    status: undefined,
    code: undefined,
    message: describeError(error),
    requestId: undefined,
    retryAfter: undefined,
  });
}

function safeJsonCode(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: string } };
    return parsed.error?.code;
  } catch {
    return undefined;
  }
}
