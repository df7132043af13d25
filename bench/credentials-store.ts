/**
 * How much the store of one credentials snapshot costs on PGlite: opens a fresh database the way the console does,
 * then stores a built snapshot (a JSON file of `BuiltSnapshot`, e.g. dumped from a refresh) several times, printing
 * each store's time and CPU and the process's RSS.
 *
 *   node --import tsx --conditions=react-server bench/credentials-store.ts --built /tmp/built.json [--runs 5]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { built: { type: "string" }, runs: { type: "string", default: "5" } } });
const { openDatabase } = await import("@/lib/db/client");
const { completeSnapshot, createRunningSnapshot } = await import("@/lib/credentials/store");
const dataDir = mkdtempSync(path.join(tmpdir(), "credentials-store-"));
const handle = await openDatabase({ kind: "pglite", dataDir });
const built = JSON.parse(readFileSync(values.built!, "utf8")) as Parameters<typeof completeSnapshot>[2];
const windows = [7, 30, 90] as const;
console.log(JSON.stringify({ opened: true, rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024) }));
for (let run = 0; run < Number(values.runs); run++) {
  const id = await createRunningSnapshot(handle.db, { trigger: "manual", requestedBy: null, now: new Date(), windows });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await completeSnapshot(handle.db, id, built, { asOf: new Date(), finishedAt: new Date(), graphCalls: 0, armCalls: 0, warnings: [] });
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      run,
      ms: Math.round(performance.now() - started),
      cpuMs: Math.round((used.user + used.system) / 1000),
      rssMb: Math.round(process.memoryUsage.rss() / 1024 / 1024),
      peakRssMb: Math.round(Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024),
    }),
  );
}
await handle.close();
rmSync(dataDir, { recursive: true, force: true });
