import { defineConfig, type ReporterDescription } from "@playwright/test";

import { e2eProductionTarget, exportToWorkers, GENEROUS_RATE_LIMITS } from "./test/support/test-env";

/**
 * The production run: the console as the container runs it — the standalone server (`node .next/standalone/server.js`
 * with the static files copied beside it) — with no secret anywhere: the sandbox's console API app holds only the
 * federated credential for the console's managed identity, and the console gets every token through the sandbox's
 * managed-identity endpoint (`scripts/sandbox.ts --credential managed-identity`).
 *
 * It runs the production checks in e2e/production/ and the suites that exercise every kind of token the console
 * takes (sign-in and on-behalf-of, app-only jobs) and its hardening. Ports: E2E_PRODUCTION_CONSOLE_PORT and
 * E2E_PRODUCTION_TENANT_PORT (defaults 3110, 8553), so it never meets the main run's.
 */
const target = e2eProductionTarget();
// The e2e support modules (e2e/support/env.ts) read these; workers inherit them from this process.
exportToWorkers({ E2E_CONSOLE_PORT: String(target.consolePort), E2E_TENANT_PORT: String(target.tenantPort), E2E_DATA_DIR: target.dataDir });

const { default: base } = await import("./playwright.config");

export default defineConfig({
  ...base,
  testIgnore: [],
  testMatch: ["production/**/*.spec.ts", "auth.spec.ts", "shell.spec.ts", "security.spec.ts", "credentials.spec.ts"],
  // The sign-in setup project stores only the personas whose sessions these specs resume (shell and credentials).
  projects: base.projects?.map((project) => (project.name === "sign-in" ? { ...project, grep: /sign in as (security|team-lead)$/ } : project)),
  // CSP violations fail the run (as in the main run), and so does any file the server wrote into its own directory.
  globalTeardown: "./e2e/production/global-teardown.ts",
  outputDir: "test-results/production",
  // The main run's reporters, with the HTML report (when there is one) in a folder of its own.
  reporter: Array.isArray(base.reporter)
    ? base.reporter.map((reporter): ReporterDescription =>
        reporter[0] === "html" ? ["html", { open: "never", outputFolder: "playwright-report/production" }] : reporter,
      )
    : base.reporter,
  use: { ...base.use, baseURL: `http://localhost:${target.consolePort}` },
  webServer: {
    command: `node_modules/.bin/tsx scripts/sandbox.ts --port ${target.consolePort} --tenant-port ${target.tenantPort} --data-dir ${target.dataDir} --fresh --quiet --credential managed-identity`,
    url: `http://localhost:${target.consolePort}/api/health`,
    timeout: 240_000,
    env: { ...GENEROUS_RATE_LIMITS },
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  },
});
