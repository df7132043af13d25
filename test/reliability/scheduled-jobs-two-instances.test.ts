/**
 * Two console processes against one PostgreSQL database run every scheduled job — the drift check, the credential
 * inventory, request expiry, notification delivery, the intent reconciler — once per interval between them, never
 * once per process. Each process is a real Node process running the real scheduler code (see
 * support/scheduler-instance.ts); the jobs run against the shared sandbox tenant as the console's own identity
 * (read-only there: the database is fresh, so nothing is due to expire, deliver or reconcile).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { childEnv, testDatabaseUrl, testSandboxCaPath, testSandboxOrigin } from "@/test/support/test-env";

const adminUrl = testDatabaseUrl();
const TICKS = 6;
const TICK_MS = 2500;

interface InstanceReport {
  readonly ran: { job: string; tick: number }[];
  readonly tried: { job: string; tick: number }[];
}

function instanceEnv(databaseUrl: string, dataDir: string): NodeJS.ProcessEnv {
  return childEnv({
    NODE_EXTRA_CA_CERTS: testSandboxCaPath(),
    GATEHOUSE_MODE: "sandbox",
    GATEHOUSE_SANDBOX_URL: testSandboxOrigin(),
    GATEHOUSE_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    GATEHOUSE_LOG_LEVEL: "warn",
    GATEHOUSE_JOBS_ENABLED: "false",
  });
}

function runInstance(databaseUrl: string, base: number, start: number, dataDir: string): Promise<InstanceReport & { errors: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=react-server",
        "test/reliability/support/scheduler-instance.ts",
        "--base",
        String(base),
        "--start",
        String(start),
        "--ticks",
        String(TICKS),
        "--tick-ms",
        String(TICK_MS),
      ],
      {
        env: instanceEnv(databaseUrl, dataDir),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const lines = output.trim().split("\n");
      const report = lines.find((line) => line.startsWith('{"ran"'));
      if (code !== 0 || !report) return reject(new Error(`scheduler instance exited ${code}: ${output.slice(-2000)}`));
      // A job that threw is logged at error level by runJobIfDue and still counts as run: surface those.
      const errors = lines.filter((line) => line.includes('"level":"error"'));
      resolve({ ...(JSON.parse(report) as InstanceReport), errors });
    });
  });
}

async function count(client: pg.Client, query: string): Promise<number> {
  return Number((await client.query<{ n: number }>(query)).rows[0]!.n);
}

describe.runIf(adminUrl)("two console instances on one PostgreSQL database", () => {
  const name = `gatehouse_two_instances_${process.pid}_${randomBytes(4).toString("hex")}`;
  let databaseUrl = "";
  let client: pg.Client;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  });
  afterAll(async () => {
    await client?.end();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it("run each scheduled job once per interval between them", { timeout: 120_000 }, async () => {
    // Both start together a few seconds from now (after tsx has loaded), on the same simulated timeline.
    const start = Date.now() + 6000;
    const base = Date.now() + 86_400_000;
    const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-two-instances-"));
    const [first, second] = await Promise.all([runInstance(databaseUrl, base, start, dataDir), runInstance(databaseUrl, base, start, dataDir)]).finally(() =>
      rmSync(dataDir, { recursive: true, force: true }),
    );
    expect(first.errors, "a job failed in the first instance").toEqual([]);
    expect(second.errors, "a job failed in the second instance").toEqual([]);

    const jobNames = [...new Set(first.tried.map((entry) => entry.job))].sort();
    expect(jobNames).toEqual([
      "abuse-limits",
      "access-request-expiry",
      "audit-shipping",
      "credential-inventory",
      "mapping-drift-check",
      "notification-delivery",
      "reconcile-intents",
    ]);
    // Both instances asked at every tick for every job.
    expect(first.tried).toHaveLength(jobNames.length * TICKS);
    expect(second.tried).toHaveLength(jobNames.length * TICKS);

    for (const job of jobNames) {
      const runs = [...first.ran, ...second.ran]
        .filter((entry) => entry.job === job)
        .map((entry) => entry.tick)
        .sort((a, b) => a - b);
      // Never the same tick twice (which is what "once per instance" would look like), never two runs within one
      // interval (2 ticks), and the timeline's intervals were all used: ticks 0–5 span three intervals.
      expect(new Set(runs).size, `${job} ran twice at one tick: ${runs.join(",")}`).toBe(runs.length);
      for (let index = 1; index < runs.length; index++) {
        expect(runs[index]! - runs[index - 1]!, `${job} ran twice within one interval: ${runs.join(",")}`).toBeGreaterThanOrEqual(2);
      }
      expect(runs.length, `${job} ran at ticks ${runs.join(",")}`).toBeGreaterThanOrEqual(2);
      expect(runs.length).toBeLessThanOrEqual(3);
    }

    // What the runs left behind agrees: one drift report and one credential snapshot per run.
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const runsOf = (job: string) => [...first.ran, ...second.ran].filter((entry) => entry.job === job).length;
    expect(await count(client, "select count(*)::int as n from mapping_drift_reports")).toBe(runsOf("mapping-drift-check"));
    expect(await count(client, "select count(*)::int as n from credential_snapshots where status = 'complete'")).toBe(runsOf("credential-inventory"));
    expect(await count(client, "select count(*)::int as n from audit_events where action = 'credential_inventory.refreshed' and outcome = 'succeeded'")).toBe(
      runsOf("credential-inventory"),
    );
    // The drift reports name the instance that made each one.
    expect((await client.query<{ holder: string }>("select holder from mapping_drift_reports")).rows.every((row) => /:\d+$/.test(row.holder))).toBe(true);
  });
});
