/**
 * Runs before each test file: gives the file a database directory of its own, so modules that use the console's
 * configured database (getDatabase) never share or touch the developer's .data/pglite.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll } from "vitest";

import { exportToWorkers } from "./test-env";

const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-test-db-"));
exportToWorkers({ GATEHOUSE_DATA_DIR: dataDir });

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});
