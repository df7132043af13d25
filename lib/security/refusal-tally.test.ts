import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { auditEvents } from "@/lib/db/schema";
import { postgresEngine, storageEngines } from "@/test/support/databases";
import { flushRefusalTallies, MAX_SOURCES_PER_MINUTE, tallyRefusal } from "./refusal-tally";
import { refusalTallies } from "./schema";

const request = vi.hoisted(() => ({ forwardedFor: "203.0.113.50" }));
vi.mock("next/headers", () => ({
  headers: () => Promise.resolve(new Headers({ "x-forwarded-for": request.forwardedFor })),
  cookies: () => Promise.resolve({ get: () => undefined, set: () => undefined }),
}));

const M = new Date("2026-12-05T10:00:00.000Z").getTime();
const at = (ms: number) => new Date(M + ms);

async function countedEvents(handle: DatabaseHandle) {
  const rows = await handle.db.select().from(auditEvents).where(eq(auditEvents.action, "security.refusals_counted")).orderBy(auditEvents.id);
  return rows.map((row) => ({
    actorKind: row.actorKind,
    outcome: row.outcome,
    ...(row.details as { source: string; minute: string; count: number; reasons: unknown[] }),
  }));
}

describe.each(storageEngines())("refusal tallies on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("turns 300 refusals from two sources into one event per source and minute, leaving the minute still being counted", async () => {
    for (let index = 0; index < 200; index += 1) {
      await tallyRefusal(
        handle.db,
        { source: "198.51.100.7", reason: index % 4 === 0 ? "authz.denied/no_session/listMappings" : "auth.token_rejected/session-cookie/malformed" },
        at(index * 100),
      );
    }
    for (let index = 0; index < 100; index += 1) {
      await tallyRefusal(handle.db, { source: "2001:db8::9", reason: "auth.token_rejected/sign-in/bad_signature" }, at(30_000));
    }
    for (let index = 0; index < 5; index += 1) {
      await tallyRefusal(handle.db, { source: "198.51.100.7", reason: "auth.token_rejected/bearer/expired" }, at(61_000));
    }

    expect(await flushRefusalTallies(handle.db, at(90_000))).toEqual({ events: 2, refusals: 300 });
    expect(await countedEvents(handle)).toEqual([
      {
        actorKind: "anonymous",
        outcome: "denied",
        source: "198.51.100.7",
        minute: "2026-12-05T10:00:00.000Z",
        count: 200,
        reasons: [
          { reason: "auth.token_rejected/session-cookie/malformed", count: 150 },
          { reason: "authz.denied/no_session/listMappings", count: 50 },
        ],
      },
      {
        actorKind: "anonymous",
        outcome: "denied",
        source: "2001:db8::9",
        minute: "2026-12-05T10:00:00.000Z",
        count: 100,
        reasons: [{ reason: "auth.token_rejected/sign-in/bad_signature", count: 100 }],
      },
    ]);
    // Nothing is flushed twice; the next minute waits until it is over.
    expect(await flushRefusalTallies(handle.db, at(90_000))).toEqual({ events: 0, refusals: 0 });
    expect(await flushRefusalTallies(handle.db, at(120_000))).toEqual({ events: 1, refusals: 5 });
    expect(await handle.db.$count(refusalTallies)).toBe(0);
  });

  it("gives at most 100 sources a minute an event of their own and adds up the rest under other", async () => {
    const minute = 10 * 60_000;
    // Source n refused n+1 times (stored as counted): the 30 quietest (1..30 refusals) are the ones added up.
    await handle.db.insert(refusalTallies).values(
      Array.from({ length: 130 }, (_, source) => ({
        minute: at(minute),
        source: `192.0.2.${source}`,
        reason: "authz.denied/no_session/x",
        count: source + 1,
      })),
    );
    const before = (await countedEvents(handle)).length;
    const flushed = await flushRefusalTallies(handle.db, at(minute + 60_000));
    expect(flushed).toEqual({ events: MAX_SOURCES_PER_MINUTE + 1, refusals: (130 * 131) / 2 });
    const events = (await countedEvents(handle)).slice(before);
    expect(events.at(-1)).toMatchObject({ source: "other", count: (30 * 31) / 2 });
    expect(events.map((event) => event.source)).not.toContain("192.0.2.0");
    expect(events[0]).toMatchObject({ source: "192.0.2.129", count: 130 });
  });
});

const postgres = postgresEngine();

describe.skipIf(!postgres)("refusal tallies flushed by two instances at once (PostgreSQL)", () => {
  it("writes each source's minute once", async () => {
    const first = await postgres!.open();
    const second = await first.openAnotherInstance();
    try {
      for (let index = 0; index < 40; index += 1) {
        await tallyRefusal((index % 2 ? first : second).db, { source: `192.0.2.${index % 4}`, reason: "r" }, at(1_000));
      }
      const results = await Promise.all([flushRefusalTallies(first.db, at(60_000)), flushRefusalTallies(second.db, at(60_000))]);
      expect(results.map((result) => result.events).sort()).toEqual([0, 4]);
      expect(await countedEvents(first)).toHaveLength(4);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe("anonymous refusals through the console's code", () => {
  it("200 rejected tokens and 100 anonymous action refusals write no event until the minute is flushed, then one; a signed-in refusal stays an event of its own", async () => {
    const { validateConsoleToken } = await import("@/lib/auth/token-validator");
    const { recordRefusal } = await import("@/lib/auth/record-refusal");
    const { getDatabase } = await import("@/lib/db");
    const db = await getDatabase();
    const chained = () => db.$count(auditEvents);
    const start = await chained();

    const { resetRefusalLogWindow } = await import("./refusal-tally");
    resetRefusalLogWindow();
    const lines = vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (let index = 0; index < 200; index += 1) {
      expect((await validateConsoleToken(`garbage.${index}`, { via: "session-cookie" })).ok).toBe(false);
    }
    for (let index = 0; index < 100; index += 1) await recordRefusal("createMapping", { kind: "anonymous" }, "no_session", `request-${index}`);
    expect(await chained()).toBe(start);
    // Log lines are bounded too: 20 a minute, whatever the flood (another line may follow once the minute is over).
    const refusalLines = lines.mock.calls.filter(([chunk]) => /"auth\.token_rejected"|"authz\.denied"/.test(String(chunk)));
    expect(refusalLines.length).toBeLessThanOrEqual(2 * 20);
    lines.mockRestore();

    await recordRefusal(
      "approveAccessRequest",
      {
        kind: "user",
        tenantId: "72f988bf-0000-4000-8000-00000000c05a",
        objectId: "00000000-0000-4000-8000-0000000000aa",
        displayName: "A",
        userPrincipalName: "a@x",
      },
      "console_role_missing",
      "request-signed-in",
    );
    expect(await chained()).toBe(start + 1);

    const flushed = await flushRefusalTallies(db, new Date(Date.now() + 120_000));
    expect(flushed.refusals).toBe(300);
    // One source; two minutes at most if the loop crossed a minute boundary.
    expect(flushed.events).toBeGreaterThanOrEqual(1);
    expect(flushed.events).toBeLessThanOrEqual(2);
    const rows = await db.select().from(auditEvents).where(eq(auditEvents.action, "security.refusals_counted"));
    const reasons = new Map<string, number>();
    for (const row of rows) {
      const details = row.details as { source: string; reasons: { reason: string; count: number }[] };
      expect(details.source).toBe("203.0.113.50");
      for (const { reason, count } of details.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + count);
    }
    expect(Object.fromEntries(reasons)).toEqual({ "auth.token_rejected/session-cookie/malformed": 200, "authz.denied/no_session/createMapping": 100 });
  });
});
