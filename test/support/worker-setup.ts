/**
 * Runs before each test file: gives the file a database directory of its own, so modules that use the console's
 * configured database (getDatabase) never share or touch the developer's .data/pglite. Rate limits are raised far
 * above what a test file does from one address as one persona; the limiter's own tests set theirs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll } from "vitest";

import { SANDBOX_TEAMS_CHANNEL, WORKFLOWS_TRIGGER_QUERY } from "@/sandbox/contract";
import { startFileFaultScope } from "./fault-scope";
import { exportToWorkers, GENEROUS_RATE_LIMITS, testSandboxOrigin } from "./test-env";

// This file's calls to the test sandbox carry a scope of their own, which its fault rules name (see the file).
startFileFaultScope();

const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-test-db-"));
// The grantable-role policy starts at its default in every file: one file allowing Owner must not leak into the next.
// Chat channels: a sandbox console's defaults would also post every title-and-summary notification and the digests to
// the sandbox's Slack channel (`default`); a file gets only the Teams channel the shipped policy's fraud routes name,
// unless it configures its own (lib/notifications/sandbox-channels.test.ts tests the defaults themselves).
const fraudTeam = `${testSandboxOrigin() ?? "https://localhost:8443"}${SANDBOX_TEAMS_CHANNEL.path}?${WORKFLOWS_TRIGGER_QUERY}&sig=${SANDBOX_TEAMS_CHANNEL.sig}`;
exportToWorkers({
  GATEHOUSE_DATA_DIR: dataDir,
  GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "none",
  GATEHOUSE_NOTIFICATION_CHANNELS: JSON.stringify({ "fraud-team": { kind: "teams", url: fraudTeam } }),
  ...GENEROUS_RATE_LIMITS,
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});
