/**
 * CPU per call of the two queries every server action makes before its operation when nothing is cached (the session
 * lookup and, on PostgreSQL, the rate-limit upsert), on each storage engine: 20 at once, `process.cpuUsage` per call.
 *
 *   TEST_DATABASE_URL=postgres://… npx vitest run --config bench/action-cpu.vitest.config.ts bench/action-cpu-store.harness.ts
 */
import { randomBytes } from "node:crypto";

import { describe, it } from "vitest";

import { createSession, findLiveSession } from "@/lib/auth/session-store";
import { consumeRateLimit } from "@/lib/security/rate-limit";
import { storageEngines } from "@/test/support/databases";

const CALLS = 2_000;
const AT_ONCE = 20;
const LIFETIMES = { idleMs: 3_600_000, absoluteMs: 12 * 3_600_000 };

async function perCall(label: string, run: (index: number) => Promise<unknown>): Promise<void> {
  for (let index = 0; index < 200; index += 1) await run(index);
  const before = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < CALLS) await run(next++);
    }),
  );
  const used = process.cpuUsage(before);
  console.log(`${label}: ${((used.user + used.system) / 1000 / CALLS).toFixed(3)} ms CPU/call`);
}

describe.each(storageEngines())("store queries on $name", (engine) => {
  it("CPU per call", { timeout: 600_000 }, async () => {
    const handle = await engine.open();
    try {
      const key = randomBytes(32);
      const now = new Date();
      const principal = {
        tenantId: "72f988bf-0000-4000-8000-00000000c05a",
        objectId: "00000000-0000-4000-8000-000000000001",
        displayName: "Bench",
        userPrincipalName: "bench@contosoml.onmicrosoft.com",
        roles: [],
        authContexts: [],
        expiresAt: new Date(now.getTime() + 3_600_000),
      };
      const { cookieValue } = await createSession(
        handle.db,
        { principal, token: "x.y.z", clientAddress: "127.0.0.1", userAgent: "bench" },
        { key, now, lifetimes: LIFETIMES },
      );
      await perCall(`${engine.name} session lookup`, () => findLiveSession(handle.db, cookieValue, { key, now, lifetimes: LIFETIMES }));
      await perCall(`${engine.name} rate-limit upsert`, (index) =>
        consumeRateLimit(handle.db, "actions", `bench/${index % AT_ONCE}`, { limit: 1_000_000, now }),
      );
    } finally {
      await handle.close();
    }
  });
});
