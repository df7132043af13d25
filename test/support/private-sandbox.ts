/**
 * A sandbox tenant of the test file's own, for scenarios that change what every caller sees (the tenant's clock,
 * signing keys, token lifetime, faults on shared routes) and so must not run on the shared one. It reuses the shared
 * sandbox's certificate authority, which the worker already trusts (Node reads NODE_EXTRA_CA_CERTS only at start),
 * and points this file's console code at itself until `close()`.
 *
 * Call it before the console code first reads its configuration (getConfig is read once per module registry, and
 * Vitest gives each test file its own).
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import type { SandboxCloudName } from "@/sandbox/contract";
import { type SandboxControl, sandboxControl } from "@/sandbox/control/client";
import { type RunningSandbox, startSandbox, type StartSandboxOptions } from "@/sandbox/server";
import { exportToWorkers, testSandboxCaPath, testSandboxControlToken, testSandboxOrigin } from "./test-env";

export interface PrivateSandbox {
  readonly sandbox: RunningSandbox;
  readonly origin: string;
  /** Its control API (faults, clock, journal, keys…). */
  readonly control: SandboxControl;
  close(): Promise<void>;
}

/**
 * What a test may choose about its tenant: its scale (e.g. the 1,000-subscription estate), starting settings and the
 * Azure cloud it emulates. The console code is configured for the same cloud (AZURE_CLOUD) unless `consoleCloud`
 * says otherwise (to test a mismatch).
 */
export type PrivateSandboxOptions = Pick<StartSandboxOptions, "scale" | "settings" | "cloud"> & { readonly consoleCloud?: SandboxCloudName };

export async function startPrivateSandbox(options: PrivateSandboxOptions = {}): Promise<PrivateSandbox> {
  const sharedCa = testSandboxCaPath();
  const sharedOrigin = testSandboxOrigin();
  const sharedToken = testSandboxControlToken() ?? "";
  if (!sharedCa || !sharedOrigin) throw new Error("the shared test sandbox is not running (see test/support/global-sandbox.ts)");
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-private-sandbox-"));
  for (const file of ["ca.pem", "ca-key.pem"]) copyFileSync(path.join(path.dirname(sharedCa), file), path.join(dataDir, file));
  const { consoleCloud, ...sandboxOptions } = options;
  const sandbox = await startSandbox({ ...sandboxOptions, port: 0, dataDir, log: () => undefined });
  exportToWorkers({
    GATEHOUSE_SANDBOX_URL: sandbox.origin,
    GATEHOUSE_TEST_SANDBOX_ORIGIN: sandbox.origin,
    GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN: sandbox.controlToken,
    AZURE_CLOUD: consoleCloud ?? sandbox.tenant.cloud.name,
  });
  return {
    sandbox,
    origin: sandbox.origin,
    control: sandboxControl(sandbox.origin, { token: sandbox.controlToken }),
    async close() {
      exportToWorkers({
        GATEHOUSE_SANDBOX_URL: sharedOrigin,
        GATEHOUSE_TEST_SANDBOX_ORIGIN: sharedOrigin,
        GATEHOUSE_TEST_SANDBOX_CONTROL_TOKEN: sharedToken,
        AZURE_CLOUD: "public",
      });
      await sandbox.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
