/**
 * `POST /$batch`: up to 20 requests dispatched to this handler's own routes with the same caller; each gets its
 * own status, headers and body, and the outer response is 200 even when items fail. `dependsOn` is honoured
 * (a failed dependency yields 424 for the dependent request).
 */
import type { SandboxHandler, SandboxRequest, SandboxResponse } from "../../contract";
import { graphVersion } from "../odata";
import { graphError, graphJson } from "../responses";

const MAX_BATCH_REQUESTS = 20;

/**
 * Inner responses carry Graph's header casing (`Content-Type`, `Cache-Control`, `OData-Version`): the Graph SDK's
 * BatchResponseContent only re-serialises JSON bodies when it finds `Content-Type` spelled that way.
 */
const BATCH_HEADER_NAMES: Readonly<Record<string, string>> = {
  "content-type": "Content-Type",
  "cache-control": "Cache-Control",
  "odata-version": "OData-Version",
  "x-ms-resource-unit": "x-ms-resource-unit",
  "retry-after": "Retry-After",
  location: "Location",
};

function batchItemHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const canonical = BATCH_HEADER_NAMES[name.toLowerCase()];
    if (canonical) out[canonical] = value;
  }
  return out;
}

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

function readItems(body: unknown): BatchItem[] | string {
  const requests = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests)) return "Invalid batch payload format.";
  const items: BatchItem[] = [];
  for (const raw of requests as unknown[]) {
    const item = raw as Partial<BatchItem> | null;
    if (!item || typeof item.id !== "string" || typeof item.method !== "string" || typeof item.url !== "string") {
      return "Invalid batch payload format: each request needs 'id', 'method' and 'url'.";
    }
    items.push({
      id: item.id,
      method: item.method,
      url: item.url,
      headers: typeof item.headers === "object" && item.headers !== null ? item.headers : undefined,
      body: item.body,
      dependsOn: Array.isArray(item.dependsOn) ? item.dependsOn.filter((d): d is string => typeof d === "string") : undefined,
    });
  }
  return items;
}

export function handleBatch(
  request: SandboxRequest,
  dispatch: SandboxHandler,
  itemFault?: (inner: SandboxRequest, outer: SandboxRequest) => SandboxResponse | undefined,
): SandboxResponse | Promise<SandboxResponse> {
  const items = readItems(request.body);
  if (typeof items === "string") return graphError(request, 400, "BadRequest", items);
  if (items.length > MAX_BATCH_REQUESTS) {
    return graphError(request, 400, "BadRequest", `Too many requests in the batch: ${items.length}. The limit is ${MAX_BATCH_REQUESTS}.`);
  }
  if (new Set(items.map((i) => i.id)).size !== items.length) {
    return graphError(request, 400, "BadRequest", "Batch request contains duplicate request ids.");
  }
  return runItems(request, items, dispatch, itemFault);
}

async function runItems(
  request: SandboxRequest,
  items: BatchItem[],
  dispatch: SandboxHandler,
  itemFault: ((inner: SandboxRequest, outer: SandboxRequest) => SandboxResponse | undefined) | undefined,
): Promise<SandboxResponse> {
  const statuses = new Map<string, number>();
  const responses: unknown[] = [];
  const version = graphVersion(request);
  for (const item of items) {
    const failedDependency = (item.dependsOn ?? []).find((id) => (statuses.get(id) ?? 424) >= 400);
    let response: SandboxResponse;
    if (failedDependency !== undefined) {
      response = graphError(request, 424, "FailedDependency", `The dependent request '${failedDependency}' failed.`);
    } else {
      // Like Graph, a version-prefixed url (`/v1.0/me`, which graph-client 3.0.7's BatchRequestContent sends for
      // full URLs) is not stripped: it fails with "Resource not found for the segment 'v1.0'."
      const relative = item.url.replace(/^\/+/, "");
      const queryAt = relative.indexOf("?");
      const path = queryAt >= 0 ? relative.slice(0, queryAt) : relative;
      const query = new URLSearchParams(queryAt >= 0 ? relative.slice(queryAt + 1) : "");
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(item.headers ?? {})) headers[name.toLowerCase()] = String(value);
      let decodedPath: string | undefined;
      try {
        decodedPath = decodeURIComponent(path);
      } catch {
        decodedPath = undefined;
      }
      if (decodedPath === undefined) {
        response = graphError(request, 400, "BadRequest", `The url '${item.url}' is not valid.`);
      } else if (decodedPath.replace(/\/+$/, "") === "$batch") {
        response = graphError(request, 400, "BadRequest", "Nested batch requests are not supported.");
      } else {
        const inner: SandboxRequest = {
          ...request,
          method: item.method.toUpperCase(),
          path: `/${version}/${decodedPath}`,
          query,
          headers,
          body: item.body,
        };
        response = itemFault?.(inner, request) ?? (await dispatch(inner));
      }
    }
    statuses.set(item.id, response.status);
    responses.push({
      id: item.id,
      status: response.status,
      headers: batchItemHeaders(response.headers ?? {}),
      ...(response.body !== undefined ? { body: response.body } : {}),
    });
  }
  return graphJson(request, 200, { responses });
}
