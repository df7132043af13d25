import "server-only";

import { z } from "zod";

import { type ArmAnswer, armQuery, type ArmIdentity } from "@/lib/arm/client";
import { upstreamError } from "@/lib/azure/errors";
import { MAX_RETRY_AFTER_SECONDS, parseQuotaResetsAfterSeconds } from "@/lib/azure/retry";

/**
 * Azure Resource Graph queries (`POST /providers/Microsoft.ResourceGraph/resources`) through the ARM pipeline. Pages
 * are read one after another: each page's `$skipToken` goes back in the next request's body (the API has no
 * nextLink), so a result of n rows costs ⌈n / 1000⌉ calls per batch of at most 1,000 subscriptions, the most one
 * request may name.
 */
export const RESOURCE_GRAPH_API_VERSION = "2024-04-01";
export const RESOURCE_GRAPH_PAGE_SIZE = 1000;
export const RESOURCE_GRAPH_MAX_SUBSCRIPTIONS = 1000;
// A runaway token chain must end: 10,000 pages is ten million rows.
const MAX_PAGES = 10_000;

const QueryResponseWire = z.object({
  totalRecords: z.number(),
  count: z.number(),
  resultTruncated: z.enum(["true", "false"]),
  $skipToken: z.string().optional(),
  data: z.array(z.record(z.string(), z.unknown())),
});

export interface ResourceGraphQuery {
  readonly query: string;
  readonly subscriptions: readonly string[];
  /** Which role assignments count as in scope of the subscriptions (those above them too, or only those at or below). */
  readonly authorizationScopeFilter?: "AtScopeAndBelow" | "AtScopeAboveAndBelow";
}

export interface ResourceGraphResult {
  readonly rows: Record<string, unknown>[];
  /** Requests made, for the benchmark and the call-budget tests. */
  readonly pages: number;
  /** Times this query waited for the caller's quota to reset before a request, and for how long in all. */
  readonly quotaWaits: number;
  readonly quotaWaitedMs: number;
}

/**
 * Resource Graph's per-user quota (Microsoft Learn, "Guidance for throttled requests in Azure Resource Graph": 15
 * queries per 5 seconds in its example, each page one query), paced as the guidance does it: when the quota an answer
 * reports is spent, the next request waits `x-ms-user-quota-resets-after`. The count is kept per identity and
 * requests in flight are held against it, so queries one person sends side by side (and the next page load) share
 * one quota instead of each spending the last query. A 429 that still happens (another instance, another tab) is
 * retried by the pipeline's one retry rule after the same header.
 */
export class ResourceGraphPacer {
  /** Per identity: the last known quota, requests in flight, and the latest reset a request waited for. */
  private readonly quotas = new Map<string, { remaining: number; resetAt: number; inFlight: number; waitedFor: number }>();

  constructor(
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
  ) {}

  /**
   * Waits until the identity may send another query, then holds one for it. `release` gives it back with the headers
   * of the answer (none when the request failed); `waitedMs` is how long it waited.
   */
  async acquire(identity: ArmIdentity): Promise<{ waitedMs: number; release: (header?: (name: string) => string | undefined) => void }> {
    const key = identityKey(identity);
    const quota = this.quotas.get(key) ?? { remaining: Number.POSITIVE_INFINITY, resetAt: 0, inFlight: 0, waitedFor: 0 };
    this.quotas.set(key, quota);
    let waitedMs = 0;
    while (quota.remaining - quota.inFlight <= 0 && this.clock.now() < quota.resetAt) {
      const resetAt = quota.resetAt;
      const wait = resetAt - this.clock.now();
      // An interactive page does not wait longer than a retry would: it fails as throttled (the list then reads ARM).
      if (wait > MAX_RETRY_AFTER_SECONDS * 1000) throw quotaSpent(Math.ceil(wait / 1000));
      await this.clock.sleep(wait);
      waitedMs += wait;
      quota.waitedFor = Math.max(quota.waitedFor, resetAt);
    }
    quota.inFlight++;
    const sentAfter = quota.waitedFor;
    return {
      waitedMs,
      release: (header) => {
        quota.inFlight--;
        const remaining = Number(header?.("x-ms-user-quota-remaining") ?? Number.NaN);
        const resetsAfter = parseQuotaResetsAfterSeconds(header?.("x-ms-user-quota-resets-after"));
        // An answer to a request sent before a reset that was waited for reports the old window.
        if (!Number.isInteger(remaining) || resetsAfter === undefined || sentAfter < quota.waitedFor) return;
        const now = this.clock.now();
        const resetAt = now + resetsAfter * 1000;
        // Answers in the same window can arrive out of order (resets-after is in whole seconds): the lowest count and
        // the latest reset hold, so the estimate never runs ahead of Resource Graph's own window.
        const sameWindow = now < quota.resetAt && Math.abs(resetAt - quota.resetAt) < 1000;
        quota.remaining = sameWindow ? Math.min(quota.remaining, remaining) : remaining;
        quota.resetAt = sameWindow ? Math.max(quota.resetAt, resetAt) : resetAt;
      },
    };
  }
}

/** The quota is per user; the console's own identity (app-only) has one of its own. */
function identityKey(identity: ArmIdentity): string {
  return identity.kind === "delegated" ? `user:${identity.caller.tenantId}:${identity.caller.objectId}` : "app";
}

const defaultPacer = new ResourceGraphPacer();

export interface ResourceGraphPage extends ResourceGraphResult {
  /** Rows of the whole result (Resource Graph's `totalRecords`), of which `rows` is the page asked for. */
  readonly totalRecords: number;
}

/**
 * One page of a query, in one request: `$top` rows after `$skip`. Without `subscriptions` the query is at tenant
 * scope (every subscription the caller can read; the 2024-04-01 spec requires only `query`, and its "Basic tenant
 * query" example names none). Partial scopes are never accepted: beyond Resource Graph's subscription limit it
 * refuses the query (400) instead of leaving subscriptions out.
 */
export async function queryResourceGraphPage(
  identity: ArmIdentity,
  request: { readonly query: string; readonly subscriptions?: readonly string[]; readonly top: number; readonly skip: number },
  options: { pacer?: ResourceGraphPacer } = {},
): Promise<ResourceGraphPage> {
  const pacer = options.pacer ?? defaultPacer;
  const slot = await pacer.acquire(identity);
  let answer: ArmAnswer | undefined;
  try {
    answer = await armQuery(identity, "/providers/Microsoft.ResourceGraph/resources", RESOURCE_GRAPH_API_VERSION, {
      ...(request.subscriptions ? { subscriptions: request.subscriptions } : {}),
      query: request.query,
      options: { $top: request.top, $skip: request.skip, resultFormat: "objectArray", allowPartialScopes: false },
    });
  } finally {
    slot.release(answer?.header);
  }
  const parsed = QueryResponseWire.safeParse(answer.body);
  if (!parsed.success) throw unexpectedAnswer(`Resource Graph answered an unexpected shape: ${parsed.error.message}`);
  return {
    rows: parsed.data.data,
    totalRecords: parsed.data.totalRecords,
    pages: 1,
    quotaWaits: slot.waitedMs > 0 ? 1 : 0,
    quotaWaitedMs: slot.waitedMs,
  };
}

/** Every row of a query, over batches of at most 1,000 subscriptions, each paged sequentially by `$skipToken`. */
export async function queryResourceGraph(
  identity: ArmIdentity,
  request: ResourceGraphQuery,
  options: { pacer?: ResourceGraphPacer } = {},
): Promise<ResourceGraphResult> {
  const pacer = options.pacer ?? defaultPacer;
  const rows: Record<string, unknown>[] = [];
  let pages = 0;
  let quotaWaits = 0;
  let quotaWaitedMs = 0;
  for (let start = 0; start < request.subscriptions.length; start += RESOURCE_GRAPH_MAX_SUBSCRIPTIONS) {
    const subscriptions = request.subscriptions.slice(start, start + RESOURCE_GRAPH_MAX_SUBSCRIPTIONS);
    let skipToken: string | undefined;
    do {
      if (pages >= MAX_PAGES) throw new Error(`Resource Graph query did not end after ${MAX_PAGES} pages`);
      const slot = await pacer.acquire(identity);
      if (slot.waitedMs > 0) {
        quotaWaits++;
        quotaWaitedMs += slot.waitedMs;
      }
      let answer: ArmAnswer | undefined;
      try {
        answer = await armQuery(identity, "/providers/Microsoft.ResourceGraph/resources", RESOURCE_GRAPH_API_VERSION, {
          subscriptions,
          query: request.query,
          options: {
            $top: RESOURCE_GRAPH_PAGE_SIZE,
            resultFormat: "objectArray",
            ...(request.authorizationScopeFilter ? { authorizationScopeFilter: request.authorizationScopeFilter } : {}),
            ...(skipToken ? { $skipToken: skipToken } : {}),
          },
        });
      } finally {
        slot.release(answer?.header);
      }
      pages++;
      const parsed = QueryResponseWire.safeParse(answer.body);
      if (!parsed.success) throw unexpectedAnswer(`Resource Graph answered an unexpected shape: ${parsed.error.message}`);
      // A truncated result without a token would silently drop rows (and undercount): refuse it instead.
      if (parsed.data.resultTruncated === "true" && !parsed.data.$skipToken) throw unexpectedAnswer("Resource Graph truncated a result it cannot page");
      rows.push(...parsed.data.data);
      skipToken = parsed.data.$skipToken;
    } while (skipToken);
  }
  return { rows, pages, quotaWaits, quotaWaitedMs };
}

function quotaSpent(seconds: number) {
  return upstreamError({
    system: "Azure Resource Manager",
    status: 429,
    code: "RateLimiting",
    message: `Resource Graph quota resets in ${seconds} s, longer than the ${MAX_RETRY_AFTER_SECONDS} s a query waits`,
    requestId: undefined,
    retryAfter: String(seconds),
  });
}

function unexpectedAnswer(message: string) {
  return upstreamError({
    system: "Azure Resource Manager",
    status: 502,
    code: "UnexpectedResourceGraphAnswer",
    message,
    requestId: undefined,
    retryAfter: undefined,
  });
}
