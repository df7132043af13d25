/**
 * After the production run: no CSP violation (as in the main run), and the server wrote nothing into its own
 * directory — in the container that directory is on a read-only root file system, and only GATEHOUSE_DATA_DIR and
 * /tmp are writable. The launcher recorded the directory's files just before it started the server.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

import { changedFiles, standaloneFiles, type FileState } from "../../scripts/standalone";
import assertNoCspViolations from "../global-teardown";
import { E2E_DATA_DIR } from "../support/env";

export default function productionTeardown(): void {
  assertNoCspViolations();
  const before = JSON.parse(readFileSync(path.join(E2E_DATA_DIR, "standalone-files.json"), "utf8")) as Record<string, FileState>;
  const changed = changedFiles(before, standaloneFiles());
  if (changed.length > 0) {
    throw new Error(`The standalone server wrote into its own directory (read-only in the container):\n${changed.map((line) => `  ${line}`).join("\n")}`);
  }
}
