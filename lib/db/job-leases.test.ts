import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "./client";
import { claimJobRun, finishJobRun } from "./job-leases";
import { postgresEngine, storageEngines } from "@/test/support/databases";

const MINUTE = 60_000;

describe.each(storageEngines())("job leases on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  const claim = (holder: string, now: Date, jobName = "drift-check") =>
    claimJobRun(handle.db, { jobName, holder, intervalMs: 10 * MINUTE, leaseMs: 5 * MINUTE, now });

  it("lets one holder claim an interval and refuses the others until it is due again", async () => {
    const start = new Date("2026-01-01T00:00:00Z");
    expect(await claim("instance-a", start)).toBe(true);
    expect(await claim("instance-b", start)).toBe(false);
    await finishJobRun(handle.db, "drift-check", "instance-a", new Date(start.getTime() + MINUTE));
    expect(await claim("instance-b", new Date(start.getTime() + 9 * MINUTE))).toBe(false);
    expect(await claim("instance-b", new Date(start.getTime() + 10 * MINUTE))).toBe(true);
  });

  it("takes over a run whose holder stopped without finishing once its lease has expired", async () => {
    const start = new Date("2026-02-01T00:00:00Z");
    expect(await claim("crashed", start, "expiry")).toBe(true);
    expect(await claim("survivor", new Date(start.getTime() + 11 * MINUTE - 1), "expiry")).toBe(true);
  });

  it("keeps an unfinished run with a live lease even when the interval has passed", async () => {
    const start = new Date("2026-03-01T00:00:00Z");
    expect(await claimJobRun(handle.db, { jobName: "slow", holder: "a", intervalMs: MINUTE, leaseMs: 30 * MINUTE, now: start })).toBe(true);
    expect(
      await claimJobRun(handle.db, {
        jobName: "slow",
        holder: "b",
        intervalMs: MINUTE,
        leaseMs: 30 * MINUTE,
        now: new Date(start.getTime() + 5 * MINUTE),
      }),
    ).toBe(false);
  });
});

const server = postgresEngine();
describe.skipIf(!server)("job leases under real concurrency (PostgreSQL)", () => {
  it("gives a run to exactly one of 20 instances claiming at the same moment", async () => {
    const handle = await server!.open();
    try {
      const now = new Date("2026-04-01T00:00:00Z");
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) => claimJobRun(handle.db, { jobName: "race", holder: `i-${index}`, intervalMs: MINUTE, leaseMs: MINUTE, now })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });
});
