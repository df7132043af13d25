/**
 * The estate case of `npm run bench`, run by bench/run.ts against the sandbox's `large-estate` tenant (1,000
 * subscriptions, 10,000 workspaces) with the same fixed latency, as the security persona (Reader on every
 * subscription): what the workspace list page calls (`listWorkspacePage`: its first page, a search, the next page)
 * beside its goal of two round trips + 150 ms, then the whole list through Resource Graph (what other pages and the
 * fallback beyond 1,000 subscriptions read) and the per-subscription ARM fan-out. Upstream calls come from the
 * sandbox's journal. Two figures are checked, because they are properties of the design and not timings: the page
 * takes at most two round trips, and each whole-list query at most ⌈rows / 1000⌉ sequential pages; the run fails
 * when either does not hold.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { listFromResourceGraph, listPerSubscription, listSubscriptions, listWorkspacePage } from "@/lib/workspaces/list-workspaces";
import { personaContext } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";
import { formatTable, type Row } from "./report";

const { values } = parseArgs({ options: { latency: { type: "string", default: "40" } } });
const LATENCY_MS = Number(values.latency);
const PAGE = 1000;
const FAN_OUT_CONCURRENCY = 8;
/** Loads per page figure; the median is shown, as for the console's page figures. */
const RUNS = 5;

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

  // Warm-up (not measured): the page's own code, once, as a running console has served it before; the other page
  // figures are warm too.
  await listWorkspacePage(identity, { search: "", skip: 0 });

  // The page: each load in a fresh quota window, as a person's page loads are seconds apart; the median of RUNS.
  const goalMs = 2 * LATENCY_MS + 150;
  const pageLoads: { label: string; search: string; skip: number }[] = [
    { label: "first page", search: "", skip: 0 },
    { label: "search 'fraud'", search: "fraud", skip: 0 },
    { label: "second page", search: "", skip: 100 },
  ];
  const rows: Row[] = [];
  const pageChecks: { label: string; roundTrips: number; ms: number; goalMs: number; resourceGraphCalls: number }[] = [];
  for (const load of pageLoads) {
    const runs = [];
    for (let run = 0; run < RUNS; run++) {
      await testSandbox().clock.advance(settings.resourceGraphQuotaWindowSeconds);
      runs.push(await journalled(() => listWorkspacePage(identity, { search: load.search, skip: load.skip })));
    }
    const measured = runs.sort((a, b) => a.ms - b.ms)[Math.floor((RUNS - 1) / 2)]!;
    const roundTrips = Math.max(0, ...measured.result.queries.map((query) => query.round));
    pageChecks.push({ label: load.label, roundTrips, ms: measured.ms, goalMs, resourceGraphCalls: measured.resourceGraph });
    rows.push({
      id: `estate-list-page ${load.label}`,
      scenario: `Workspace list page, ${load.label} (${measured.result.workspaces.length} of ${measured.result.total} workspaces, ${subscriptions.length} subscriptions)`,
      value: measured.ms,
      unit: "ms",
      goal: { max: goalMs, text: "≤ 2 round trips + 150 ms" },
      floorMs: roundTrips * LATENCY_MS,
      roundTrips,
      armCalls: measured.arm,
      graphCalls: 0,
      note: `median of ${RUNS}; ${measured.resourceGraph} Resource Graph calls; ${measured.result.queries.map((query) => `${query.name}: ${query.rows} rows, round ${query.round}`).join("; ")}; source ${measured.result.source}`,
    });
  }
  await testSandbox().clock.advance(settings.resourceGraphQuotaWindowSeconds);

  const graph = await journalled(() => listFromResourceGraph(identity, subscriptions));
  const workspaces = graph.result.workspaces.length;
  const sequentialPages = Math.max(...graph.result.queries.map((query) => query.pages));
  // Both queries page side by side and wait for the same quota reset: the waits are counted per query.
  const quotaWaits = graph.result.queries.reduce((sum, query) => sum + query.quotaWaits, 0);
  const quotaWaitedMs = Math.max(...graph.result.queries.map((query) => query.quotaWaitedMs));
  rows.push({
    id: "estate-whole-list-resource-graph",
    scenario: `Whole workspace list via Resource Graph (${workspaces} workspaces, ${subscriptions.length} subscriptions)`,
    value: graph.ms,
    unit: "ms",
    // For comparison: what the list page read before it was paged.
    goal: null,
    // The two queries page side by side: the longer chain of sequential pages is the floor.
    floorMs: sequentialPages * LATENCY_MS,
    roundTrips: sequentialPages,
    armCalls: graph.arm,
    graphCalls: 0,
    note: `for comparison; ${graph.resourceGraph} Resource Graph calls; ${graph.result.queries.map((query) => `${query.name}: ${query.rows} rows in ${query.pages} pages`).join("; ")}; quota ${quota}: ${quotaWaits} waits (${quotaWaitedMs} ms), ${graph.throttled} answered 429`,
  });

  const fanOut = await journalled(() => listPerSubscription(identity, subscriptions));
  const fanOutTrips = Math.ceil(subscriptions.length / FAN_OUT_CONCURRENCY);
  rows.push({
    id: "estate-whole-list-arm-fan-out",
    scenario: `Whole workspace list via ARM per subscription (${fanOut.result.workspaces.length} workspaces, ${FAN_OUT_CONCURRENCY} subscriptions at a time)`,
    value: fanOut.ms,
    unit: "ms",
    goal: null,
    floorMs: fanOutTrips * LATENCY_MS,
    roundTrips: fanOutTrips,
    armCalls: fanOut.arm,
    graphCalls: 0,
    note: `the fallback, for comparison: workspaces ∥ role assignments per subscription; ${fanOut.result.failures.length} subscriptions failed`,
  });

  console.log(`\n${formatTable(rows)}`);

  for (const check of pageChecks) {
    console.log(
      `${check.roundTrips <= 2 ? "ok  " : "FAIL"} Workspace list page, ${check.label}: ${check.roundTrips} round trips ≤ 2 (${check.resourceGraphCalls} Resource Graph calls); ${check.ms} ms beside the goal ≤ ${check.goalMs} ms (${check.ms <= check.goalMs ? "met" : "missed"})`,
    );
  }
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
    `${JSON.stringify({ latencyMs: LATENCY_MS, measuredAt: new Date().toISOString(), rows, listPage: pageChecks, pageChecks: checks, throttling }, null, 2)}\n`,
  );
  console.log("\nWritten to bench/results-estate.json.");
  if (checks.some((check) => check.pages > check.bound) || pageChecks.some((check) => check.roundTrips > 2)) process.exitCode = 1;
}

main().then(
  // Keep-alive sockets would keep the process waiting after the last figure.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(`estate benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
