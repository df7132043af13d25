/**
 * One console instance's scheduler, for the two-instance test: the real jobs and the real `runJobIfDue` against the
 * configured database (DATABASE_URL), driven through a simulated timeline so a test sees several intervals in
 * seconds. Tick k happens at real time `start + k × tick-ms` (both instances share `start`, so they run in step)
 * and claims at simulated time `base + k × interval / 2`. Prints one JSON line: what this instance ran.
 */
import { parseArgs } from "node:util";

import { jobs, runJobIfDue } from "@/lib/jobs/scheduler";

const { values } = parseArgs({
  options: { base: { type: "string" }, start: { type: "string" }, ticks: { type: "string" }, "tick-ms": { type: "string" } },
});
const base = Number(values.base);
const start = Number(values.start);
const ticks = Number(values.ticks);
const tickMs = Number(values["tick-ms"]);

async function main(): Promise<void> {
  const ran: { job: string; tick: number }[] = [];
  const tried: { job: string; tick: number }[] = [];
  for (let tick = 0; tick < ticks; tick++) {
    const wait = start + tick * tickMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await Promise.all(
      jobs().map(async (job) => {
        tried.push({ job: job.name, tick });
        if (await runJobIfDue(job, new Date(base + (tick * job.intervalMs) / 2))) ran.push({ job: job.name, tick });
      }),
    );
  }
  console.log(JSON.stringify({ ran, tried }));
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
