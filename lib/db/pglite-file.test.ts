import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { openDatabase } from "./client";
import { claimJobRun } from "./job-leases";
import { jobLeases } from "./schema";

// The console's default storage: a PGlite file, created on the first start and opened as it is on every later one.
describe("a PGlite database on disk", () => {
  const parent = mkdtempSync(path.join(tmpdir(), "gatehouse-pglite-file-"));
  const dataDir = path.join(parent, "pglite");
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it("is created and migrated on first open, and keeps what was written when opened again", { timeout: 180_000 }, async () => {
    const first = await openDatabase({ kind: "pglite", dataDir });
    expect(first.engine).toBe("pglite");
    const now = new Date("2026-01-01T00:00:00Z");
    expect(await claimJobRun(first.db, { jobName: "drift-check", holder: "first-start", intervalMs: 60_000, leaseMs: 60_000, now })).toBe(true);
    await first.close();

    const second = await openDatabase({ kind: "pglite", dataDir });
    try {
      const rows = await second.db.select({ jobName: jobLeases.jobName, holder: jobLeases.holder }).from(jobLeases);
      expect(rows).toEqual([{ jobName: "drift-check", holder: "first-start" }]);
    } finally {
      await second.close();
    }
  });

  it("says which database it could not create, and why", { timeout: 120_000 }, async () => {
    // A regular file where the data directory should be: initdb cannot write into it.
    const notADirectory = path.join(parent, "not-a-directory");
    writeFileSync(notADirectory, "");
    await expect(openDatabase({ kind: "pglite", dataDir: notADirectory })).rejects.toThrow(`Creating the PGlite database in ${notADirectory} failed`);
  });
});
