import "server-only";

import { z } from "zod";

import { armPost, type ArmIdentity } from "@/lib/arm/client";
import { upstreamError } from "@/lib/azure/errors";

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
}

/** Every row of a query, over batches of at most 1,000 subscriptions, each paged sequentially by `$skipToken`. */
export async function queryResourceGraph(identity: ArmIdentity, request: ResourceGraphQuery): Promise<ResourceGraphResult> {
  const rows: Record<string, unknown>[] = [];
  let pages = 0;
  for (let start = 0; start < request.subscriptions.length; start += RESOURCE_GRAPH_MAX_SUBSCRIPTIONS) {
    const subscriptions = request.subscriptions.slice(start, start + RESOURCE_GRAPH_MAX_SUBSCRIPTIONS);
    let skipToken: string | undefined;
    do {
      if (pages >= MAX_PAGES) throw new Error(`Resource Graph query did not end after ${MAX_PAGES} pages`);
      const body = await armPost(identity, "/providers/Microsoft.ResourceGraph/resources", RESOURCE_GRAPH_API_VERSION, {
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
      const parsed = QueryResponseWire.safeParse(body);
      if (!parsed.success) throw unexpectedAnswer(`Resource Graph answered an unexpected shape: ${parsed.error.message}`);
      // A truncated result without a token would silently drop rows (and undercount): refuse it instead.
      if (parsed.data.resultTruncated === "true" && !parsed.data.$skipToken) throw unexpectedAnswer("Resource Graph truncated a result it cannot page");
      rows.push(...parsed.data.data);
      skipToken = parsed.data.$skipToken;
    } while (skipToken);
  }
  return { rows, pages };
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
