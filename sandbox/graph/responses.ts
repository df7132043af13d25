import type { SandboxRequest, SandboxResponse } from "../contract";

const ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

function baseHeaders(request: SandboxRequest): Record<string, string> {
  return {
    "cache-control": "no-cache",
    "request-id": request.requestId,
    "client-request-id": request.headers["client-request-id"] ?? request.requestId,
    "x-ms-ags-diagnostic": JSON.stringify({
      ServerInfo: { DataCenter: "Gatehouse Sandbox", Slice: "E", Ring: "5", ScaleUnit: "001", RoleInstance: "SANDBOX" },
    }),
    "x-ms-resource-unit": "1",
  };
}

export function graphJson(request: SandboxRequest, status: number, body: unknown): SandboxResponse {
  return { status, headers: { ...baseHeaders(request), "content-type": ODATA_JSON, "odata-version": "4.0" }, body };
}

/** `/$count` answers are plain text; a JSON-serialised number is the same text. */
export function graphCount(request: SandboxRequest, count: number): SandboxResponse {
  return { status: 200, headers: { ...baseHeaders(request), "content-type": "text/plain" }, body: count };
}

export function graphEmpty(request: SandboxRequest, status: number): SandboxResponse {
  return { status, headers: baseHeaders(request) };
}

/** Graph's error envelope; `innerError.date` has no fraction and no `Z`, as Graph emits it. */
export function graphError(request: SandboxRequest, status: number, code: string, message: string): SandboxResponse {
  return {
    status,
    headers: { ...baseHeaders(request), "content-type": "application/json" },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: request.now.toISOString().slice(0, 19),
          "request-id": request.requestId,
          "client-request-id": request.headers["client-request-id"] ?? request.requestId,
        },
      },
    },
  };
}

export const GRAPH_MESSAGES = {
  insufficientPrivileges: "Insufficient privileges to complete the operation.",
  resourceNotFound: (id: string) => `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  segmentNotFound: (segment: string) => `Resource not found for the segment '${segment}'.`,
  methodNotAllowed: "Specified HTTP method is not allowed for the request target.",
  countNotSupported: "$count is not currently supported.",
  searchNeedsConsistency: "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
  operatorNeedsAdvanced: (operator: string) =>
    `Operator '${operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
  unsupportedFilterProperty: (property: string, resource: string) =>
    `Unsupported or invalid query filter clause specified for property '${property}' of resource '${resource}'.`,
  invalidPageSize: (top: string) => `Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`,
  complexQuery: (property: string) => `Complex query on property ${property} is not supported.`,
  // The message Graph returns for a cast on a membership list sent without the advanced-query parameters.
  castNeedsAdvanced: "The specified filter to the reference property query is currently not supported.",
  meNeedsDelegated: "/me request is only valid with delegated authentication flow.",
} as const;
