import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import {
  consumeRateLimit,
  InProcessRateLimits,
  type RateLimitDecision,
  type RateLimitKind,
  pruneRateLimitBuckets,
  tooManyRequestsResponse,
} from "./rate-limit";

const T0 = new Date("2026-12-05T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each(storageEngines())("rate limits on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("lets the limit through in a window, refuses the rest, and flags only the first refusal", async () => {
    const decisions = [];
    for (let call = 0; call < 5; call += 1) decisions.push(await consumeRateLimit(handle.db, "actions", "person-a", { limit: 3, now: at(1_000) }));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions.map((decision) => decision.firstRefusal)).toEqual([false, false, false, true, false]);
    expect(decisions.map((decision) => decision.count)).toEqual([1, 2, 3, 4, 5]);
  });

  it("answers Retry-After as the whole seconds left in the window", async () => {
    const decision = await consumeRateLimit(handle.db, "sign-in", "203.0.113.9", { limit: 1, now: at(20_500) });
    expect(decision.retryAfterSeconds).toBe(40);
    const refused = await consumeRateLimit(handle.db, "sign-in", "203.0.113.9", { limit: 1, now: at(59_999) });
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    const response = tooManyRequestsResponse(refused);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await response.json()).toEqual({ error: { code: "rate_limited", message: "Too many requests — try again in 1 second." } });
  });

  it("starts counting afresh when the window rolls", async () => {
    for (let call = 0; call < 2; call += 1) await consumeRateLimit(handle.db, "expensive", "person-b", { limit: 2, now: at(59_000) });
    expect((await consumeRateLimit(handle.db, "expensive", "person-b", { limit: 2, now: at(59_900) })).allowed).toBe(false);
    const next = await consumeRateLimit(handle.db, "expensive", "person-b", { limit: 2, now: at(60_000) });
    expect(next).toMatchObject({ allowed: true, count: 1, retryAfterSeconds: 60 });
  });

  it("keeps kinds and subjects apart", async () => {
    await consumeRateLimit(handle.db, "anonymous", "198.51.100.1", { limit: 1, now: at(5_000) });
    expect((await consumeRateLimit(handle.db, "anonymous", "198.51.100.2", { limit: 1, now: at(5_000) })).allowed).toBe(true);
    expect((await consumeRateLimit(handle.db, "sign-in", "198.51.100.1", { limit: 1, now: at(5_000) })).allowed).toBe(true);
    expect((await consumeRateLimit(handle.db, "anonymous", "198.51.100.1", { limit: 1, now: at(5_000) })).allowed).toBe(false);
  });

  it("counts concurrent calls exactly: 50 at once against a limit of 20 let exactly 20 through", async () => {
    const decisions = await Promise.all(Array.from({ length: 50 }, () => consumeRateLimit(handle.db, "actions", "burst", { limit: 20, now: at(3_000) })));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(20);
    expect(decisions.filter((decision) => decision.firstRefusal)).toHaveLength(1);
  });

  it("prunes windows that ended more than a window ago, and only those", async () => {
    const later = new Date("2026-12-06T00:00:00.000Z");
    await consumeRateLimit(handle.db, "actions", "old", { limit: 5, now: new Date(later.getTime() - 3 * 60_000) });
    await consumeRateLimit(handle.db, "actions", "recent", { limit: 5, now: new Date(later.getTime() - 60_000) });
    expect(await pruneRateLimitBuckets(handle.db, later)).toBeGreaterThanOrEqual(1);
    // The recent window still counts: its second call sees the first.
    expect((await consumeRateLimit(handle.db, "actions", "recent", { limit: 5, now: new Date(later.getTime() - 60_000) })).count).toBe(2);
    expect((await consumeRateLimit(handle.db, "actions", "old", { limit: 5, now: new Date(later.getTime() - 3 * 60_000) })).count).toBe(1);
  });
});

/**
 * On PGlite the console counts in its own memory (InProcessRateLimits): the same calls must get the same answers as
 * from the table, call by call: limits, the first refusal flagged once, Retry-After and a window's reset.
 */
describe.each(storageEngines())("in-process rate limits answer as the table on $name does", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  type Call = readonly [kind: RateLimitKind, subject: string, limit: number, ms: number];
  async function bothWays(calls: readonly Call[]): Promise<{ table: RateLimitDecision[]; memory: RateLimitDecision[] }> {
    const memory = new InProcessRateLimits();
    const table: RateLimitDecision[] = [];
    for (const [kind, subject, limit, ms] of calls) table.push(await consumeRateLimit(handle.db, kind, `mirror/${subject}`, { limit, now: at(ms) }));
    return { table, memory: calls.map(([kind, subject, limit, ms]) => memory.consume(kind, `mirror/${subject}`, { limit, now: at(ms) })!) };
  }

  it("the limit, the refusals after it and the one first refusal per window", async () => {
    const calls = Array.from({ length: 7 }, (_, index): Call => ["actions", "limit", 4, 10_000 + index * 1_000]);
    const { table, memory } = await bothWays(calls);
    expect(memory).toEqual(table);
    expect(memory.map((decision) => decision.allowed)).toEqual([true, true, true, true, false, false, false]);
    expect(memory.filter((decision) => decision.firstRefusal)).toHaveLength(1);
  });

  it("Retry-After, a window's reset at its edge, and a later window counting afresh", async () => {
    const calls: Call[] = [
      ["expensive", "reset", 2, 120_500],
      ["expensive", "reset", 2, 150_000],
      ["expensive", "reset", 2, 179_999],
      ["expensive", "reset", 2, 180_000],
      ["expensive", "reset", 2, 181_000],
      ["expensive", "reset", 2, 182_000],
      ["expensive", "reset", 2, 400_000],
    ];
    const { table, memory } = await bothWays(calls);
    expect(memory).toEqual(table);
    expect(memory.map((decision) => [decision.allowed, decision.count, decision.retryAfterSeconds, decision.firstRefusal])).toEqual([
      [true, 1, 60, false],
      [true, 2, 30, false],
      [false, 3, 1, true],
      [true, 1, 60, false],
      [true, 2, 59, false],
      [false, 3, 58, true],
      [true, 1, 20, false],
    ]);
  });

  it("kinds and subjects kept apart", async () => {
    const calls: Call[] = [
      ["anonymous", "198.51.100.1", 1, 605_000],
      ["anonymous", "198.51.100.2", 1, 605_000],
      ["sign-in", "198.51.100.1", 1, 605_000],
      ["anonymous", "198.51.100.1", 1, 605_000],
      ["sign-in", "198.51.100.1", 1, 605_000],
    ];
    const { table, memory } = await bothWays(calls);
    expect(memory).toEqual(table);
    expect(memory.map((decision) => decision.allowed)).toEqual([true, true, true, false, false]);
  });

  it("past its bound of subjects per window, a new subject is left to the table while known ones keep counting", () => {
    const memory = new InProcessRateLimits(2);
    const now = at(700_000);
    expect(memory.consume("anonymous", "198.51.100.1", { limit: 5, now })?.count).toBe(1);
    expect(memory.consume("anonymous", "198.51.100.2", { limit: 5, now })?.count).toBe(1);
    expect(memory.consume("anonymous", "198.51.100.3", { limit: 5, now })).toBeUndefined();
    expect(memory.consume("anonymous", "198.51.100.1", { limit: 5, now })?.count).toBe(2);
    // A new window starts with room again.
    expect(memory.consume("anonymous", "198.51.100.3", { limit: 5, now: at(760_000) })?.count).toBe(1);
  });
});

const postgres = postgresEngine();

describe.skipIf(!postgres)("rate limits across two console instances (PostgreSQL)", () => {
  it("holds one limit for two clients of one database: 30 calls split between them let exactly 10 through", async () => {
    const first = await postgres!.open();
    const second = await first.openAnotherInstance();
    try {
      const calls = Array.from({ length: 30 }, (_, index) =>
        consumeRateLimit((index % 2 === 0 ? first : second).db, "sign-in", "192.0.2.7", { limit: 10, now: at(7_000) }),
      );
      const decisions = await Promise.all(calls);
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
      expect(decisions.filter((decision) => decision.firstRefusal)).toHaveLength(1);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
