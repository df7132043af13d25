/**
 * The estate case of `npm run bench`, run by bench/run.ts against the sandbox's `large-estate` tenant (1,000
 * subscriptions, 10,000 workspaces) with the same fixed latency: the workspace list through Azure Resource Graph beside
 * the per-subscription ARM fan-out it replaces, as the security persona (Reader on every subscription). Upstream calls
 * come from the sandbox's journal. One figure is checked, because it is a property of the design and not a timing:
 * each Resource Graph query needs at most ⌈rows / 1000⌉ sequential pages; the run fails when it does not.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { listFromResourceGraph, listPerSubscription, listSubscriptions } from "@/lib/workspaces/list-workspaces";
import { personaContext } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";

const { values } = parseArgs({ options: { latency: { type: "string", default: "40" } } });
const LATENCY_MS = Number(values.latency);
const PAGE = 1000;
const FAN_OUT_CONCURRENCY = 8;

interface Row {
  readonly scenario: string;
  readonly ms: number;
  readonly floorMs: number;
  readonly armCalls: number;
  readonly resourceGraphCalls: number;
  readonly note: string;
}

async function journalled<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; arm: number; resourceGraph: number; throttled: number }> {
  const since = await testSandbox().journal.lastSeq();
  const start = performance.now();
  const result = await work();
  const ms = Math.round(performance.now() - start);
  const calls = (await testSandbox().journal.since(since)).entries.filter((entry) => entry.system === "arm");
  const resourceGraph = calls.filter((entry) => entry.path.toLowerCase().includes("/microsoft.resourcegraph/"));
  return { result, ms, arm: calls.length, resourceGraph: resourceGraph.length, throttled: resourceGraph.filter((entry) => entry.status === 429).length };
}

async function main(): Promise<void> {
  const { caller } = await personaContext("security");
  const settings = await testSandbox().settings();
  const quota = `${settings.resourceGraphQuotaPerWindow} queries per ${settings.resourceGraphQuotaWindowSeconds} s`;
  const identity = { kind: "delegated", caller } as const;
  const subscriptions = await listSubscriptions(identity);
  // Warm-up (not measured): the on-behalf-of token. Then a fresh quota window, so the measured run starts as a first
  // page load does.
  await listFromResourceGraph(identity, subscriptions.slice(0, 1));
  await testSandbox().clock.advance(settings.resourceGraphQuotaWindowSeconds);

  const graph = await journalled(() => listFromResourceGraph(identity, subscriptions));
  const workspaces = graph.result.workspaces.length;
  const sequentialPages = Math.max(...graph.result.queries.map((query) => query.pages));
  // Both queries page side by side and wait for the same quota reset: the waits are counted per query.
  const quotaWaits = graph.result.queries.reduce((sum, query) => sum + query.quotaWaits, 0);
  const quotaWaitedMs = Math.max(...graph.result.queries.map((query) => query.quotaWaitedMs));
  const rows: Row[] = [
    {
      scenario: `Workspace list via Resource Graph (${workspaces} workspaces, ${subscriptions.length} subscriptions)`,
      ms: graph.ms,
      // The two queries page side by side: the longer chain of sequential pages is the floor.
      floorMs: sequentialPages * LATENCY_MS,
      armCalls: graph.arm,
      resourceGraphCalls: graph.resourceGraph,
      note: `${graph.result.queries.map((query) => `${query.name}: ${query.rows} rows in ${query.pages} pages`).join("; ")}; quota ${quota}: ${quotaWaits} waits (${quotaWaitedMs} ms), ${graph.throttled} answered 429`,
    },
  ];

  const fanOut = await journalled(() => listPerSubscription(identity, subscriptions));
  rows.push({
    scenario: `Workspace list via ARM per subscription (${fanOut.result.workspaces.length} workspaces, ${FAN_OUT_CONCURRENCY} subscriptions at a time)`,
    ms: fanOut.ms,
    floorMs: Math.ceil(subscriptions.length / FAN_OUT_CONCURRENCY) * LATENCY_MS,
    armCalls: fanOut.arm,
    resourceGraphCalls: fanOut.resourceGraph,
    note: `the fallback: workspaces ∥ role assignments per subscription; ${fanOut.result.failures.length} subscriptions failed`,
  });

  const header = ["Scenario", "Time ms", "Floor ms", "ARM calls", "of which Resource Graph", "Note"];
  const table = rows.map((row) => [row.scenario, String(row.ms), String(row.floorMs), String(row.armCalls), String(row.resourceGraphCalls), row.note]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((line) => line[column]!.length)));
  const format = (cells: string[]) =>
    cells.map((cell, column) => (column >= 1 && column <= 4 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ");
  console.log(`\n${format(header)}\n${widths.map((width) => "-".repeat(width)).join("  ")}`);
  for (const line of table) console.log(format(line));

  const checks = graph.result.queries.map((query) => ({ ...query, bound: Math.max(1, Math.ceil(query.rows / PAGE)) }));
  for (const check of checks) {
    console.log(
      `${check.pages <= check.bound ? "ok  " : "FAIL"} Resource Graph ${check.name}: ${check.pages} pages ≤ ⌈${check.rows} / ${PAGE}⌉ = ${check.bound}`,
    );
  }
  console.log(
    `Resource Graph quota (${quota} per user): ${quotaWaits} waits for a reset (${quotaWaitedMs} ms on the longer chain), ${graph.throttled} answers 429, ${graph.ms} ms in all`,
  );
  const throttling = { quota, quotaWaits, quotaWaitedMs, answered429: graph.throttled, totalMs: graph.ms };
  writeFileSync(
    "bench/results-estate.json",
    `${JSON.stringify({ latencyMs: LATENCY_MS, measuredAt: new Date().toISOString(), rows, pageChecks: checks, throttling }, null, 2)}\n`,
  );
  console.log("\nWritten to bench/results-estate.json.");
  if (checks.some((check) => check.pages > check.bound)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`estate benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
