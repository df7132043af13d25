import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { makeMapping } from "@/test/support/builders/mappings";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import { groupMappings, mappingDriftReports } from "./schema";

// The scheduler and the job read the console's database through getDatabase(); point it at the engine under test.
const current: { handle?: DatabaseHandle } = {};
vi.mock("@/lib/db", () => ({ getDatabase: () => Promise.resolve(current.handle!.db) }));

const { runJobIfDue } = await import("@/lib/jobs/scheduler");
const { driftCheckJob, latestDriftReport } = await import("./drift-job");
const { listMappings, isUniqueViolation } = await import("./store");

const WS = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-x";
/** The same group and role each time: only the workspace decides whether two rows are the same mapping. */
const row = (id: string, scope = WS) =>
  makeMapping({
    id,
    scope,
    groupId: "11111111-1111-1111-1111-111111111111",
    createdBy: { kind: "system", appId: "00000000-0000-0000-0000-0000000000ab" },
    createdAt: new Date("2026-01-01T00:00:00Z"),
  });

describe.each(storageEngines())("mapping storage on $name", (engine) => {
  beforeAll(async () => {
    current.handle = await engine.open();
  });
  afterAll(async () => {
    await current.handle?.close();
  });

  it("keeps one mapping per workspace, group and role, whatever the workspace id's casing", async () => {
    const db = current.handle!.db;
    await db.insert(groupMappings).values(row("a"));
    const duplicate = await db
      .insert(groupMappings)
      .values(row("b", WS.toUpperCase().replace("/SUBSCRIPTIONS", "/subscriptions")))
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect((await listMappings(db, WS.toUpperCase())).map((m) => m.id)).toEqual(["a"]);
    expect((await listMappings(db))[0]).toMatchObject({ createdBy: "Gatehouse (00000000-0000-0000-0000-0000000000ab)", createdAt: "2026-01-01T00:00:00.000Z" });
  });

  it("refuses a workspace key that is not lower case", async () => {
    await expect(current.handle!.db.insert(groupMappings).values({ ...row("c"), scopeKey: WS, roleDefinitionId: "x" })).rejects.toThrow();
  });

  it("stores drift reports and returns the latest with its time", async () => {
    const db = current.handle!.db;
    await db
      .insert(mappingDriftReports)
      .values({ checkedAt: new Date("2026-01-01T00:00:00Z"), holder: "h1", report: { generatedAt: "x", workspaces: [], principalsResolved: true } });
    await db
      .insert(mappingDriftReports)
      .values({ checkedAt: new Date("2026-01-02T00:00:00Z"), holder: "h2", report: { generatedAt: "y", workspaces: [], principalsResolved: true } });
    expect(await latestDriftReport(db)).toMatchObject({ checkedAt: "2026-01-02T00:00:00.000Z", holder: "h2", report: { generatedAt: "y" } });
  });
});

const server = postgresEngine();
describe.skipIf(!server)("the scheduled drift check across instances (PostgreSQL)", () => {
  it("runs once per interval when several instances ask at the same moment", async () => {
    current.handle = await server!.open();
    try {
      const job = driftCheckJob();
      const now = new Date();
      // Separate pool connections race for the lease row, as separate console processes do.
      const ran = await Promise.all(Array.from({ length: 4 }, () => runJobIfDue(job, now)));
      expect(ran.filter(Boolean)).toHaveLength(1);
      expect(await current.handle.db.$count(mappingDriftReports)).toBe(1);
      // Still within the interval: nobody runs it again.
      expect(await runJobIfDue(job, new Date(now.getTime() + job.intervalMs - 1))).toBe(false);
      // The next interval: one run more.
      const next = await Promise.all(Array.from({ length: 4 }, () => runJobIfDue(job, new Date(now.getTime() + job.intervalMs + 1))));
      expect(next.filter(Boolean)).toHaveLength(1);
      expect(await current.handle.db.$count(mappingDriftReports)).toBe(2);
    } finally {
      await current.handle.close();
    }
  });
});
