import "server-only";

import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { ServiceClient } from "@azure/core-client";
import { createPipelineRequest, type PipelinePolicy, isRestError, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";

import { describeError } from "@/lib/log";
import { callOutcome, circuitBreaker } from "@/lib/azure/circuit-breaker";
import { claimsChallengeOf, upstreamError } from "@/lib/azure/errors";
import { retryDecision, throttleWaitSeconds } from "@/lib/azure/retry";
import type { SecretToken } from "@/lib/auth/secret-token";
import { type DelegatedCaller, getAppToken, getDelegatedToken, resourceScope } from "@/lib/azure/tokens";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";

/**
 * The only place ARM clients are built. Every client gets the configured endpoint, the configured cloud's ARM scope as its token scope
 * (without it the SDK would ask for `<endpoint>/.default`, a wrong audience against the sandbox or a sovereign cloud),
 * a per-attempt timeout, and our one retry rule in place of the SDK's default retry policies.
 */
// Token lifetime is decided by Entra; the SDK only needs to know it is not expired yet. MSAL refreshes its cache.
const TOKEN_REUSE_MS = 5 * 60_000;

type TokenSource = (claims: string | undefined) => Promise<SecretToken>;

/**
 * ARM answers a write it wants MFA for with a 401 claims challenge; the SDK's bearer policy then asks again with
 * `options.claims`, which must reach Entra: a token without them would only be refused again. Entra answers
 * `interaction_required` (with the claims) when only the person can satisfy them, and that `AppError` is what the
 * SDK call throws.
 */
function credential(getToken: TokenSource): TokenCredential {
  return {
    async getToken(_scopes, options?: GetTokenOptions): Promise<AccessToken> {
      // The SDK's bearer policy is where the token leaves Gatehouse's hands: only here is it revealed.
      return { token: (await getToken(options?.claims || undefined)).reveal(), expiresOnTimestamp: Date.now() + TOKEN_REUSE_MS };
    },
  };
}

const retryPolicy: PipelinePolicy = {
  name: "gatehouseRetryPolicy",
  async sendRequest(request, next) {
    const breaker = circuitBreaker("arm");
    // While ARM keeps failing, a call fails here at once (an AppError saying when to try again), before any attempt.
    // Retries stop too when the breaker opens meanwhile (another call's failure).
    breaker.admit();
    for (let attempt = 1; ; attempt++) {
      let response: PipelineResponse | undefined;
      let failure: Error | undefined;
      try {
        response = await next(request);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
      }
      const status = response?.status;
      const decision = retryDecision(
        attempt,
        status,
        throttleWaitSeconds(status, (name) => response?.headers.get(name)),
      );
      // Only idempotent requests are retried after a lost answer: a timeout may hide a request that took effect. A
      // query sent as a POST (Resource Graph) changes nothing, so it counts as one.
      const idempotent = (request.method !== "POST" && request.method !== "PATCH") || READS.has(request);
      const lostAnswer = failure !== undefined;
      // An open breaker ends the retries too: the caller gets this attempt's answer, or its lost answer, as it is.
      if (!decision.retry || (lostAnswer && !idempotent) || (response && status !== undefined && status < 400) || breaker.isOpen) {
        // The call's outcome is its last attempt's: one count per call, however many retries it took.
        breaker.record(callOutcome(status, failure instanceof AppError));
        if (failure !== undefined) throw failure;
        return response!;
      }
      await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
    }
  },
};

function timeoutPolicy(timeoutMs: number): PipelinePolicy {
  return {
    name: "gatehouseTimeoutPolicy",
    sendRequest(request, next) {
      request.timeout = timeoutMs;
      return next(request);
    },
  };
}

function configure<T extends ServiceClient>(client: T): T {
  const { upstream } = getConfig();
  client.pipeline.removePolicy({ phase: "Retry" });
  client.pipeline.addPolicy(retryPolicy, { phase: "Retry" });
  client.pipeline.addPolicy(timeoutPolicy(upstream.timeoutMs));
  return client;
}

function clientOptions(): { endpoint: string; credentialScopes: string[] } {
  return { endpoint: getConfig().upstream.armEndpoint, credentialScopes: [resourceScope("arm")] };
}

export type ArmIdentity = { readonly kind: "delegated"; readonly caller: DelegatedCaller } | { readonly kind: "app" };

function tokenFor(identity: ArmIdentity): TokenSource {
  return identity.kind === "delegated" ? (claims) => getDelegatedToken(identity.caller, "arm", { claims }) : (claims) => getAppToken("arm", { claims });
}

/** The role-assignment API (`@azure/arm-authorization`). */
export function authorizationClient(identity: ArmIdentity, subscriptionId: string): AuthorizationManagementClient {
  return configure(new AuthorizationManagementClient(credential(tokenFor(identity)), subscriptionId, clientOptions()));
}

function armUrl(path: string, apiVersion: string): string {
  // ARM paths start with one slash; never resolve them with new URL(path, base), which reads `//x` as a host.
  const normalised = `/${path.replace(/^\/+/, "")}`;
  const separator = normalised.includes("?") ? "&" : "?";
  return `${clientOptions().endpoint}${normalised}${separator}api-version=${encodeURIComponent(apiVersion)}`;
}

/**
 * A GET on any ARM path (subscriptions, workspaces) with the same pipeline, for resources whose SDK would pin an older
 * api-version than the shapes Gatehouse reads. Returns the parsed JSON body.
 */
export function armGet(identity: ArmIdentity, path: string, apiVersion: string): Promise<unknown> {
  return armGetUrl(identity, armUrl(path, apiVersion));
}

/**
 * Every item of an ARM list, following `nextLink`. A next link must stay on the configured ARM endpoint: following
 * one elsewhere would send the person's token to another host. `onPage` sees each page's items as it arrives, once
 * the next page has been asked for, and whether more follow: a caller can start work on them while the rest are read.
 */
export async function armListAll(
  identity: ArmIdentity,
  path: string,
  apiVersion: string,
  options: { readonly onPage?: (items: readonly unknown[], more: boolean) => void } = {},
): Promise<unknown[]> {
  const endpoint = new URL(clientOptions().endpoint);
  const items: unknown[] = [];
  type Page = { value?: unknown[]; nextLink?: string | null } | undefined;
  let reading: Promise<Page> | undefined = armGetUrl(identity, armUrl(path, apiVersion)) as Promise<Page>;
  for (let page = 0; reading !== undefined; page++) {
    if (page >= 1000) throw new Error(`ARM list ${path} did not end after 1000 pages`);
    const body: Page = await reading;
    const next: string | undefined = body?.nextLink ?? undefined;
    if (next !== undefined && new URL(next).origin !== endpoint.origin) {
      throw upstreamError({
        system: "Azure Resource Manager",
        status: 502,
        code: "UnexpectedNextLink",
        message: `nextLink points outside ${endpoint.origin}: ${next}`,
        requestId: undefined,
        retryAfter: undefined,
      });
    }
    reading = next === undefined ? undefined : (armGetUrl(identity, next) as Promise<Page>);
    // A failed page ends the list with its error (the await above); the one asked for meanwhile is not left unhandled.
    reading?.catch(() => undefined);
    const value = body?.value ?? [];
    items.push(...value);
    options.onPage?.(value, reading !== undefined);
  }
  return items;
}

async function armGetUrl(identity: ArmIdentity, url: string): Promise<unknown> {
  return (await armSend(identity, url, "GET")).body;
}

/** A successful ARM answer: its parsed JSON body and its headers (Resource Graph reports its quota in them). */
export interface ArmAnswer {
  readonly body: unknown;
  readonly header: (name: string) => string | undefined;
}

/** The requests `armSend` makes: each only reads (a GET, or a query sent as a POST), so each may be asked again. */
const READS = new WeakSet<PipelineRequest>();

/**
 * A query sent as a POST of a JSON body on an ARM path (Resource Graph), with the same pipeline and the same retries
 * as a GET: it reads and changes nothing, so a lost answer (a timeout, a kept-alive connection reset as it was reused)
 * is asked again.
 */
export function armQuery(identity: ArmIdentity, path: string, apiVersion: string, body: unknown): Promise<ArmAnswer> {
  return armSend(identity, armUrl(path, apiVersion), "POST", body);
}

/**
 * One plain client per caller object, which an action or page builds once for its request: its reads then share one
 * pipeline (and the bearer policy's token) instead of building both for every call. It lives as long as the caller
 * object, a request's, so no pipeline, and no token in one, serves another request or person. The console's own identity
 * gets a client per call: its tokens are asked for afresh in the sandbox, whose clock tests move.
 */
const delegatedClients = new WeakMap<DelegatedCaller, ServiceClient>();

function plainClient(identity: ArmIdentity): ServiceClient {
  const build = () => configure(new ServiceClient({ ...clientOptions(), credential: credential(tokenFor(identity)) }));
  if (identity.kind === "app") return build();
  let client = delegatedClients.get(identity.caller);
  if (client === undefined) {
    client = build();
    delegatedClients.set(identity.caller, client);
  }
  return client;
}

async function armSend(identity: ArmIdentity, url: string, method: "GET" | "POST", requestBody?: unknown): Promise<ArmAnswer> {
  const client = plainClient(identity);
  let response: PipelineResponse;
  try {
    const request = createPipelineRequest({ url, method });
    READS.add(request);
    if (requestBody !== undefined) {
      request.body = JSON.stringify(requestBody);
      request.headers.set("content-type", "application/json");
    }
    response = await client.sendRequest(request);
  } catch (error) {
    throw armError(error);
  }
  // core-client's deserialization policy has already parsed a JSON answer (a malformed one failed there, as a
  // RestError); only an answer without a JSON content type is parsed here. Parsing again cost up to 12 ms on a 2,000-row list.
  const parsedBody = (response as PipelineResponse & { readonly parsedBody?: unknown }).parsedBody;
  const body: unknown = parsedBody !== undefined ? parsedBody : response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
  if (response.status >= 400) {
    const detail = (body as { error?: { code?: string; message?: string; details?: { code?: string }[] } } | undefined)?.error;
    // Resource Graph puts the specific reason (InvalidQuery, …) in details under a generic BadRequest.
    const detailCodes = detail?.details?.map((d) => d.code).filter(Boolean) ?? [];
    throw upstreamError({
      system: "Azure Resource Manager",
      status: response.status,
      code: detail?.code,
      message: `${detail?.message ?? `HTTP ${response.status}`}${detailCodes.length > 0 ? ` (${detailCodes.join(", ")})` : ""}`,
      requestId: response.headers.get("x-ms-request-id") ?? undefined,
      retryAfter: throttleWaitSeconds(response.status, (name) => response.headers.get(name))?.toString(),
      claimsChallenge: claimsChallengeOf(response.headers.get("www-authenticate")),
    });
  }
  return { body, header: (name) => response.headers.get(name) ?? undefined };
}

/** The one error model for anything an ARM call threw. */
export function armError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRestError(error)) {
    return upstreamError({
      system: "Azure Resource Manager",
      status: error.statusCode,
      code: error.code,
      message: error.message,
      requestId: error.response?.headers.get("x-ms-request-id") ?? undefined,
      retryAfter: error.response?.headers.get("retry-after") ?? undefined,
      claimsChallenge: claimsChallengeOf(error.response?.headers.get("www-authenticate")),
    });
  }
  return upstreamError({
    system: "Azure Resource Manager",
    status: undefined,
    code: undefined,
    message: describeError(error),
    requestId: undefined,
    retryAfter: undefined,
  });
}
