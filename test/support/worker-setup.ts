/**
 * Runs before each test file: gives the file a database directory of its own, so modules that use the console's
 * configured database (getDatabase) never share or touch the developer's .data/pglite. Rate limits are raised far
 * above what a test file does from one address as one persona; the limiter's own tests set theirs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll } from "vitest";

import { exportToWorkers, GENEROUS_RATE_LIMITS } from "./test-env";

const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-test-db-"));
// The grantable-role policy starts at its default in every file: one file allowing Owner must not leak into the next.
exportToWorkers({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES: "none", ...GENEROUS_RATE_LIMITS });

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});
