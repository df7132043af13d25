/**
 * The console's memory around PGlite: opens a database the way the console does (`openDatabase`: created by initdb when
 * absent, then migrated) and prints, at each step, the process's resident set and its kernel high-water mark, V8's heap,
 * external and ArrayBuffer memory, and how much of PGlite's WebAssembly memory is resident. One process per run: a
 * step's figures include everything before it.
 *
 *   node --expose-gc --import tsx --conditions=react-server bench/pglite-memory.ts --data-dir /tmp/pglite-memory
 *
 * Run it twice on the same directory to see a first start (the database created) and a later one (opened).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import type { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";

import { residentOfMappingsSized } from "./process-memory";

const { values } = parseArgs({ options: { "data-dir": { type: "string" } } });
const dataDir = path.resolve(values["data-dir"] ?? path.join(".data", "pglite-memory"));
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

function kernelMb(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
}

async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Several rounds with turns of the event loop between them: WebAssembly memories go with their instances' last
  // references, some of which are dropped only after a tick.
  for (let round = 0; round < 3 && gc; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function step(name: string, client?: PGlite): void {
  const usage = process.memoryUsage();
  const wasmBytes = (client as unknown as { mod?: { HEAPU8: Uint8Array } } | undefined)?.mod?.HEAPU8.length;
  console.log(
    JSON.stringify({
      step: name,
      rssMb: mb(usage.rss),
      peakRssMb: kernelMb("VmHWM"),
      heapUsedMb: mb(usage.heapUsed),
      externalMb: mb(usage.external),
      arrayBuffersMb: mb(usage.arrayBuffers),
      ...(wasmBytes ? { wasmMemoryMb: mb(wasmBytes), wasmResidentMb: residentOfMappingsSized(wasmBytes) } : {}),
    }),
  );
}

step("start");
const { openDatabase } = await import("@/lib/db/client");
step("modules loaded");
const created = !existsSync(path.join(dataDir, "PG_VERSION"));
const started = performance.now();
const handle = await openDatabase({ kind: "pglite", dataDir });
const client = (handle.db as unknown as { $client: PGlite }).$client;
step(`${created ? "created" : "opened"} and migrated in ${Math.round(performance.now() - started)} ms`, client);
await collect();
step("after garbage collection", client);
await handle.db.execute(sql`select count(*) from audit_events`);
step("after counting the audit trail", client);
await handle.close();
await collect();
step("closed");
