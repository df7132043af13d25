import "server-only";

import { and, type SQL, sql } from "drizzle-orm";

import type { Database } from "@/lib/db/client";
import { auditEvents } from "@/lib/db/schema";
import { allAuditConditions, auditEventColumns, type AuditEventRow, type AuditFilter, auditFilterQuery, toAuditEventRecord } from "./search";
import { csvField } from "@/lib/shared/csv";

export type AuditExportFormat = "csv" | "jsonl";

export interface ExportAuditEventsOptions {
  /** Events read per query; memory stays bounded by one batch. */
  readonly batchSize?: number;
  /** Events per chunk yielded (a slice of a batch). */
  readonly sliceSize?: number;
}

// About 420 KB of CSV per batch at the bench's ~420 bytes an event: few enough queries that each one's fixed cost (a
// round trip into PGlite's engine, an index descent) stops mattering (2,000 were no faster on PGlite). Fewer events
// held at once: on PostgreSQL the driver holds a whole result, and 1,000 kept V8's old space from growing at 1M events
// where 2,000 grew it by ~15 MB. Much larger batches also grew PGlite's WebAssembly memory, which never shrinks back.
const DEFAULT_BATCH_ROWS = 1000;

// A batch arrives as one JSON text per slice of this many events, and each slice becomes one chunk: ~75 KB of JSON and
// ~40 KB of CSV, under V8's large-object size (128 KB). Strings above it go to the large-object space, which only a
// full collection frees; a batch as one 1.5 MB text made the heap grow by ~150 MB between those collections at 1M events.
const DEFAULT_SLICE_ROWS = 100;

const ISO_TIMESTAMP = sql`to_char(${auditEvents.occurredAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The time an `ISO_TIMESTAMP` text names. `new Date` reads four-digit years only, and to_char writes year 10000 with
 * five digits and years before 1 with " BC": times the console never writes, but a restored or imported trail may hold.
 */
export function timeOfIsoText(text: string): Date {
  const match = /^(\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z( BC)?$/.exec(text);
  if (!match) throw new Error(`unexpected time text from the database: ${text}`);
  const [, year, month, day, hour, minute, second, millisecond, bc] = match;
  const time = new Date(Date.UTC(2000, 0, 1, Number(hour), Number(minute), Number(second), Number(millisecond)));
  // Year, month and day together (so 29 February is not rolled over), and apart from Date.UTC, which reads years 0–99
  // as 1900–1999. Both PostgreSQL and JavaScript count proleptic Gregorian years; 1 BC is JavaScript's year 0.
  time.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day));
  return time;
}

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
 * The events matching a filter, newest first, as CSV (RFC 4180, with a header row) or JSON Lines. Reads by keyset in
 * batches and yields one chunk per slice of a batch, so an export of any size holds one batch in memory; stream the
 * chunks to the response. Nothing is read before the consumer asks for a chunk the last batch read does not hold.
 */
export async function* exportAuditEvents(
  db: Database,
  filter: AuditFilter,
  format: AuditExportFormat,
  options: ExportAuditEventsOptions = {},
): AsyncGenerator<string, void, undefined> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const sliceSize = options.sliceSize ?? DEFAULT_SLICE_ROWS;
  const conditions = allAuditConditions(auditFilterQuery(filter));
  const writer = format === "csv" ? CSV_WRITER : JSON_LINES_WRITER;
  if (format === "csv") yield `${CSV_HEADER.join(",")}\r\n`;

  let afterId: number | undefined;
  for (;;) {
    const slices = await readBatchSlices(db, conditions, afterId, batchSize, sliceSize, writer.element);
    let count = 0;
    for (let index = 0; index < slices.length; index += 1) {
      // `never[]`: each writer reads its own row shape, which the union of the two cannot name.
      const rows = JSON.parse(slices[index]!) as never[];
      // Each slice's text is released once parsed: the batch's texts are not all held until its last chunk is taken.
      slices[index] = "";
      count += rows.length;
      afterId = writer.lastId(rows[rows.length - 1]!);
      yield writer.write(rows);
    }
    if (count < batchSize) return;
  }
}

/** How one format reads its rows (`element`, one JSON value per event) and writes them. */
interface ExportWriter<Row> {
  readonly element: SQL;
  write(rows: readonly Row[]): string;
  /** The event id of a row: the next batch starts after that event. */
  lastId(row: Row): number;
}

/**
 * Up to `limit` events, newest first, as one JSON array of `element`s per slice of `sliceSize` events (in order). Each
 * field a driver reads costs it a copy (PGlite's protocol reader makes one ArrayBuffer per field), so a slice arrives as
 * one field instead of 28 per row, and one JSON.parse (native) takes it apart.
 */
async function readBatchSlices(
  db: Database,
  conditions: readonly SQL[],
  afterId: number | undefined,
  limit: number,
  sliceSize: number,
  element: SQL,
): Promise<string[]> {
  // After the last event read, by its id, with its time read again here: the time as written in the batch (to_char's
  // text) cannot say which era a year before 1 is in. The trail is append-only, so that event is always there.
  const after =
    afterId === undefined
      ? []
      : [
          sql`(${auditEvents.occurredAt}, ${auditEvents.id}) < (select last.occurred_at, last.id from ${auditEvents} as last where last.id = ${afterId}::bigint)`,
        ];
  const where = and(...conditions, ...after) ?? sql`true`;
  // PostgreSQL does not promise an aggregate sees its input in a subquery's order, hence json_agg's own ORDER BY.
  const result = (await db.execute(sql`
    select json_agg(slice.element order by slice.occurred_at desc, slice.id desc)::text as "elements"
    from (
      select batch.occurred_at, batch.id, batch.element,
        (row_number() over (order by batch.occurred_at desc, batch.id desc) - 1) / ${sliceSize}::int as slice
      from (
        select ${auditEvents.occurredAt} as occurred_at, ${auditEvents.id} as id, ${element} as element
        from ${auditEvents}
        where ${where}
        order by ${auditEvents.occurredAt} desc, ${auditEvents.id} desc
        limit ${limit}
      ) batch
    ) slice
    group by slice.slice
    order by slice.slice`)) as { rows: { elements: string }[] };
  return result.rows.map((row) => row.elements);
}

/** A CSV batch row: the values in CSV order, all text (or null): the id, the time in ISO 8601, `details` as jsonb's text. */
type CsvElement = [id: string, occurredAt: string, ...values: (string | null)[]];

const DETAILS_INDEX = AUDIT_EVENT_FIELDS.indexOf("details");

const CSV_VALUES = sql.join(
  AUDIT_EVENT_FIELDS.map((field) =>
    field === "occurredAt" ? ISO_TIMESTAMP : field === "id" || field === "details" ? sql`${auditEventColumns[field]}::text` : auditEventColumns[field],
  ),
  sql`, `,
);

/**
 * CSV: the database sends each row's values as they are stored (the time in ISO 8601) and JavaScript escapes them.
 * PostgreSQL's regular expressions, run in PGlite's WebAssembly, cost more per field than csvField does in V8. A row is
 * a text array, not json_build_array's mixed values: that looks up each value's type again on every row, which cost
 * PGlite more than all the rest of the export's JSON (and `details` parsed once more in V8 is cheap).
 */
const CSV_WRITER: ExportWriter<CsvElement> = {
  element: sql`array[${CSV_VALUES}]`,
  write(rows) {
    let text = "";
    for (const row of rows) {
      // The id and the ISO time have nothing to escape; `details` is written with JSON.stringify's spacing, as it always was.
      let line = `${row[0]},${row[1]}`;
      for (let index = 2; index < row.length; index += 1) {
        line += `,${csvField(index === DETAILS_INDEX ? JSON.stringify(JSON.parse(row[index]!)) : row[index])}`;
      }
      text += `${line}\r\n`;
    }
    return text;
  },
  lastId: (row) => Number(row[0]),
};

/** A JSON Lines batch row: every column, by its drizzle field name, the timestamp in ISO 8601. */
type JsonElement = Omit<AuditEventRow, "occurredAt"> & { readonly occurredAt: string };

const JSON_FIELDS = sql.join(
  AUDIT_EVENT_FIELDS.map((field) => sql`${field}::text, ${field === "occurredAt" ? ISO_TIMESTAMP : auditEventColumns[field]}`),
  sql`, `,
);

const JSON_LINES_WRITER: ExportWriter<JsonElement> = {
  element: sql`json_build_object(${JSON_FIELDS})`,
  write(rows) {
    let text = "";
    for (const row of rows) text += `${JSON.stringify(toAuditEventRecord({ ...row, occurredAt: timeOfIsoText(row.occurredAt) }))}\n`;
    return text;
  },
  lastId: (row) => row.id,
};

export { csvField };
