import "server-only";

import { and, type SQL, sql } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditEvents } from "@/lib/db/schema";
import {
  allAuditConditions,
  auditEventColumns,
  type AuditEventRow,
  type AuditFilter,
  auditFilterQuery,
  type AuditKeyset,
  olderThan,
  toAuditEventRecord,
} from "./search";
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

type AuditEventField = keyof typeof auditEventColumns;

const AUDIT_EVENT_FIELDS = Object.keys(auditEventColumns) as AuditEventField[];

/** The CSV header's names: each column's own, but the origin columns' without their `actor_` prefix. */
const CSV_NAME: Partial<Record<AuditEventField, string>> = {
  actorSessionId: "session_id",
  actorClientAddress: "client_address",
  actorUserAgent: "user_agent",
  actorJob: "job",
};

const CSV_HEADER = AUDIT_EVENT_FIELDS.map((field) => CSV_NAME[field] ?? auditEventColumns[field].name);

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

  let after: AuditKeyset | undefined;
  for (;;) {
    const batch = format === "csv" ? await readCsvBatch(db, conditions, after, batchSize) : await readJsonBatch(db, conditions, after, batchSize);
    if (batch.count > 0) yield batch.text;
    if (!batch.last || batch.count < batchSize) return;
    after = batch.last;
  }
}

/** One batch of the export: its text, how many events it holds, and the oldest one's keyset (undefined when empty). */
interface ExportBatch {
  readonly text: string;
  readonly count: number;
  readonly last: AuditKeyset | undefined;
}

/**
 * Up to `limit` events as one JSON array of `element`s, newest first, read as a single text value. Each field a driver
 * reads costs it a copy (PGlite's protocol reader makes one ArrayBuffer per field), so a batch arrives as one field
 * instead of 28 per row, and one JSON.parse (native) takes it apart.
 */
async function readBatchArray<T>(db: Database, conditions: readonly SQL[], after: AuditKeyset | undefined, limit: number, element: SQL): Promise<T[]> {
  const where = and(...conditions, ...olderThan(after)) ?? sql`true`;
  const result = (await db.execute(sql`
    select json_agg(batch.element order by batch.occurred_at desc, batch.id desc)::text as "elements"
    from (
      select ${auditEvents.occurredAt} as occurred_at, ${auditEvents.id} as id, ${element} as element
      from ${auditEvents}
      where ${where}
      order by ${auditEvents.occurredAt} desc, ${auditEvents.id} desc
      limit ${limit}
    ) batch`)) as { rows: { elements: string | null }[] };
  const elements = result.rows[0]?.elements;
  // No rows aggregate to null.
  return elements ? (JSON.parse(elements) as T[]) : [];
}

/** A CSV batch row: the values in CSV order, the id as text and the time in ISO 8601, `details` as parsed JSON. */
type CsvElement = [id: string, occurredAt: string, ...values: unknown[]];

const DETAILS_INDEX = AUDIT_EVENT_FIELDS.indexOf("details");

/**
 * One CSV batch: the database sends each row's values as they are stored (the time in ISO 8601) and JavaScript escapes
 * them. PostgreSQL's regular expressions, run in PGlite's WebAssembly, cost more per field than csvField does in V8.
 */
async function readCsvBatch(db: Database, conditions: readonly SQL[], after: AuditKeyset | undefined, limit: number): Promise<ExportBatch> {
  const values = sql.join(
    AUDIT_EVENT_FIELDS.map((field) => (field === "occurredAt" ? ISO_TIMESTAMP : field === "id" ? sql`${auditEvents.id}::text` : auditEventColumns[field])),
    sql`, `,
  );
  const rows = await readBatchArray<CsvElement>(db, conditions, after, limit, sql`json_build_array(${values})`);
  let text = "";
  for (const row of rows) {
    // The id and the ISO time have nothing to escape; `details` is written with JSON.stringify's spacing, as it always was.
    let line = `${row[0]},${row[1]}`;
    for (let index = 2; index < row.length; index += 1) {
      line += `,${csvField(index === DETAILS_INDEX ? JSON.stringify(row[index]) : (row[index] as string | null))}`;
    }
    text += `${line}\r\n`;
  }
  const last = rows.at(-1);
  return { text, count: rows.length, last: last && { occurredAt: new Date(last[1]), id: Number(last[0]) } };
}

/** A JSON Lines batch row: every column, by its drizzle field name, the timestamp in ISO 8601. */
type JsonElement = Omit<AuditEventRow, "occurredAt"> & { readonly occurredAt: string };

async function readJsonBatch(db: Database, conditions: readonly SQL[], after: AuditKeyset | undefined, limit: number): Promise<ExportBatch> {
  const fields = sql.join(
    AUDIT_EVENT_FIELDS.map((field) => sql`${field}::text, ${field === "occurredAt" ? ISO_TIMESTAMP : auditEventColumns[field]}`),
    sql`, `,
  );
  const rows = await readBatchArray<JsonElement>(db, conditions, after, limit, sql`json_build_object(${fields})`);
  let text = "";
  for (const row of rows) text += `${JSON.stringify(toAuditEventRecord({ ...row, occurredAt: new Date(row.occurredAt) }))}\n`;
  const last = rows.at(-1);
  return { text, count: rows.length, last: last && { occurredAt: new Date(last.occurredAt), id: last.id } };
}

export { csvField };
