import "server-only";

import { and, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

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
// process by up to 100 MB more (PGlite's WebAssembly memory never shrinks back).
const DEFAULT_BATCH_ROWS = 2000;

const ISO_TIMESTAMP = sql`to_char(${auditEvents.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The CSV's columns, in order: `id` and `occurred_at` (digits and ISO 8601, nothing to escape), the text columns up to
 * `details`, `details` as compact JSON, then the two hashes.
 */
const CSV_HEADER = [
  "id",
  "occurred_at",
  "actor_kind",
  "actor_tenant_id",
  "actor_object_id",
  "actor_display_name",
  "actor_upn",
  "actor_app_id",
  "action",
  "outcome",
  "error_code",
  "target_scope",
  "target_principal_id",
  "target_principal_type",
  "target_role_definition_id",
  "target_role_name",
  "target_request_id",
  "reason",
  "console_request_id",
  "arm_request_id",
  "graph_request_id",
  // Where (after the fixed-shape columns: a user agent has commas of its own).
  "session_id",
  "client_address",
  "user_agent",
  "job",
  "details",
  "prev_hash",
  "hash",
];

const CSV_TEXT_COLUMNS: readonly AnyPgColumn[] = [
  auditEvents.actorKind,
  auditEvents.actorTenantId,
  auditEvents.actorObjectId,
  auditEvents.actorDisplayName,
  auditEvents.actorUpn,
  auditEvents.actorAppId,
  auditEvents.action,
  auditEvents.outcome,
  auditEvents.errorCode,
  auditEvents.targetScope,
  auditEvents.targetPrincipalId,
  auditEvents.targetPrincipalType,
  auditEvents.targetRoleDefinitionId,
  auditEvents.targetRoleName,
  auditEvents.targetRequestId,
  auditEvents.reason,
  auditEvents.consoleRequestId,
  auditEvents.armRequestId,
  auditEvents.graphRequestId,
  auditEvents.actorSessionId,
  auditEvents.actorClientAddress,
  auditEvents.actorUserAgent,
  auditEvents.actorJob,
];

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
  if (format === "csv") yield `${CSV_HEADER.join(",")}\r\n`;

  let after: ExportKeyset | undefined;
  for (;;) {
    let chunk: string;
    let last: ExportKeyset | undefined;
    let count: number;
    if (format === "csv") {
      const batch = await readCsvBatch(db, conditions, after, batchSize);
      chunk = csvLines(batch);
      last = batch.at(-1);
      count = batch.length;
    } else {
      const batch = await readJsonBatch(db, conditions, after, batchSize);
      chunk = jsonLines(batch);
      last = batch.at(-1);
      count = batch.length;
    }
    if (count > 0) yield chunk;
    if (!last || count < batchSize) return;
    after = { occurredAt: last.occurredAt, id: last.id };
  }
}

interface ExportKeyset {
  /** ISO 8601, as the batch query formats it. */
  readonly occurredAt: string;
  /** A bigint, as the driver returns it (a string from pg). */
  readonly id: string | number;
}

function keysetCondition(after: ExportKeyset | undefined): SQL[] {
  return after ? [sql`(${auditEvents.occurredAt}, ${auditEvents.id}) < (${after.occurredAt}::timestamptz, ${String(after.id)}::bigint)`] : [];
}

// csvField's rules as PostgreSQL regular expressions (ARE escapes, sent as parameters): a formula start, and what makes
// a field quoted. WHITESPACE is the set JavaScript's trim() removes. A test compares the two on awkward values.
const WHITESPACE = String.raw`[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]`;
const FORMULA_START_PG = String.raw`^[=+@\t\r-]`;
const NEEDS_QUOTES_PG = String.raw`[",\r\n]|^${WHITESPACE}|${WHITESPACE}$`;
const NEEDS_CARE_PG = `${FORMULA_START_PG}|${NEEDS_QUOTES_PG}`;

/** csvField computed by the database for a text column; a plain value (nearly all of them) costs one regex test. */
function csvFieldSql(column: AnyPgColumn): SQL {
  const neutralised = sql`(case when ${column} ~ ${FORMULA_START_PG} then '''' || ${column} else ${column} end)`;
  return sql`(case when ${column} is null then '' when ${column} !~ ${NEEDS_CARE_PG} then ${column} when ${neutralised} ~ ${NEEDS_QUOTES_PG} then '"' || replace(${neutralised}, '"', '""') || '"' else ${neutralised} end)`;
}

/** A CSV batch row: the fields before `details` and after it already escaped and joined. */
interface CsvRow extends ExportKeyset {
  readonly head: string;
  readonly details: unknown;
  readonly tail: string;
}

/**
 * One CSV batch. Every field but `details` is escaped and joined by the database: both drivers pay for each field of
 * each row (PGlite copies each into an ArrayBuffer of its own), and 28 fields a row were most of the export's time.
 * `details` stays with JSON.stringify, whose spacing the CSV has always had.
 */
async function readCsvBatch(db: Database, conditions: readonly SQL[], after: ExportKeyset | undefined, limit: number): Promise<CsvRow[]> {
  const where = and(...conditions, ...keysetCondition(after)) ?? sql`true`;
  const textFields = sql.join(
    CSV_TEXT_COLUMNS.map((column) => csvFieldSql(column)),
    sql`, `,
  );
  const result = (await db.execute(sql`
    select ${ISO_TIMESTAMP} as "occurredAt", ${auditEvents.id} as "id",
      concat_ws(',', ${auditEvents.id}::text, ${ISO_TIMESTAMP}, ${textFields}) as "head",
      ${auditEvents.details} as "details",
      ${csvFieldSql(auditEvents.prevHash)} || ',' || ${csvFieldSql(auditEvents.hash)} as "tail"
    from ${auditEvents}
    where ${where}
    order by ${auditEvents.occurredAt} desc, ${auditEvents.id} desc
    limit ${limit}`)) as { rows: CsvRow[] };
  return result.rows;
}

function csvLines(rows: readonly CsvRow[]): string {
  let text = "";
  for (const row of rows) text += `${row.head},${csvField(JSON.stringify(row.details))},${row.tail}\r\n`;
  return text;
}

/** A JSON Lines batch row: every column, by its drizzle field name, the timestamp in ISO 8601. */
type JsonRow = Omit<AuditEventRow, "id" | "occurredAt"> & ExportKeyset;

async function readJsonBatch(db: Database, conditions: readonly SQL[], after: ExportKeyset | undefined, limit: number): Promise<JsonRow[]> {
  const where = and(...conditions, ...keysetCondition(after)) ?? sql`true`;
  const result = (await db.execute(sql`
    select ${auditEvents.id} as "id", ${ISO_TIMESTAMP} as "occurredAt",
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
    limit ${limit}`)) as { rows: JsonRow[] };
  return result.rows;
}

function jsonLines(rows: readonly JsonRow[]): string {
  let text = "";
  for (const row of rows) text += `${JSON.stringify(toAuditEventRecord({ ...row, id: Number(row.id), occurredAt: new Date(row.occurredAt) }))}\n`;
  return text;
}

export { csvField };
