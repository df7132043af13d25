/**
 * `npm run bench`: measures Gatehouse's production build against the sandbox tenant at scale, with a fixed latency on
 * every Graph and ARM call, and prints one table. Every figure is printed beside its goal, its floor (upstream round
 * trips × latency) and upstream call counts; nothing here is asserted. A full run writes bench/results.json and
 * regenerates the README's table from it; `--quick` (and `--only`) write bench/results-quick.json
 * (bench/results-partial.json) and leave the README alone.
 *
 * Steps: start the sandbox tenant (in this process, so its journal counts calls); build the console if the build is
 * stale while the audit trail is filled in its database (PGlite allows one process, so before the console starts);
 * start the standalone server as the container does; run the scenarios in a child process that trusts the sandbox's
 * CA (Node reads NODE_EXTRA_CA_CERTS only at start), exactly like the console.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import pg from "pg";

import { childProcessEnv } from "@/lib/config/env.mjs";
import { benchSandboxSettings, type SandboxScale } from "@/sandbox/config";
import { startSandbox } from "@/sandbox/server";
import { ensureProductionBuild } from "@/scripts/production-build";
import { prepareStandalone, SERVER_NODE_OPTIONS, STANDALONE_DIR, withServerMallocDefaults } from "@/scripts/standalone";
import { GENEROUS_RATE_LIMITS } from "@/test/support/test-env";
import { formatTable, renderReadmeTable, type Results, type Row, withReadmeTable } from "./report";

const { values } = parseArgs({
  options: {
    /** Defaults: SANDBOX_LATENCY_MS and SANDBOX_SCALE when set, else 40 ms and the large tenant. */
    latency: { type: "string" },
    scale: { type: "string" },
    "audit-events": { type: "string" },
    /** A comma-separated subset of: pages, grant, credentials, audit, load, fuzz, estate, postgres-memory. */
    only: { type: "string" },
    /**
     * For `postgres-memory`: a PostgreSQL server the bench may create and drop a throwaway database on (as its owner).
     * Default: the local server with trust authentication, as on the CI machines.
     */
    "postgres-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    connections: { type: "string", default: "20" },
    duration: { type: "string" },
    /**
     * What the console's memory is made of after start-up and each group (bench/memory-probe.mjs: live heap, garbage,
     * PGlite's WebAssembly memory, files, other native memory). It forces full collections, so this run's peak is
     * lower than a plain run's: compare peaks only between runs without it.
     */
    "memory-detail": { type: "boolean", default: false },
    /** Node's options for the console instead of the production ones (scripts/standalone.ts); "" for V8's defaults. */
    "server-node-options": { type: "string" },
    /** Writes a V8 CPU profile of the console to this directory (open it in Chrome DevTools). */
    "cpu-profile": { type: "string" },
    /**
     * A check before a commit that touches a hot path, within 3 minutes once the build is current: 20,000 audit
     * events, 5 s of load, 3 runs per page figure, a 10 s fuzz, no naive comparison and no estate case.
     */
    quick: { type: "boolean", default: false },
  },
});

const QUICK = values.quick === true;
const AUDIT_EVENTS = values["audit-events"] ?? (QUICK ? "20000" : "1000000");
const DURATION_S = values.duration ?? (QUICK ? "5" : "15");

const GROUPS = ["pages", "grant", "credentials", "audit", "load", "fuzz", "estate", "postgres-memory"];
/** Groups that start their own console or tenant, not the scenarios' console. */
const SEPARATE_GROUPS = new Set(["estate", "postgres-memory"]);
/** What a run without --only measures. */
const DEFAULT_GROUPS = QUICK ? GROUPS.filter((group) => !SEPARATE_GROUPS.has(group)) : GROUPS;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "localhost", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Runs a child to its end; resolves to its exit code and what it printed last on stdout. */
function runChild(args: string[], env: NodeJS.ProcessEnv, inherit: boolean): Promise<{ code: number; lastLine: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", inherit ? "inherit" : "pipe", "inherit"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => resolve({ code: code ?? 1, lastLine: output.trim().split("\n").at(-1) ?? "" }));
  });
}

async function waitForHealth(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the console exited during start-up (code ${child.exitCode})`);
    const ok = await fetch(`${origin}/api/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the console did not answer ${origin}/api/health within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  const settings = benchSandboxSettings();
  const latencyMs = values.latency === undefined ? settings.latencyMs : Number(values.latency);
  const scale = values.scale ?? settings.scale;
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 60_000) {
    throw new Error(`--latency must be a whole number of milliseconds (0–60000), not '${values.latency}'`);
  }
  if (scale !== "default" && scale !== "large" && scale !== "large-estate") {
    throw new Error(`--scale must be 'default', 'large' or 'large-estate', not '${scale}'`);
  }
  const groups = values.only ?? DEFAULT_GROUPS.join(",");
  const unknown = groups.split(",").filter((group) => !GROUPS.includes(group));
  if (unknown.length > 0) throw new Error(`--only takes a comma-separated subset of ${GROUPS.join(", ")}; not ${unknown.join(", ")}`);
  for (const [option, value, min, max] of [
    ["audit-events", AUDIT_EVENTS, 0, 10_000_000],
    ["connections", values.connections, 1, 1000],
    ["duration", DURATION_S, 1, 600],
  ] as const) {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new Error(`--${option} must be a whole number from ${min} to ${max}, not '${value}'`);
    }
  }
  const started = performance.now();
  const consoleGroups = groups.split(",").filter((group) => !SEPARATE_GROUPS.has(group));
  const rows: Row[] = [];
  if (consoleGroups.length > 0) rows.push(...(await consoleBench(scale, latencyMs, consoleGroups.join(","))));
  if (groups.split(",").includes("postgres-memory")) rows.push(...(await postgresMemoryBench(scale, latencyMs)));
  if (groups.split(",").includes("estate")) rows.push(...(await estateBench(latencyMs)));
  if (process.exitCode) return;

  const full = !QUICK && values.only === undefined && scale === "large";
  const results: Results = { latencyMs, auditEvents: Number(AUDIT_EVENTS), quick: QUICK, measuredAt: new Date().toISOString(), rows };
  const file = full ? "bench/results.json" : QUICK ? "bench/results-quick.json" : "bench/results-partial.json";
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `\n${formatTable(rows)}\n\nWritten to ${file} (${Math.round((performance.now() - started) / 1000)} s in all). Figures are measurements, not assertions.`,
  );
  if (full) {
    writeFileSync("README.md", withReadmeTable(readFileSync("README.md", "utf8"), renderReadmeTable(results)));
    console.log("The README's benchmark table is regenerated from it.");
  }
}

/**
 * The console's memory after start-up with its data in PostgreSQL (`DATABASE_URL`) instead of the embedded PGlite: the
 * same build, tenant and sign-ins, on a throwaway database created and dropped here. PGlite runs PostgreSQL inside the
 * console's own process, so this figure is what the console itself costs.
 */
async function postgresMemoryBench(scale: SandboxScale, latencyMs: number): Promise<Row[]> {
  const adminUrl = new URL(values["postgres-url"]);
  const database = `gatehouse_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`\nNo PostgreSQL at ${adminUrl.host} (${(error as Error).message}): the PostgreSQL memory figure is left out.`);
    return [];
  }
  try {
    await admin.query(`drop database if exists ${database}`);
    await admin.query(`create database ${database}`);
    const databaseUrl = new URL(adminUrl);
    databaseUrl.pathname = `/${database}`;
    console.log(`\nThe console again, its data in PostgreSQL (database ${database} at ${adminUrl.host}):`);
    return await consoleBench(scale, latencyMs, "postgres-memory", databaseUrl.toString());
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

/**
 * The scenarios that need the console: a production build on the sandbox at `scale`, its data in PGlite (or in
 * PostgreSQL at `databaseUrl`).
 */
async function consoleBench(scale: SandboxScale, latencyMs: number, groups: string, databaseUrl?: string): Promise<Row[]> {
  const auditEvents = groups.split(",").includes("audit") ? Number(AUDIT_EVENTS) : 0;
  const rowsFile = path.join(mkdtempSync(path.join(tmpdir(), "gatehouse-bench-rows-")), "rows.json");
  const sandboxDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-sandbox-"));
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-data-"));
  const started = performance.now();
  const sandbox = await startSandbox({ port: 0, dataDir: sandboxDir, scale, latencyMs, log: () => undefined });
  console.log(`Sandbox tenant (${scale}) up in ${Math.round(performance.now() - started)} ms at ${sandbox.origin}, ${latencyMs} ms per Graph/ARM call.`);
  const port = await freePort();
  const consoleOrigin = `http://localhost:${port}`;
  const consoleEnv = childProcessEnv({
    NODE_EXTRA_CA_CERTS: sandbox.tls.caPath,
    GATEHOUSE_MODE: "sandbox",
    GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION: "true",
    GATEHOUSE_SANDBOX_URL: sandbox.origin,
    GATEHOUSE_PUBLIC_ORIGIN: consoleOrigin,
    GATEHOUSE_DATA_DIR: dataDir,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    GATEHOUSE_LOG_LEVEL: "error",
    // Scheduled jobs would add work the figures do not account for.
    GATEHOUSE_JOBS_ENABLED: "false",
    // The load scenarios drive one persona far past the per-person limits on purpose: throughput, not the limiter.
    ...GENEROUS_RATE_LIMITS,
  });
  let consoleProcess: ChildProcess | undefined;
  try {
    // The build (when stale) and filling the audit trail are independent: side by side.
    const buildStart = performance.now();
    const seedArgs = ["--import", "tsx", "--conditions=react-server", "bench/seed-audit.ts", "--events", String(auditEvents)];
    const [built, seeded] = await Promise.all([
      ensureProductionBuild(consoleEnv, (message) => console.log(message)).then((ran) => ({ ran, ms: Math.round(performance.now() - buildStart) })),
      auditEvents > 0 ? runChild(seedArgs, consoleEnv, false) : Promise.resolve({ code: 0, lastLine: '{"ms":0}' }),
    ]);
    if (seeded.code !== 0) throw new Error("filling the audit trail failed");
    const seedMs = (JSON.parse(seeded.lastLine) as { ms: number }).ms;
    console.log(
      `${built.ran ? `Built the console in ${Math.round(built.ms / 1000)} s` : "The console's build is current"}; ${auditEvents.toLocaleString("en")} audit events written in ${Math.round(seedMs / 1000)} s.`,
    );

    const profile = values["cpu-profile"] ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(values["cpu-profile"])}`] : [];
    const serverNodeOptions = values["server-node-options"]?.split(/\s+/).filter(Boolean) ?? SERVER_NODE_OPTIONS;
    const probe = values["memory-detail"] ? ["--expose-gc", "--import", pathToFileURL(path.resolve("bench/memory-probe.mjs")).href] : [];
    // As the container runs it: the standalone server, from its own directory, with PORT and HOSTNAME.
    const server = prepareStandalone();
    consoleProcess = spawn(process.execPath, [...serverNodeOptions, ...profile, ...probe, server], {
      cwd: STANDALONE_DIR,
      env: withServerMallocDefaults({ ...consoleEnv, NODE_ENV: "production", PORT: String(port), HOSTNAME: "localhost" }),
      stdio: ["ignore", "ignore", "inherit"],
    });
    await waitForHealth(consoleOrigin, consoleProcess, 60_000);
    console.log(`Console (standalone production server) up at ${consoleOrigin}, pid ${consoleProcess.pid}.`);

    const args = [
      "--import",
      "tsx",
      "--conditions=react-server",
      "bench/scenarios.ts",
      "--latency",
      String(latencyMs),
      "--console",
      consoleOrigin,
      "--console-pid",
      String(consoleProcess.pid),
      "--audit-events",
      String(auditEvents),
      "--audit-seed-ms",
      String(seedMs),
      "--build-ms",
      String(built.ms),
      "--only",
      groups,
      "--connections",
      values.connections,
      "--duration",
      DURATION_S,
      "--out",
      rowsFile,
      ...(QUICK ? ["--quick"] : []),
      ...(values["memory-detail"] ? ["--memory-detail"] : []),
    ];
    const { code } = await runChild(
      args,
      { ...consoleEnv, GATEHOUSE_TEST_SANDBOX_ORIGIN: sandbox.origin, GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN: sandbox.controlToken },
      true,
    );
    if (code !== 0) {
      process.exitCode = code;
      return [];
    }
    return (JSON.parse(readFileSync(rowsFile, "utf8")) as { rows: Row[] }).rows;
  } finally {
    if (consoleProcess && consoleProcess.exitCode === null) {
      const exited = new Promise((resolve) => consoleProcess!.once("exit", resolve));
      // SIGINT: the server exits through process.exit, which is when Node writes the CPU profile.
      consoleProcess.kill("SIGINT");
      await exited;
    }
    await sandbox.close();
    rmSync(sandboxDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(path.dirname(rowsFile), { recursive: true, force: true });
    if (values["cpu-profile"]) console.log(`CPU profile of the console written to ${path.resolve(values["cpu-profile"])}.`);
  }
}

/**
 * The estate case: the workspace list over the large-estate tenant (1,000 subscriptions), Resource Graph beside the
 * per-subscription fan-out, measured in a child process that calls the library directly (no console needed).
 */
async function estateBench(latencyMs: number): Promise<Row[]> {
  const sandboxDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-estate-"));
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-estate-data-"));
  const started = performance.now();
  const sandbox = await startSandbox({ port: 0, dataDir: sandboxDir, scale: "large-estate", latencyMs, log: () => undefined });
  console.log(`\nSandbox tenant (large-estate) up in ${Math.round(performance.now() - started)} ms at ${sandbox.origin}, ${latencyMs} ms per Graph/ARM call.`);
  try {
    const env = childProcessEnv({
      NODE_EXTRA_CA_CERTS: sandbox.tls.caPath,
      GATEHOUSE_MODE: "sandbox",
      GATEHOUSE_SANDBOX_URL: sandbox.origin,
      GATEHOUSE_PUBLIC_ORIGIN: "http://localhost:3000",
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_LOG_LEVEL: "error",
      GATEHOUSE_TEST_SANDBOX_ORIGIN: sandbox.origin,
      GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN: sandbox.controlToken,
    });
    const { code } = await runChild(["--import", "tsx", "--conditions=react-server", "bench/estate.ts", "--latency", String(latencyMs)], env, true);
    if (code !== 0 || !existsSync("bench/results-estate.json")) {
      process.exitCode = code || 1;
      return [];
    }
    return (JSON.parse(readFileSync("bench/results-estate.json", "utf8")) as { rows: Row[] }).rows;
  } finally {
    await sandbox.close();
    rmSync(sandboxDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  // Keep-alive sockets would keep the process waiting after the last figure.
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(`npm run bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
