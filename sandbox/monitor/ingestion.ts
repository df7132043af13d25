/**
 * Azure Monitor's Logs Ingestion API, as `@azure/monitor-ingestion` calls it:
 * `POST {endpoint}/dataCollectionRules/{dcrImmutableId}/streams/{stream}?api-version=2023-01-01`, a bearer token for
 * `https://monitor.azure.com`, a JSON array (gzip when `Content-Encoding: gzip`), `204` when accepted.
 * https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview
 *
 * Stricter real behaviour kept here:
 * - at most 1 MB per call, compressed or not: `413` `ContentLengthLimitExceeded`, "Maximum allowed content length:
 *   1048576 bytes (1 MB). Provided content length: N bytes." (service limits:
 *   https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#logs-ingestion-api; the answer as
 *   reported in github.com/JulianHayward/AzADServicePrincipalInsights/issues/30);
 * - only a caller holding Monitoring Metrics Publisher on the rule may ingest; anyone else gets `403`
 *   `OperationFailed` (the SDK troubleshooting guide, github.com/Azure/azure-sdk-for-net/pull/37173). Here that role
 *   is held by the console's API app and its managed identity on the one sandbox rule;
 * - a body that is JSON but not an array is answered `204` and nothing is stored, as the real service does
 *   (github.com/Azure/azure-sdk-for-python/issues/32562).
 * Not verified against a public source (so kept plain): the answers to an unknown rule (`403` as for a caller without
 * the role), an unknown stream (`400` `InvalidStream`), a missing or other api-version and a body that is not JSON.
 */
import { gunzipSync } from "node:zlib";

import type { Caller } from "../contract";
import { CONSOLE_API_CLIENT_ID, CONSOLE_MANAGED_IDENTITY_CLIENT_ID, SANDBOX_AUDIT_DCR_IMMUTABLE_ID, SANDBOX_AUDIT_STREAM } from "../contract";
import { type HttpReply, jsonReply } from "../entra/http";
import type { Tenant } from "../tenant/index";

export const LOGS_INGESTION_API_VERSION = "2023-01-01";
export const MAX_INGESTION_BYTES = 1_048_576;

/** Streams each rule declares (the sandbox has one rule, whose one stream carries Gatehouse's audit trail). */
const RULES: ReadonlyMap<string, ReadonlySet<string>> = new Map([[SANDBOX_AUDIT_DCR_IMMUTABLE_ID, new Set([SANDBOX_AUDIT_STREAM])]]);
/** Holders of Monitoring Metrics Publisher on the sandbox rule. */
const PUBLISHERS = new Set([CONSOLE_API_CLIENT_ID, CONSOLE_MANAGED_IDENTITY_CLIENT_ID]);

export interface IngestionCall {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | undefined>;
  readonly body: Buffer;
  readonly caller: Caller;
  readonly tenant: Tenant;
  readonly now: Date;
}

const error = (status: number, code: string, message: string): HttpReply => jsonReply(status, { error: { code, message } });

export function handleIngestion(call: IngestionCall): HttpReply {
  const match = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)\/?$/i.exec(call.path);
  if (!match) return error(404, "NotFound", `No resource at '${call.path}'.`);
  const [, dcrImmutableId = "", stream = ""] = match;
  if (call.method !== "POST") return error(405, "MethodNotAllowed", `The requested method '${call.method}' is not allowed.`);
  const version = call.query.get("api-version");
  if (version !== LOGS_INGESTION_API_VERSION) {
    return error(400, "InvalidApiVersion", `The api-version '${version ?? ""}' is not supported; use '${LOGS_INGESTION_API_VERSION}'.`);
  }
  const streams = RULES.get(dcrImmutableId);
  if (!streams || !PUBLISHERS.has(call.caller.appId)) {
    return error(
      403,
      "OperationFailed",
      `The authentication token provided does not have access to ingest data for the data collection rule with immutable Id '${dcrImmutableId}'.`,
    );
  }
  if (!streams.has(stream)) return error(400, "InvalidStream", `The data collection rule '${dcrImmutableId}' declares no stream '${stream}'.`);

  const tooLarge = (length: number) =>
    error(413, "ContentLengthLimitExceeded", `Maximum allowed content length: ${MAX_INGESTION_BYTES} bytes (1 MB). Provided content length: ${length} bytes.`);
  if (call.body.length > MAX_INGESTION_BYTES) return tooLarge(call.body.length);
  let json: Buffer = call.body;
  if ((call.headers["content-encoding"] ?? "").toLowerCase() === "gzip") {
    try {
      // Bounded, so a gzip bomb cannot exhaust the sandbox; anything past the limit is refused below anyway.
      json = gunzipSync(call.body, { maxOutputLength: 64 * MAX_INGESTION_BYTES });
    } catch {
      return error(400, "InvalidContent", "The gzip body could not be decompressed.");
    }
    if (json.length > MAX_INGESTION_BYTES) return tooLarge(json.length);
  }
  let records: unknown;
  try {
    records = JSON.parse(json.toString("utf8"));
  } catch {
    return error(400, "InvalidContent", "The request body is not valid JSON.");
  }
  if (Array.isArray(records)) {
    const receivedAt = call.now.toISOString();
    for (const record of records) {
      if (record && typeof record === "object" && !Array.isArray(record)) {
        call.tenant.ingestedLogs.push({ dcrImmutableId, stream, receivedAt, ingestedByAppId: call.caller.appId, record: record as Record<string, unknown> });
      }
    }
  }
  return { status: 204, headers: {} };
}
