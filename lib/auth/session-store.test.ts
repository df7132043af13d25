import { randomBytes } from "node:crypto";

import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { storageEngines } from "@/test/support/databases";
import { newSignedInPrincipal } from "@/test/support/signed-in-principal";
import type { SignedInPrincipal } from "./access-token";
import { consoleSessions } from "./schema";
import { cookieHash, isCookieValue } from "./session-crypto";
import { createSession, endSession, findLiveSession, listLiveSessionsOf, pruneSessions, renewSessionToken, searchLiveSessions } from "./session-store";

const T0 = new Date("2026-12-05T08:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LIFETIMES = { idleMs: 60 * MINUTE, absoluteMs: 12 * HOUR };
const KEY = randomBytes(32);
const OTHER_KEY = randomBytes(32);

const person = (overrides: Partial<SignedInPrincipal> = {}) => newSignedInPrincipal(at(HOUR), overrides);

/** A token-shaped secret, unique per call: what must never be found in the database in plain text. */
const tokenOf = (label: string) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(`${label}-${randomBytes(8).toString("hex")}`).toString("base64url")}.c2lnbmF0dXJl`;

describe.each(storageEngines())("console sessions on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  const sign = (principal: SignedInPrincipal, token: string, now = T0) =>
    createSession(
      handle.db,
      { principal, token, clientAddress: "203.0.113.7", userAgent: "Mozilla/5.0 ".repeat(100) },
      { key: KEY, now, lifetimes: LIFETIMES },
    );
  const find = (cookie: string, now: Date, key = KEY) => findLiveSession(handle.db, cookie, { key, now, lifetimes: LIFETIMES });
  const rowOf = async (id: string) => (await handle.db.select().from(consoleSessions).where(eq(consoleSessions.id, id)))[0]!;

  it("keeps only the cookie's hash and the token encrypted: neither appears in the row, and the cookie is 256 random bits", async () => {
    const token = tokenOf("at-rest");
    const created = await sign(person(), token);
    expect(isCookieValue(created.cookieValue)).toBe(true);
    expect(Buffer.from(created.cookieValue, "base64url")).toHaveLength(32);
    const raw = await handle.db.execute(sql`select * from console_sessions where id = ${created.id}`);
    const stored = JSON.stringify((raw as { rows: unknown[] }).rows);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.split(".")[1]);
    expect(stored).not.toContain(created.cookieValue);
    expect(stored).toContain(cookieHash(created.cookieValue));
    expect((await rowOf(created.id)).userAgent).toHaveLength(256);
    expect((await find(created.cookieValue, at(MINUTE)))?.token).toBe(token);
  });

  it("finds no session with another key, with a ciphertext moved to another row, or with a cookie that is not one", async () => {
    const first = await sign(person(), tokenOf("first"));
    const second = await sign(person(), tokenOf("second"));
    expect(await find(first.cookieValue, at(MINUTE), OTHER_KEY)).toBeUndefined();
    // The ciphertext is bound to its row: a copy in another row does not decrypt.
    await handle.db
      .update(consoleSessions)
      .set({ tokenCiphertext: (await rowOf(first.id)).tokenCiphertext })
      .where(eq(consoleSessions.id, second.id));
    expect(await find(second.cookieValue, at(MINUTE))).toBeUndefined();
    expect(await find(first.cookieValue, at(MINUTE))).toMatchObject({ id: first.id });
    expect(await find(randomBytes(32).toString("base64url"), at(MINUTE))).toBeUndefined();
  });

  it("ends after the idle time without a request; a request pushes the idle end out, writing last-seen at most once a minute", async () => {
    const created = await sign(person(), tokenOf("idle"));
    expect(await find(created.cookieValue, at(59 * MINUTE))).toBeDefined();
    expect((await rowOf(created.id)).lastSeenAt).toEqual(at(59 * MINUTE));
    // 30 s later: no write.
    await find(created.cookieValue, at(59 * MINUTE + 30_000));
    expect((await rowOf(created.id)).lastSeenAt).toEqual(at(59 * MINUTE));
    // Idle from 59 min: still live at 1 h 58 min, gone at 1 h 59 min.
    expect(await find(created.cookieValue, at(118 * MINUTE))).toBeDefined();
    expect(await find(created.cookieValue, at(178 * MINUTE + 1))).toBeUndefined();

    const unused = await sign(person(), tokenOf("unused"));
    expect(await find(unused.cookieValue, at(60 * MINUTE))).toBeUndefined();
  });

  it("ends at its absolute end however busy it is", async () => {
    const created = await sign(person(), tokenOf("absolute"));
    for (let minute = 30; minute < 12 * 60; minute += 30) expect(await find(created.cookieValue, at(minute * MINUTE)), `at ${minute} min`).toBeDefined();
    expect(await find(created.cookieValue, at(12 * HOUR))).toBeUndefined();
    expect((await rowOf(created.id)).idleExpiresAt.getTime()).toBeLessThanOrEqual(at(12 * HOUR).getTime());
  });

  it("renews the token in the same row, and refuses to renew a session that ended", async () => {
    const principal = person();
    const created = await sign(principal, tokenOf("before"));
    const renewed = tokenOf("after");
    expect(
      await renewSessionToken(
        handle.db,
        created.id,
        { token: renewed, principal: { ...principal, expiresAt: at(2 * HOUR) } },
        { key: KEY, now: at(50 * MINUTE) },
      ),
    ).toBe(true);
    expect(await find(created.cookieValue, at(51 * MINUTE))).toMatchObject({ id: created.id, token: renewed, tokenExpiresAt: at(2 * HOUR) });
    expect(await handle.db.$count(consoleSessions, eq(consoleSessions.objectId, principal.objectId))).toBe(1);

    await endSession(handle.db, created.id, { endedBy: `${principal.tenantId}/${principal.objectId}`, reason: "signed_out", now: at(52 * MINUTE) });
    expect(await renewSessionToken(handle.db, created.id, { token: tokenOf("late"), principal }, { key: KEY, now: at(53 * MINUTE) })).toBe(false);
  });

  it("refuses an ended session's cookie at once, and ends a session only once", async () => {
    const principal = person();
    const created = await sign(principal, tokenOf("ended"));
    const end = { endedBy: `${principal.tenantId}/${principal.objectId}`, reason: "ended_by_owner" as const, now: at(MINUTE) };
    expect(await endSession(handle.db, created.id, end)).toMatchObject({ id: created.id, endReason: "ended_by_owner", endedAt: at(MINUTE) });
    expect(await find(created.cookieValue, at(MINUTE + 1))).toBeUndefined();
    expect(await endSession(handle.db, created.id, { ...end, now: at(2 * MINUTE) })).toBeUndefined();
    expect((await rowOf(created.id)).endedAt).toEqual(at(MINUTE));
  });

  it("lists a person's live sessions and finds people's live sessions by sign-in name or name, never ended ones", async () => {
    const principal = person({ displayName: "Ada Lovelace_%", userPrincipalName: "ada.l@contosoml.onmicrosoft.com" });
    const a = await sign(principal, tokenOf("a"));
    const b = await sign(principal, tokenOf("b"), at(MINUTE));
    await endSession(handle.db, a.id, { endedBy: "x", reason: "signed_out", now: at(2 * MINUTE) });
    expect((await listLiveSessionsOf(handle.db, principal, at(3 * MINUTE))).map((session) => session.id)).toEqual([b.id]);
    expect((await searchLiveSessions(handle.db, "ADA.L", at(3 * MINUTE))).map((session) => session.id)).toEqual([b.id]);
    expect((await searchLiveSessions(handle.db, "lovelace_%", at(3 * MINUTE))).map((session) => session.id)).toEqual([b.id]);
    // LIKE's wildcards are literal text in a search.
    expect(await searchLiveSessions(handle.db, "a_a", at(3 * MINUTE))).toEqual([]);
  });

  it("prunes sessions that ended or expired over 30 days ago, and keeps the rest", async () => {
    const DAY = 24 * HOUR;
    const expiredOld = await sign(person(), tokenOf("expired-old"));
    const endedOld = await sign(person(), tokenOf("ended-old"), at(DAY));
    await endSession(handle.db, endedOld.id, { endedBy: "x", reason: "signed_out", now: at(DAY + MINUTE) });
    const expiredRecent = await sign(person(), tokenOf("expired-recent"), at(20 * DAY));
    const endedRecent = await sign(person(), tokenOf("ended-recent"), at(20 * DAY));
    await endSession(handle.db, endedRecent.id, { endedBy: "x", reason: "signed_out", now: at(20 * DAY + MINUTE) });
    const live = await sign(person(), tokenOf("live"), at(40 * DAY));
    await pruneSessions(handle.db, at(40 * DAY));
    const ids = new Set((await handle.db.select({ id: consoleSessions.id }).from(consoleSessions)).map((row) => row.id));
    expect([expiredOld, endedOld].map((session) => ids.has(session.id))).toEqual([false, false]);
    expect([expiredRecent, endedRecent, live].map((session) => ids.has(session.id))).toEqual([true, true, true]);
  });
});
