/**
 * Audit search and export measured on the database engine alone (no console, no HTTP): fills a database with N events
 * through the real append path (only the ones missing, so a data dir can be reused), then times the audit page's
 * free-text search, its newest-first page and a full CSV export through `exportAuditEvents`, with the process's RSS
 * before, after and at peak.
 *
 *   node --import tsx --conditions=react-server bench/audit-engine.ts --engine pglite --data-dir /tmp/audit-200k --events 200000
 *   node --import tsx --conditions=react-server bench/audit-engine.ts --engine postgres --url postgres://…/db --events 200000
 */
import { parseArgs } from "node:util";
import v8 from "node:v8";

import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { and } from "drizzle-orm";
import { drizzle } from "drizzle-orm/pglite";

import { exportAuditEvents, searchAuditEvents } from "@/lib/audit";
import { allAuditConditions, type AuditFilter, auditFilterQuery } from "@/lib/audit/search";
import { type Database, type DatabaseHandle, openDatabase } from "@/lib/db/client";
import * as schema from "@/lib/db/schema";
import { auditEvents } from "@/lib/db/schema";
import { fillAuditTrail } from "./audit-trail";

const { values } = parseArgs({
  options: {
    engine: { type: "string", default: "pglite" },
    "data-dir": { type: "string" },
    url: { type: "string" },
    events: { type: "string", default: "200000" },
    query: { type: "string", default: "bench-7" },
    "skip-export": { type: "boolean", default: false },
    explain: { type: "boolean", default: false },
    // The export alone, with its own batch size or format (default: the export's own), and a CPU profile if asked.
    "export-only": { type: "boolean", default: false },
    "batch-size": { type: "string" },
    format: { type: "string", default: "csv" },
    repeat: { type: "boolean", default: false },
    /**
     * PGlite only, on an existing (migrated) database: opens it with this buffer pool (e.g. 16MB) instead of the
     * console's own setting, to compare search and export speed against the memory it saves.
     */
    "shared-buffers": { type: "string" },
  },
});
const TOTAL = Number(values.events);

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function openPgliteWithBuffers(dataDir: string, sharedBuffers: string): Promise<DatabaseHandle> {
  if (!/^\d+MB$/.test(sharedBuffers)) throw new Error(`--shared-buffers takes a size such as 16MB, not '${sharedBuffers}'`);
  const client = await PGlite.create(dataDir, { startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${sharedBuffers}`] });
  return { db: drizzle(client, { schema }) as unknown as Database, engine: "pglite", close: () => client.close() };
}

async function main(): Promise<void> {
  const rssStart = process.memoryUsage.rss();
  const handle =
    values.engine === "postgres"
      ? await openDatabase({ kind: "postgres", url: values.url ?? "", poolSize: 5 })
      : values["shared-buffers"]
        ? await openPgliteWithBuffers(values["data-dir"] ?? "", values["shared-buffers"])
        : await openDatabase({ kind: "pglite", dataDir: values["data-dir"] ?? "" });
  const { db } = handle;
  const report: Record<string, unknown> = { engine: handle.engine, rssStartMb: mb(rssStart), rssOpenMb: mb(process.memoryUsage.rss()) };
  try {
    const existing = Number(((await db.execute(sql`select count(*)::int as n from audit_events`)) as { rows: { n: number }[] }).rows[0]?.n ?? 0);
    if (existing < TOTAL) {
      const seedStart = performance.now();
      await fillAuditTrail(db, existing, TOTAL);
      await db.execute(sql`analyze audit_events`);
      report.seeded = { events: TOTAL - existing, ms: Math.round(performance.now() - seedStart) };
    }
    report.events = TOTAL;
    report.rssAfterSeedMb = mb(process.memoryUsage.rss());
    if (!values["export-only"]) await measureQueries(db, handle.engine, report);
    if (!values["skip-export"]) report.export = await measureExport(db);
    // Once more in the same process: what the first export left grown (PGlite's buffer pool touched, V8's young
    // generation at full size) is then counted before, so this growth is the export's own.
    if (!values["skip-export"] && values.repeat) report.exportAgain = await measureExport(db);
  } finally {
    await handle.close();
  }
  console.log(JSON.stringify(report, null, 2));
}

async function measureQueries(db: Database, engine: "pglite" | "postgres", report: Record<string, unknown>): Promise<void> {
  // The audit page's queries: the first page of 50 with the free-text filter, and with none (newest first). First run
  // cold, then the median of five.
  const filter = { text: values.query };
  report.search = { query: values.query, ...(await timeSearch(db, filter)) };
  report.newest = await timeSearch(db, {});
  report.rssAfterSearchMb = mb(process.memoryUsage.rss());

  // A rare word too (one event's request id, from the middle of the trail): it must not walk the whole trail.
  const rare = (
    (await db.execute(sql`select console_request_id as value from audit_events where id = ${Math.ceil(TOTAL / 2)}`)) as { rows: { value: string }[] }
  ).rows[0]?.value;
  if (rare) {
    const rareTimes: number[] = [];
    let hits = 0;
    for (let run = 0; run < 3; run += 1) {
      const start = performance.now();
      hits = (await searchAuditEvents(db, { text: rare }, { size: 50 })).events.length;
      rareTimes.push(performance.now() - start);
    }
    report.rareSearch = { hits, ms: rareTimes.map((time) => Math.round(time)) };
  }

  if (values.explain) {
    const query = db
      .select({ id: auditEvents.id })
      .from(auditEvents)
      .where(and(...allAuditConditions(auditFilterQuery(filter))))
      .orderBy(sql`${auditEvents.occurredAt} desc, ${auditEvents.id} desc`)
      .limit(51)
      .toSQL();
    const explained = (await (engine === "postgres"
      ? db.execute(sql.raw(`explain (analyze, buffers) ${inline(query.sql, query.params)}`))
      : db.execute(sql.raw(`explain analyze ${inline(query.sql, query.params)}`)))) as { rows: Record<string, string>[] };
    report.plan = explained.rows.map((row) => Object.values(row)[0]);
  }
}

/**
 * A full export through `exportAuditEvents`, its time and CPU, and where the process grew while it ran: RSS at peak,
 * and the peaks of V8's heap, of memory outside it (`external`, of which `arrayBuffers`: the drivers' byte copies), and
 * on PGlite of its WebAssembly memory (which never shrinks back).
 */
async function measureExport(db: Database): Promise<Record<string, unknown>> {
  const wasm = (db as unknown as { $client: { Module?: { HEAPU8: Uint8Array } } }).$client.Module;
  const wasmBytes = () => wasm?.HEAPU8.length ?? 0;
  const space = (name: string) => v8.getHeapSpaceStatistics().find((entry) => entry.space_name === name)?.space_used_size ?? 0;
  const memory = () => ({ ...process.memoryUsage(), wasm: wasmBytes(), oldSpace: space("old_space"), largeObjects: space("large_object_space") });
  const before = memory();
  const peak = { ...before };
  const sample = () => {
    const now = memory();
    for (const key of Object.keys(peak) as (keyof typeof peak)[]) peak[key] = Math.max(peak[key], now[key]);
  };
  const sampler = setInterval(sample, 20);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let bytes = 0;
  let lines = 0;
  let chunks = 0;
  let sampledAt = 0;
  const format = values.format === "jsonl" ? "jsonl" : "csv";
  const batchSize = values["batch-size"] ? { batchSize: Number(values["batch-size"]) } : {};
  for await (const chunk of exportAuditEvents(db, {}, format, batchSize)) {
    bytes += Buffer.byteLength(chunk);
    chunks += 1;
    for (let index = chunk.indexOf("\n"); index !== -1; index = chunk.indexOf("\n", index + 1)) lines += 1;
    // Reading the memory costs about 40 µs: once per ~1 MB of output (and on the timer), not once per chunk.
    if (bytes - sampledAt >= 1024 * 1024) {
      sampledAt = bytes;
      sample();
    }
  }
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuStart);
  return {
    format,
    ms: Math.round(performance.now() - start),
    // This process's CPU (on PGlite the engine's too): steadier than wall time on a busy machine.
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    lines,
    chunks,
    mb: mb(bytes),
    rssBeforeMb: mb(before.rss),
    rssPeakMb: mb(peak.rss),
    rssGrowthMb: mb(peak.rss - before.rss),
    heapUsedBeforeMb: mb(before.heapUsed),
    heapTotalBeforeMb: mb(before.heapTotal),
    heapUsedPeakMb: mb(peak.heapUsed),
    heapTotalPeakMb: mb(peak.heapTotal),
    externalBeforeMb: mb(before.external),
    externalPeakMb: mb(peak.external),
    arrayBuffersPeakMb: mb(peak.arrayBuffers),
    oldSpacePeakMb: mb(peak.oldSpace),
    largeObjectsPeakMb: mb(peak.largeObjects),
    wasmBeforeMb: mb(before.wasm),
    wasmAfterMb: mb(wasmBytes()),
  };
}

/** The first page of 50 for a filter: cold, then the median wall time and the mean CPU time of five more. */
async function timeSearch(db: Database, filter: AuditFilter): Promise<{ hits: number; coldMs: number; medianMs: number; meanCpuMs: number }> {
  const times: number[] = [];
  let hits = 0;
  let cpuMs = 0;
  for (let run = 0; run < 6; run += 1) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    hits = (await searchAuditEvents(db, filter, { size: 50 })).events.length;
    times.push(performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    if (run > 0) cpuMs += (cpu.user + cpu.system) / 1000;
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  return { hits, coldMs: Math.round(times[0]!), medianMs: Math.round(warm[2]!), meanCpuMs: Math.round(cpuMs / 5) };
}

/** The query with its parameters written in, for EXPLAIN (the values are the bench's own, not user input). */
function inline(text: string, params: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, index: string) => {
    const value = params[Number(index) - 1];
    return typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
  });
}

main().catch((error: unknown) => {
  console.error(`audit engine bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
