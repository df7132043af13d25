/**
 * The rate limits where the console applies them: sign-in, an anonymous route, server actions without and with a
 * session, and an expensive action. Only `next/headers` is stood in for (the request's headers and cookie); the
 * routes, the wrapper, the limiter and the database are the real ones, with low limits set before the console reads
 * its configuration.
 */
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";

import { setConsoleSettings } from "@/test/support/test-env";

const request = vi.hoisted(() => ({ forwardedFor: "", origin: "", cookie: "" }));
vi.mock("next/headers", () => ({
  headers: () => Promise.resolve(new Headers({ origin: request.origin, "sec-fetch-site": "same-origin", "x-forwarded-for": request.forwardedFor })),
  cookies: () =>
    Promise.resolve({
      get: (name: string) => (name === "__Host-gatehouse-session" && request.cookie ? { name, value: request.cookie } : undefined),
      set: () => undefined,
    }),
}));

setConsoleSettings({
  GATEHOUSE_TRUSTED_PROXY_HOPS: "1",
  GATEHOUSE_RATE_LIMIT_SIGN_IN_PER_MINUTE: "3",
  GATEHOUSE_RATE_LIMIT_ANONYMOUS_PER_MINUTE: "4",
  GATEHOUSE_RATE_LIMIT_ACTIONS_PER_MINUTE: "50",
  GATEHOUSE_RATE_LIMIT_EXPENSIVE_PER_MINUTE: "2",
});

const { getConfig } = await import("@/lib/config");
const { getDatabase } = await import("@/lib/db");
const { auditEvents } = await import("@/lib/db/schema");
const { rateLimitBuckets } = await import("./schema");
const { POST: postSession } = await import("@/app/api/session/route");
const { GET: getAuditExport } = await import("@/app/api/audit/export/route");
const { verifyAuditChain } = (await import("@/lib/actions/reads")).READS;
const { personaSessionCookie } = await import("@/test/support/persona-token");

const origin = getConfig().publicOrigin;
request.origin = origin;
// Opened (and migrated) before the first call, as a running console has it: on PGlite the limits count in memory, so
// a first call opening the database would otherwise spend that time between its count and the next call's.
await getDatabase();

// A minute boundary between the calls of one test would start a fresh window; each test waits for room first.
async function awayFromWindowEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

function signIn(forwardedFor: string): Promise<Response> {
  return postSession(
    new Request(`${origin}/api/session`, { method: "POST", headers: { origin, authorization: "Bearer not.a-token", "x-forwarded-for": forwardedFor } }),
  );
}

describe("rate limits at the console's entry points", () => {
  it("sign-in: the client address by one trusted hop gets 3 tries a minute, then 429 with Retry-After", async () => {
    await awayFromWindowEdge();
    // What the client prepends is ignored: these are all 203.0.113.10 as the proxy saw it.
    const statuses = [];
    for (let call = 0; call < 5; call += 1) statuses.push((await signIn(`10.9.9.${call}, 203.0.113.10`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const refused = await signIn("203.0.113.10");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      error: { code: "rate_limited", message: `Too many requests — try again in ${retryAfter} second${retryAfter === 1 ? "" : "s"}.` },
    });
    // Another address is not affected.
    expect((await signIn("203.0.113.11")).status).toBe(401);
  });

  it("an anonymous route: 401 up to the anonymous limit per address, then 429", async () => {
    await awayFromWindowEdge();
    request.cookie = "";
    const statuses = [];
    for (let call = 0; call < 6; call += 1) {
      statuses.push((await getAuditExport(new Request(`${origin}/api/audit/export?format=csv`, { headers: { "x-forwarded-for": "198.51.100.20" } }))).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it("a server action without a session: unauthenticated up to the limit, then the throttled result", async () => {
    await awayFromWindowEdge();
    request.cookie = "";
    request.forwardedFor = "198.51.100.30";
    const codes = [];
    for (let call = 0; call < 6; call += 1) {
      const result = await verifyAuditChain(undefined);
      codes.push(result.status === "error" ? result.code : "success");
    }
    expect(codes).toEqual(["unauthenticated", "unauthenticated", "unauthenticated", "unauthenticated", "rate_limited", "rate_limited"]);
  });

  it("an expensive action per person: 2 a minute, then 'Too many requests', audited once per window however often it is tried", async () => {
    await awayFromWindowEdge();
    request.cookie = await personaSessionCookie("security");
    request.forwardedFor = "198.51.100.40";
    const db = await getDatabase();
    const throttledEvents = () =>
      db.$count(auditEvents, and(eq(auditEvents.action, "authz.denied"), sql`${auditEvents.details}->>'deniedBecause' = 'rate_limited'`));
    const before = await throttledEvents();

    const results = [];
    for (let call = 0; call < 5; call += 1) results.push(await verifyAuditChain(undefined));
    expect(results.slice(0, 2).map((result) => result.status)).toEqual(["success", "success"]);
    for (const result of results.slice(2)) {
      expect(result).toMatchObject({ status: "error", code: "rate_limited" });
      expect(result.status === "error" ? result.message : "").toMatch(/^Too many requests — try again in \d+ seconds?\.$/);
    }
    expect(await throttledEvents()).toBe(before + 1);
  });

  it("on PGlite, the console's only client, every limit above was counted in the console's memory: no row written", async () => {
    expect(getConfig().database.kind).toBe("pglite");
    expect(await (await getDatabase()).$count(rateLimitBuckets)).toBe(0);
  });
});
