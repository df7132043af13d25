import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "./client";
import { claimJobRun, finishJobRun, pruneAbandonedLocks, releaseLock } from "./job-leases";
import { jobLeases } from "./schema";
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
  const lock = (name: string, holder: string, now: Date) => claimJobRun(handle.db, { jobName: name, holder, intervalMs: 0, leaseMs: 2 * MINUTE, now });
  const names = async () => (await handle.db.select({ name: jobLeases.jobName }).from(jobLeases)).map((row) => row.name).sort();

  it("releases a one-off lock by deleting only its holder's row, so the next caller claims it at once", async () => {
    const now = new Date("2026-04-01T00:00:00Z");
    expect(await lock("guard:alice", "h1", now)).toBe(true);
    expect(await lock("guard:alice", "h2", now)).toBe(false);
    await releaseLock(handle.db, "guard:alice", "someone-else");
    expect(await names()).toContain("guard:alice");
    await releaseLock(handle.db, "guard:alice", "h1");
    expect(await names()).not.toContain("guard:alice");
    expect(await lock("guard:alice", "h2", now)).toBe(true);
    await releaseLock(handle.db, "guard:alice", "h2");
  });

  it("prunes abandoned locks under a prefix past the grace period, never live ones, other prefixes or scheduled jobs", async () => {
    const now = new Date("2026-05-01T12:00:00Z");
    const longAgo = new Date(now.getTime() - 3 * 60 * MINUTE);
    expect(await lock("guard:crashed", "h", longAgo)).toBe(true);
    expect(await lock("guard:live", "h", now)).toBe(true);
    expect(await lock("guardrail", "h", longAgo)).toBe(true);
    // A prefix's LIKE wildcards are taken literally: "guard_" must not match "guardrail".
    expect(await lock("guard_x", "h", longAgo)).toBe(true);
    expect(await claimJobRun(handle.db, { jobName: "credential-inventory", holder: "h", intervalMs: MINUTE, leaseMs: MINUTE, now: longAgo })).toBe(true);

    expect(await pruneAbandonedLocks(handle.db, "guard:", now, 60 * MINUTE)).toBe(1);
    expect(await pruneAbandonedLocks(handle.db, "guard_", now, 60 * MINUTE)).toBe(1);
    const left = await names();
    expect(left).not.toContain("guard:crashed");
    expect(left).not.toContain("guard_x");
    expect(left).toEqual(expect.arrayContaining(["guard:live", "guardrail", "credential-inventory"]));
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
