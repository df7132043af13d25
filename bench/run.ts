/**
 * `npm run bench`: measures Gatehouse against the sandbox tenant at scale, with a fixed latency on every Graph and ARM
 * call, and prints one table (also written to bench/results.json). Figures are printed beside their floor (upstream
 * round trips × latency) and upstream call counts; nothing here is asserted.
 *
 * The scenarios run in a child process started with NODE_EXTRA_CA_CERTS (Node reads it only at start), exactly like
 * the console itself.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { childProcessEnv } from "@/lib/config/env.mjs";
import { startSandbox } from "@/sandbox/server";

const { values } = parseArgs({
  options: {
    latency: { type: "string", default: "40" },
    scale: { type: "string", default: "large" },
    "audit-events": { type: "string", default: "100000" },
    only: { type: "string" },
  },
});

async function main(): Promise<void> {
  const latencyMs = Number(values.latency);
  const scale = values.scale === "default" ? "default" : "large";
  const sandboxDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-sandbox-"));
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-bench-data-"));
  const started = performance.now();
  const sandbox = await startSandbox({ port: 0, dataDir: sandboxDir, scale, latencyMs, log: () => undefined });
  console.log(`Sandbox tenant (${scale}) up in ${Math.round(performance.now() - started)} ms at ${sandbox.origin}, ${latencyMs} ms per Graph/ARM call.`);
  try {
    const code = await new Promise<number>((resolve) => {
      const args = ["--expose-gc", "--import", "tsx", "--conditions=react-server", "bench/scenarios.ts", "--latency", String(latencyMs), "--audit-events", values["audit-events"], ...(values.only ? ["--only", values.only] : [])];
      const child = spawn(process.execPath, args, {
        stdio: "inherit",
        env: childProcessEnv({
          NODE_EXTRA_CA_CERTS: sandbox.tls.caPath,
          GATEHOUSE_MODE: "sandbox",
          GATEHOUSE_SANDBOX_URL: sandbox.origin,
          GATEHOUSE_TEST_SANDBOX_ORIGIN: sandbox.origin,
          GATEHOUSE_DATA_DIR: dataDir,
          GATEHOUSE_LOG_LEVEL: "error",
          GATEHOUSE_JOBS_ENABLED: "false",
        }),
      });
      child.on("exit", (exitCode) => resolve(exitCode ?? 1));
    });
    process.exitCode = code;
  } finally {
    await sandbox.close();
    rmSync(sandboxDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`npm run bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
