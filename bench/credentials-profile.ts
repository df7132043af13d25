/**
 * The credentials refresh and its owner mails, in process, for profiling: starts the sandbox tenant (large, with a
 * fixed latency) in this process, then runs the console's code in a child (which trusts the sandbox's CA, as the
 * console does) so the sandbox's own work is not counted: a refresh into a fresh PGlite database, then the delivery of
 * the mails it queued. The child prints each phase's time, its CPU (`process.cpuUsage`), the calls made, and its peak
 * RSS and heap, sampled every 20 ms, and when a status read every 100 ms (as the page's) first saw the refresh done
 * (`seenDoneMs`, the bench's figure without the server actions). With `--trace`, each phase also says how its upstream calls overlapped: how long
 * 0, 1, 2, 3 or 4+ calls were in flight, and how long the phase ran before its first call and after its last.
 *
 * With `--database-url`, the console's data is kept in that PostgreSQL database (a throwaway one) instead of PGlite.
 *
 *   npx tsx bench/credentials-profile.ts [--latency 40] [--runs 1] [--cpu-prof /tmp/prof] [--trace] [--database-url URL]
 */
import { spawn } from "node:child_process";
import type { RequestOptions } from "node:https";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { residentOfMappingsSized } from "./process-memory";

const { values } = parseArgs({
  allowNegative: true,
  options: {
    latency: { type: "string", default: "40" },
    runs: { type: "string", default: "1" },
    mails: { type: "boolean", default: true },
    "cpu-prof": { type: "string" },
    trace: { type: "boolean", default: false },
    /** A throwaway PostgreSQL database to keep the console's data in instead of PGlite. */
    "database-url": { type: "string" },
    child: { type: "boolean", default: false },
  },
});

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

async function parent(): Promise<void> {
  const { startSandbox } = await import("@/sandbox/server");
  const { childProcessEnv } = await import("@/lib/config/env.mjs");
  const sandboxDir = mkdtempSync(path.join(tmpdir(), "creds-profile-sandbox-"));
  const dataDir = mkdtempSync(path.join(tmpdir(), "creds-profile-data-"));
  const sandbox = await startSandbox({ port: 0, dataDir: sandboxDir, scale: "large", latencyMs: Number(values.latency), log: () => undefined });
  const env = childProcessEnv({
    NODE_EXTRA_CA_CERTS: sandbox.tls.caPath,
    GATEHOUSE_MODE: "sandbox",
    GATEHOUSE_SANDBOX_URL: sandbox.origin,
    GATEHOUSE_PUBLIC_ORIGIN: "http://localhost:3999",
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_LOG_LEVEL: "error",
    GATEHOUSE_JOBS_ENABLED: "false",
    ...(values["database-url"] ? { DATABASE_URL: values["database-url"] } : {}),
  });
  const args = [
    ...(values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", values["cpu-prof"]] : []),
    "--import",
    "tsx",
    "--conditions=react-server",
    "bench/credentials-profile.ts",
    "--child",
    "--runs",
    values.runs,
    ...(values.mails ? [] : ["--no-mails"]),
    ...(values.trace ? ["--trace"] : []),
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: "inherit" });
    child.on("exit", (exit) => resolve(exit ?? 1));
  });
  await sandbox.close();
  rmSync(sandboxDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  process.exitCode = code;
}

interface TracedCall {
  readonly kind: string;
  readonly start: number;
  end: number;
}

/**
 * Records every upstream call's start and end: `fetch` (MSAL and the ARM client) and `node:https` requests (Graph's
 * transport, lib/graph/transport.ts). A call ends when its answer's headers are in.
 */
async function traceFetch(): Promise<TracedCall[]> {
  const calls: TracedCall[] = [];
  const original = globalThis.fetch;
  const kindOf = (url: string) => {
    const { pathname } = new URL(url);
    if (pathname.endsWith("/$batch")) return "graph $batch";
    if (pathname.endsWith("/sendMail")) return "graph sendMail";
    if (pathname.includes("/oauth2/")) return "token";
    if (pathname.startsWith("/v1.0/") || pathname.startsWith("/beta/")) return "graph list";
    return "arm";
  };
  const https = (await import("node:https")).default;
  const { syncBuiltinESMExports } = await import("node:module");
  const originalRequest = https.request;
  https.request = ((...args: Parameters<typeof https.request>) => {
    const [first] = args;
    const url =
      typeof first === "string"
        ? first
        : first instanceof URL
          ? first.href
          : `https://${(first as RequestOptions).host ?? (first as RequestOptions).hostname}${(first as RequestOptions).path ?? "/"}`;
    const call: TracedCall = { kind: kindOf(url), start: performance.now(), end: Number.NaN };
    calls.push(call);
    const outgoing = originalRequest(...args);
    outgoing.once("response", () => (call.end = performance.now()));
    outgoing.once("error", () => (call.end = performance.now()));
    return outgoing;
  }) as typeof https.request;
  // The transport imports `request` by name: its binding follows the patched property only once synced.
  syncBuiltinESMExports();
  globalThis.fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const call: TracedCall = { kind: kindOf(url), start: performance.now(), end: Number.NaN };
    calls.push(call);
    try {
      const response = await original(input, init);
      // The body is read by the caller; the call ends when its answer's headers are in.
      return response;
    } finally {
      call.end = performance.now();
    }
  };
  return calls;
}

/** How a phase's calls overlapped: ms with n calls in flight, before the first call and after the last. */
function overlapOf(calls: readonly TracedCall[], from: number, to: number): Record<string, unknown> {
  const inPhase = calls.filter((call) => call.start >= from && call.end <= to);
  if (inPhase.length === 0) return { calls: 0 };
  const edges = inPhase.flatMap((call) => [
    { at: call.start, delta: 1 },
    { at: call.end, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  const inFlightMs = [0, 0, 0, 0, 0];
  let level = 0;
  let last = edges[0]!.at;
  for (const edge of edges) {
    inFlightMs[Math.min(level, 4)]! += edge.at - last;
    level += edge.delta;
    last = edge.at;
  }
  const byKind: Record<string, { calls: number; firstStartMs: number; lastEndMs: number; medianMs: number }> = {};
  for (const kind of new Set(inPhase.map((call) => call.kind))) {
    const ofKind = inPhase.filter((call) => call.kind === kind);
    const durations = ofKind.map((call) => call.end - call.start).sort((a, b) => a - b);
    byKind[kind] = {
      calls: ofKind.length,
      firstStartMs: Math.round(Math.min(...ofKind.map((call) => call.start)) - from),
      lastEndMs: Math.round(Math.max(...ofKind.map((call) => call.end)) - from),
      medianMs: Math.round(durations[Math.floor(durations.length / 2)]! * 10) / 10,
    };
  }
  return {
    byKind,
    inFlightMs: Object.fromEntries(inFlightMs.map((ms, n) => [n === 4 ? "4+" : String(n), Math.round(ms)])),
    beforeFirstMs: Math.round(Math.min(...inPhase.map((call) => call.start)) - from),
    afterLastMs: Math.round(to - Math.max(...inPhase.map((call) => call.end))),
  };
}

async function child(): Promise<void> {
  const calls = values.trace ? await traceFetch() : undefined;
  const { getDatabase } = await import("@/lib/db");
  const { runInventory } = await import("@/lib/credentials/refresh");
  const { createRunningSnapshot, findSnapshot } = await import("@/lib/credentials/store");
  const { deliverNotifications } = await import("@/lib/notifications/send-notification");
  const db = await getDatabase();
  const actor = { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002" } as const;
  const windows = [7, 30, 90] as const;
  let peakRss = 0;
  let peakHeap = 0;
  // PGlite's WebAssembly memory (its PostgreSQL's heap): it grows and never shrinks.
  const wasmBytes = () => (db as unknown as { $client?: { mod?: { HEAPU8: Uint8Array } } }).$client?.mod?.HEAPU8.length ?? 0;
  const wasmMb = () => mb(wasmBytes());
  // How much of that memory is resident: a WebAssembly memory is one mapping of exactly its size.
  const wasmResidentMb = () => residentOfMappingsSized(wasmBytes());
  let ticks = 0;
  // RSS is cheap to read; the heap's figure walks V8's spaces, so it is read less often.
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    if (ticks++ % 10 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(sample, 20);
  const phase = async <T>(name: string, work: () => Promise<T>, describe: (result: T) => Record<string, unknown>) => {
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage();
    const wasmResidentBeforeMb = wasmResidentMb();
    peakRss = before.rss;
    peakHeap = before.heapUsed;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const startUs = process.hrtime.bigint() / 1000n;
    const result = await work();
    const ended = performance.now();
    const ms = Math.round(ended - started);
    const used = process.cpuUsage(cpu);
    sample();
    console.log(
      JSON.stringify({
        phase: name,
        ms,
        // CLOCK_MONOTONIC microseconds, as a V8 CPU profile's timestamps: the phase's window in the profile.
        window: `${startUs}-${process.hrtime.bigint() / 1000n}`,
        cpuMs: Math.round((used.user + used.system) / 1000),
        rssBeforeMb: mb(before.rss),
        peakRssMb: mb(peakRss),
        heapBeforeMb: mb(before.heapUsed),
        peakHeapMb: mb(peakHeap),
        wasmMb: wasmMb(),
        wasmResidentBeforeMb,
        wasmResidentAfterMb: wasmResidentMb(),
        ...describe(result),
        ...(calls ? { trace: overlapOf(calls, started, ended) } : {}),
      }),
    );
    return result;
  };
  for (let run = 0; run < Number(values.runs); run++) {
    const snapshotId = await createRunningSnapshot(db, { trigger: "manual", requestedBy: null, now: new Date(), windows });
    // As the page (and the bench) follows a refresh: a status read 100 ms after the last, until it is not running.
    // The bench's figure ends when a read sees it complete, before the owners are notified.
    let seenDoneMs: number | undefined;
    const pollStarted = performance.now();
    const polling = (async () => {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if ((await findSnapshot(db, snapshotId))?.status !== "running") return (seenDoneMs = Math.round(performance.now() - pollStarted));
      }
    })();
    const outcome = await phase(
      "refresh",
      () => runInventory(db, snapshotId, { trigger: "manual", actor, windows }),
      (result) => ({ status: result.status, credentials: result.credentials, graphCalls: result.graphCalls, queued: result.outboxIds.length }),
    );
    await polling;
    console.log(JSON.stringify({ phase: "seen done", ms: seenDoneMs }));
    if (values.mails) {
      await phase(
        "mails",
        () => deliverNotifications(db, new Date(), outcome.outboxIds),
        (result) => ({ ...result }),
      );
    }
  }
  clearInterval(timer);
}

await (values.child ? child() : parent());
