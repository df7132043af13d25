/**
 * Vitest global setup: one sandbox tenant for the whole run, started before the test workers so that they inherit
 * NODE_EXTRA_CA_CERTS (Node reads it only at process start) and GATEHOUSE_SANDBOX_URL. Integration tests of lib/
 * then call the real Graph/ARM/MSAL code paths against it, exactly as the console does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { type RunningSandbox, startSandbox } from "@/sandbox/server";
import { exportToWorkers } from "./test-env";

let sandbox: RunningSandbox | undefined;
let dataDir: string | undefined;

export async function setup(): Promise<void> {
  dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-vitest-sandbox-"));
  // Resource Graph's per-user quota (15 queries per 5 s) is one person's; here every test file signs in as the same
  // few personas at once, on two workers. The pacing itself is tested on a sandbox of its own (lib/arm/resource-graph.test.ts).
  sandbox = await startSandbox({ port: 0, dataDir, log: () => undefined, settings: { resourceGraphQuotaPerWindow: 10_000 } });
  exportToWorkers({
    NODE_EXTRA_CA_CERTS: sandbox.tls.caPath,
    GATEHOUSE_SANDBOX_URL: sandbox.origin,
    GATEHOUSE_TEST_SANDBOX_ORIGIN: sandbox.origin,
    GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN: sandbox.controlToken,
  });
}

export async function teardown(): Promise<void> {
  await sandbox?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
