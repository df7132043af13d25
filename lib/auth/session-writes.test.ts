/**
 * The session row cache (PGlite only) may never show a session as it was before a write: every write to
 * console_sessions is made by session-store.ts and moves its write generation, each write function there does, and a
 * copy read before any of them is not used after it. A source scan checks that no other module writes the table.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type DatabaseHandle, openDatabase } from "@/lib/db/client";
import { newSignedInPrincipal } from "@/test/support/signed-in-principal";
import type { SignedInPrincipal } from "./access-token";
import { consoleSessions } from "./schema";
import { createSession, endSession, findLiveSession, pruneSessions, renewSessionToken, SessionRowCache, sessionWriteGeneration } from "./session-store";

const T0 = new Date("2026-12-05T08:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;
const LIFETIMES = { idleMs: 60 * MINUTE, absoluteMs: 12 * 60 * MINUTE };
const KEY = randomBytes(32);

const person = () => newSignedInPrincipal(at(60 * MINUTE));
const tokenOf = (label: string) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(`${label}-${randomBytes(8).toString("hex")}`).toString("base64url")}.c2ln`;

describe("the session row cache on PGlite", () => {
  let handle: DatabaseHandle;
  let cache: SessionRowCache;
  beforeAll(async () => {
    handle = await openDatabase({ kind: "pglite-memory" });
  });
  afterAll(async () => {
    await handle.close();
  });

  const sign = (principal: SignedInPrincipal, now = T0) =>
    createSession(handle.db, { principal, token: tokenOf("t"), clientAddress: "203.0.113.7", userAgent: "Vitest" }, { key: KEY, now, lifetimes: LIFETIMES });
  const find = (cookie: string, now: Date) => findLiveSession(handle.db, cookie, { key: KEY, now, lifetimes: LIFETIMES, cache });
  /** A change made behind the store's back (no generation move): shows whether a lookup read the table or its copy. */
  const renameBehindTheStore = (id: string, userAgent: string) => handle.db.update(consoleSessions).set({ userAgent }).where(eq(consoleSessions.id, id));

  it("serves a repeated lookup from its copy, while no write to the table has started", async () => {
    cache = new SessionRowCache();
    const created = await sign(person());
    expect(await find(created.cookieValue, at(1_000))).toMatchObject({ id: created.id, userAgent: "Vitest" });
    await renameBehindTheStore(created.id, "changed behind the store");
    expect(await find(created.cookieValue, at(2_000))).toMatchObject({ id: created.id, userAgent: "Vitest" });
    // Liveness is still checked against each lookup's own time: past the idle end, none.
    expect(await find(created.cookieValue, at(61 * MINUTE))).toBeUndefined();
  });

  it.each([
    ["a sign-in (another session created)", async () => void (await sign(person()))],
    [
      "a renewal of another session",
      async () =>
        void (await renewSessionToken(handle.db, (await sign(person())).id, { token: tokenOf("r"), principal: person() }, { key: KEY, now: at(3_000) })),
    ],
    [
      "another session ended",
      async () => void (await endSession(handle.db, (await sign(person())).id, { endedBy: "x", reason: "signed_out", now: at(3_000) })),
    ],
    ["a prune that deletes nothing", async () => void (await pruneSessions(handle.db, at(0)))],
  ])("reads the table again after %s", async (_label, write) => {
    cache = new SessionRowCache();
    const created = await sign(person());
    await find(created.cookieValue, at(1_000));
    await renameBehindTheStore(created.id, "renamed");
    await write();
    expect(await find(created.cookieValue, at(2_000))).toMatchObject({ userAgent: "renamed" });
  });

  it("sees the session's own end, renewal and last-seen touch on the very next lookup", async () => {
    cache = new SessionRowCache();
    const principal = person();
    const created = await sign(principal);
    expect(await find(created.cookieValue, at(1_000))).toBeDefined();
    const renewed = tokenOf("renewed");
    await renewSessionToken(handle.db, created.id, { token: renewed, principal: { ...principal, expiresAt: at(90 * MINUTE) } }, { key: KEY, now: at(2_000) });
    expect(await find(created.cookieValue, at(3_000))).toMatchObject({ token: renewed, tokenExpiresAt: at(90 * MINUTE) });
    // A lookup over a minute after the last touches last-seen; the next one sees the later idle end.
    await find(created.cookieValue, at(50 * MINUTE));
    expect(await find(created.cookieValue, at(100 * MINUTE))).toBeDefined();
    await endSession(handle.db, created.id, { endedBy: "x", reason: "ended_by_admin", now: at(101 * MINUTE) });
    expect(await find(created.cookieValue, at(101 * MINUTE + 1))).toBeUndefined();
  });

  it("does not keep a row read while a write was under way", async () => {
    cache = new SessionRowCache();
    const created = await sign(person());
    const generation = sessionWriteGeneration();
    const [row] = await handle.db.select().from(consoleSessions).where(eq(consoleSessions.id, created.id));
    await sign(person());
    cache.set("some hash", generation, row!);
    expect(cache.get("some hash")).toBeUndefined();
  });

  it("every write function of the store moves the write generation", async () => {
    const principal = person();
    const moves = async (write: () => Promise<unknown>) => {
      const before = sessionWriteGeneration();
      await write();
      return sessionWriteGeneration() > before;
    };
    let id = "";
    let cookie = "";
    expect(
      await moves(async () => {
        ({ id, cookieValue: cookie } = await sign(principal));
      }),
    ).toBe(true);
    expect(await moves(() => renewSessionToken(handle.db, id, { token: tokenOf("n"), principal }, { key: KEY, now: at(1_000) }))).toBe(true);
    expect(await moves(() => findLiveSession(handle.db, cookie, { key: KEY, now: at(2 * MINUTE), lifetimes: LIFETIMES }))).toBe(true);
    expect(await moves(() => endSession(handle.db, id, { endedBy: "x", reason: "signed_out", now: at(3 * MINUTE) }))).toBe(true);
    expect(await moves(() => pruneSessions(handle.db, at(0)))).toBe(true);
  });
});

describe("who writes console_sessions", () => {
  const ROOT = path.resolve(import.meta.dirname, "..", "..");
  const SCANNED = ["app", "lib", "scripts", "components", "instrumentation.ts", "proxy.ts"];
  const TABLE_DEFINITION = "lib/auth/schema.ts";
  const STORE = "lib/auth/session-store.ts";

  function sourceFiles(entry: string): string[] {
    const full = path.join(ROOT, entry);
    const names = statSync(full).isDirectory() ? readdirSync(full, { recursive: true, encoding: "utf8" }).map((name) => path.join(entry, name)) : [entry];
    return names.filter((name) => /\.(ts|tsx|mts|mjs|js)$/.test(name) && !name.includes("node_modules"));
  }

  it("only the session store uses the table's schema object, and no SQL text elsewhere changes the table", () => {
    const files = SCANNED.flatMap(sourceFiles).filter((file) => !/\.test\.tsx?$/.test(file));
    expect(files).toContain(STORE);
    const usesSchemaObject = files.filter((file) => file !== TABLE_DEFINITION && /\bconsoleSessions\b/.test(readFileSync(path.join(ROOT, file), "utf8")));
    expect(usesSchemaObject).toEqual([STORE]);
    const writesBySql = files.filter((file) =>
      /\b(insert\s+into|update|delete\s+from|truncate(\s+table)?)\s+("?public"?\.)?"?console_sessions\b/i.test(readFileSync(path.join(ROOT, file), "utf8")),
    );
    expect(writesBySql).toEqual([]);
  });

  it("every statement in the store that changes the table goes through the generation-moving wrapper", () => {
    const store = readFileSync(path.join(ROOT, STORE), "utf8");
    const writes = [...store.matchAll(/\.(insert|update|delete)\(consoleSessions\)/g)].length;
    const wrapped = [...store.matchAll(/writingSessions\(\(\) =>\s*db\s*\.(insert|update|delete)\(consoleSessions\)/g)].length;
    expect(writes).toBeGreaterThanOrEqual(5);
    expect(wrapped).toBe(writes);
  });
});
