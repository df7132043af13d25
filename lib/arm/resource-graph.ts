import "server-only";

import { z } from "zod";

import { armPost, type ArmIdentity } from "@/lib/arm/client";
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
 * queries per 5 seconds in its example, each page one query), paced as the guidance does it: when an answer says
 * `x-ms-user-quota-remaining: 0`, the next request waits `x-ms-user-quota-resets-after`. The pause is kept per
 * identity, so queries of one person sent side by side (and the next page load) wait for the same reset. A 429 that
 * still happens (another instance, another tab) is retried by the pipeline's one retry rule after the same header.
 */
export class ResourceGraphPacer {
  private readonly resumeAt = new Map<string, number>();

  constructor(
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> } = {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
  ) {}

  /** Waits until the identity's quota has reset, if the last answer spent it; returns the milliseconds waited. */
  async beforeRequest(identity: ArmIdentity): Promise<number> {
    const wait = (this.resumeAt.get(identityKey(identity)) ?? 0) - this.clock.now();
    if (wait <= 0) return 0;
    // An interactive page does not wait longer than a retry would: it fails as throttled (the list then reads ARM).
    if (wait > MAX_RETRY_AFTER_SECONDS * 1000) throw quotaSpent(Math.ceil(wait / 1000));
    await this.clock.sleep(wait);
    return wait;
  }

  /** Reads the quota an answer reports. */
  afterAnswer(identity: ArmIdentity, header: (name: string) => string | undefined): void {
    const remaining = Number(header("x-ms-user-quota-remaining"));
    const resetsAfter = parseQuotaResetsAfterSeconds(header("x-ms-user-quota-resets-after"));
    if (remaining === 0 && resetsAfter !== undefined) {
      const key = identityKey(identity);
      this.resumeAt.set(key, Math.max(this.resumeAt.get(key) ?? 0, this.clock.now() + resetsAfter * 1000));
    }
  }
}

/** The quota is per user; the console's own identity (app-only) has one of its own. */
function identityKey(identity: ArmIdentity): string {
  return identity.kind === "delegated" ? `user:${identity.caller.tenantId}:${identity.caller.objectId}` : "app";
}

const defaultPacer = new ResourceGraphPacer();

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
      const waited = await pacer.beforeRequest(identity);
      if (waited > 0) {
        quotaWaits++;
        quotaWaitedMs += waited;
      }
      const answer = await armPost(identity, "/providers/Microsoft.ResourceGraph/resources", RESOURCE_GRAPH_API_VERSION, {
        subscriptions,
        query: request.query,
        options: {
          $top: RESOURCE_GRAPH_PAGE_SIZE,
          resultFormat: "objectArray",
          ...(request.authorizationScopeFilter ? { authorizationScopeFilter: request.authorizationScopeFilter } : {}),
          ...(skipToken ? { $skipToken: skipToken } : {}),
        },
      });
      pages++;
      pacer.afterAnswer(identity, answer.header);
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
