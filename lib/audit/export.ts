import "server-only";

import { and, type SQL, sql } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditEvents } from "@/lib/db/schema";
import { allAuditConditions, type AuditEventRow, type AuditFilter, auditFilterQuery, toAuditEventRecord } from "./search";
import { csvField } from "@/lib/shared/csv";

export type AuditExportFormat = "csv" | "jsonl";

export interface ExportAuditEventsOptions {
  /** Events read per query, and so per chunk yielded; memory stays bounded by one batch. */
  readonly batchSize?: number;
}

// About 1 MB of CSV per batch at the bench's ~420 bytes an event: few enough queries that each one's fixed cost (a
// round trip into PGlite's engine, an index descent) stops mattering. Larger batches were no faster and grew the
// process by over 100 MB (PGlite's WebAssembly memory never shrinks back).
const DEFAULT_BATCH_ROWS = 2000;

/** The CSV's columns, in order, each with the row field it shows (`details` is written as compact JSON). */
const CSV_COLUMNS: readonly [string, keyof ExportRow][] = [
  ["id", "id"],
  ["occurred_at", "occurredAt"],
  ["actor_kind", "actorKind"],
  ["actor_tenant_id", "actorTenantId"],
  ["actor_object_id", "actorObjectId"],
  ["actor_display_name", "actorDisplayName"],
  ["actor_upn", "actorUpn"],
  ["actor_app_id", "actorAppId"],
  ["action", "action"],
  ["outcome", "outcome"],
  ["error_code", "errorCode"],
  ["target_scope", "targetScope"],
  ["target_principal_id", "targetPrincipalId"],
  ["target_principal_type", "targetPrincipalType"],
  ["target_role_definition_id", "targetRoleDefinitionId"],
  ["target_role_name", "targetRoleName"],
  ["target_request_id", "targetRequestId"],
  ["reason", "reason"],
  ["console_request_id", "consoleRequestId"],
  ["arm_request_id", "armRequestId"],
  ["graph_request_id", "graphRequestId"],
  // Where (after the fixed-shape columns: a user agent has commas of its own).
  ["session_id", "actorSessionId"],
  ["client_address", "actorClientAddress"],
  ["user_agent", "actorUserAgent"],
  ["job", "actorJob"],
  ["details", "details"],
  ["prev_hash", "prevHash"],
  ["hash", "hash"],
];

/** A row as the export's own query returns it: the timestamp already in ISO 8601, the id as the driver gives a bigint. */
type ExportRow = Omit<AuditEventRow, "id" | "occurredAt"> & { readonly id: string | number; readonly occurredAt: string };

/**
 * The events matching a filter, newest first, as CSV (RFC 4180, with a header row) or JSON Lines. Yields one chunk
 * per batch read by keyset, so an export of any size holds one batch in memory; stream the chunks to the response.
 * Nothing is read before the consumer asks for the next chunk.
 */
export async function* exportAuditEvents(
  db: Database,
  filter: AuditFilter,
  format: AuditExportFormat,
  options: ExportAuditEventsOptions = {},
): AsyncGenerator<string, void, undefined> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const conditions = allAuditConditions(auditFilterQuery(filter));
  if (format === "csv") yield csvLine(CSV_COLUMNS.map(([name]) => name));

  let after: { occurredAt: string; id: string | number } | undefined;
  for (;;) {
    const batch = await readExportBatch(db, conditions, after, batchSize);
    if (batch.length > 0) yield format === "csv" ? csvLines(batch) : jsonLines(batch);
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) return;
    after = { occurredAt: last.occurredAt, id: last.id };
  }
}

/**
 * One keyset batch through a raw query: the drizzle select maps 28 columns per row and parses each timestamp into a
 * Date, which was most of the export's time; here the database formats the timestamp as `toISOString()` would.
 */
async function readExportBatch(
  db: Database,
  conditions: readonly SQL[],
  after: { occurredAt: string; id: string | number } | undefined,
  limit: number,
): Promise<ExportRow[]> {
  const keyset = after ? [sql`(${auditEvents.occurredAt}, ${auditEvents.id}) < (${after.occurredAt}::timestamptz, ${String(after.id)}::bigint)`] : [];
  const where = and(...conditions, ...keyset) ?? sql`true`;
  const result = (await db.execute(sql`
    select ${auditEvents.id} as "id",
      to_char(${auditEvents.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "occurredAt",
      ${auditEvents.actorKind} as "actorKind", ${auditEvents.actorTenantId} as "actorTenantId",
      ${auditEvents.actorObjectId} as "actorObjectId", ${auditEvents.actorDisplayName} as "actorDisplayName",
      ${auditEvents.actorUpn} as "actorUpn", ${auditEvents.actorAppId} as "actorAppId",
      ${auditEvents.actorSessionId} as "actorSessionId", ${auditEvents.actorClientAddress} as "actorClientAddress",
      ${auditEvents.actorUserAgent} as "actorUserAgent", ${auditEvents.actorJob} as "actorJob",
      ${auditEvents.action} as "action", ${auditEvents.targetScope} as "targetScope",
      ${auditEvents.targetPrincipalId} as "targetPrincipalId", ${auditEvents.targetPrincipalType} as "targetPrincipalType",
      ${auditEvents.targetRoleDefinitionId} as "targetRoleDefinitionId", ${auditEvents.targetRoleName} as "targetRoleName",
      ${auditEvents.targetRequestId} as "targetRequestId", ${auditEvents.outcome} as "outcome",
      ${auditEvents.errorCode} as "errorCode", ${auditEvents.reason} as "reason",
      ${auditEvents.consoleRequestId} as "consoleRequestId", ${auditEvents.armRequestId} as "armRequestId",
      ${auditEvents.graphRequestId} as "graphRequestId", ${auditEvents.details} as "details",
      ${auditEvents.prevHash} as "prevHash", ${auditEvents.hash} as "hash"
    from ${auditEvents}
    where ${where}
    order by ${auditEvents.occurredAt} desc, ${auditEvents.id} desc
    limit ${limit}`)) as { rows: ExportRow[] };
  return result.rows;
}

function csvLines(rows: readonly ExportRow[]): string {
  let text = "";
  for (const row of rows) {
    let line = "";
    for (let index = 0; index < CSV_COLUMNS.length; index += 1) {
      const key = CSV_COLUMNS[index]![1];
      const value = key === "details" ? JSON.stringify(row.details) : row[key];
      line += index === 0 ? plainCsvField(value) : `,${plainCsvField(value)}`;
    }
    text += `${line}\r\n`;
  }
  return text;
}

function jsonLines(rows: readonly ExportRow[]): string {
  let text = "";
  for (const row of rows) text += `${JSON.stringify(toAuditEventRecord({ ...row, id: Number(row.id), occurredAt: new Date(row.occurredAt) }))}\n`;
  return text;
}

// A field csvField would leave as it is: no formula start, nothing to quote, no edge whitespace (\s is the set trim() removes).
const NEEDS_CSV_CARE = /^[=+\-@\s]|[",\r\n]|\s$/;

/** csvField, without its work for the ids, hashes and timestamps that make up most of an audit row. */
function plainCsvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  return NEEDS_CSV_CARE.test(value) ? csvField(value) : value;
}

function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map((value) => csvField(value)).join(",")}\r\n`;
}

export { csvField };
