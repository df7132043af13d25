import path from "node:path";

import { defineConfig, devices } from "@playwright/test";

import { e2eTarget, GENEROUS_RATE_LIMITS } from "./test/support/test-env";

/**
 * End-to-end tests drive the system's Chromium (Debian `chromium`, or CHROMIUM_PATH) against the production build of
 * the console running on the sandbox tenant. Playwright never downloads a browser here.
 * Ports and data directory: E2E_CONSOLE_PORT, E2E_TENANT_PORT, E2E_DATA_DIR (defaults 3100, 8543, .data/e2e).
 */
const { consolePort: CONSOLE_PORT, tenantPort: TENANT_PORT, dataDir: DATA_DIR } = e2eTarget();
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const chromium = {
  ...devices["Desktop Chrome"],
  launchOptions: {
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  },
};

export default defineConfig({
  testDir: "./e2e",
  // e2e/production runs in its own configuration (playwright.production.config.ts), against the secretless console.
  testIgnore: ["production/**"],
  // Fails the run if any page broke the Content-Security-Policy (browsers report violations to the console).
  globalTeardown: "./e2e/global-teardown.ts",
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  workers: 1,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: `http://localhost:${CONSOLE_PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    // The sandbox tenant's certificate comes from its own local CA.
    ignoreHTTPSErrors: true,
    contextOptions: { reducedMotion: "reduce" },
  },
  projects: [
    // Signs each persona in once and stores the browser's state for the specs that are not about signing in
    // (e2e/support/stored-sessions.ts); auth, security and permission specs still sign in through the UI.
    { name: "sign-in", testMatch: "sign-in.setup.ts", use: chromium },
    { name: "chromium", dependencies: ["sign-in"], use: chromium },
  ],
  webServer: {
    // The same launcher as `npm run sandbox`, on ports of its own and a fresh database.
    command: `node_modules/.bin/tsx scripts/sandbox.ts --port ${CONSOLE_PORT} --tenant-port ${TENANT_PORT} --data-dir ${DATA_DIR} --fresh --quiet`,
    url: `http://localhost:${CONSOLE_PORT}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    // The suite signs dozens of personas in from one loopback address; specs of the limits use a console of their own.
    // Contributor and Owner are allowed because specs grant and request them (e2e/requests.spec.ts, workspaces.spec.ts);
    // User Access Administrator and RBAC Administrator stay forbidden, and workspaces.spec.ts checks they are not offered.
    env: {
      ...GENEROUS_RATE_LIMITS,
      GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "Contributor,Owner",
      GATEHOUSE_REQUEST_POLICY_PATH: path.resolve("e2e/support/request-policy.json"),
    },
    // The console's and the sandbox's output is kept in <data dir>/logs (the launcher copies it there).
    stdout: "ignore",
    stderr: "pipe",
  },
});
