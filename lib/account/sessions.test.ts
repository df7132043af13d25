/**
 * Server-side sessions where the console uses them: `POST /api/session` (sign-in and renewal), `getSession()`,
 * sign-out, `DELETE /api/session` and ending a session from the account page, as the owner, another person and an
 * admin. Only `next/headers` is stood in for (the request's headers and its cookie jar); the route, the actions, the
 * store, the token validation (against the sandbox tenant) and the database are the real ones.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";

const request = vi.hoisted(() => ({ origin: "", cookie: "", set: [] as { name: string; value: string; maxAge?: number }[] }));
vi.mock("next/headers", () => ({
  headers: () => Promise.resolve(new Headers({ origin: request.origin, "sec-fetch-site": "same-origin" })),
  cookies: () =>
    Promise.resolve({
      get: (name: string) => (name === "__Host-gatehouse-session" && request.cookie ? { name, value: request.cookie } : undefined),
      set: (name: string, value: string, options: { maxAge?: number }) => {
        request.set.push({ name, value, maxAge: options.maxAge });
      },
    }),
}));

const { getConfig } = await import("@/lib/config");
const { getDatabase } = await import("@/lib/db");
const { auditEvents } = await import("@/lib/db/schema");
const { consoleSessions } = await import("@/lib/auth/schema");
const { getSession } = await import("@/lib/auth/session");
const { POST: postSession, DELETE: deleteSession } = await import("@/app/api/session/route");
const { signOut, endSession } = await import("@/app/actions/account");
const { searchSessions } = (await import("@/lib/actions/reads")).READS;
const { personaApiToken, personaSessionCookie } = await import("@/test/support/persona-token");

const origin = getConfig().publicOrigin;
request.origin = origin;
// The console's database is opened (and migrated) before the first request, as a running console has it.
await getDatabase();

/** Runs `work` as a request carrying `cookie` (or none). */
async function as<T>(cookie: string, work: () => Promise<T>): Promise<T> {
  request.cookie = cookie;
  request.set = [];
  return work();
}

function handOver(token: string): Promise<Response> {
  return postSession(new Request(`${origin}/api/session`, { method: "POST", headers: { origin, authorization: `Bearer ${token}`, "user-agent": "Vitest" } }));
}

async function eventsOf(action: string, sessionId: string) {
  const rows = await (await getDatabase()).select().from(auditEvents).where(eq(auditEvents.action, action));
  return rows.filter((row) => (row.details as { sessionId?: string }).sessionId === sessionId);
}

async function liveSessionOf(cookie: string) {
  return as(cookie, () => getSession());
}

describe("POST /api/session", () => {
  it("keeps the token on the server and sets the cookie to an opaque id living the absolute lifetime; a renewal keeps the row", async () => {
    const token = await personaApiToken("team-lead");
    const response = await as("", () => handOver(token));
    expect(response.status).toBe(200);
    const [cookie] = request.set;
    expect(cookie!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie!.value).not.toContain(token.split(".")[1]);
    expect(cookie!.maxAge).toBe(getConfig().sessions.absoluteMs / 1000);
    const session = await liveSessionOf(cookie!.value);
    expect(session?.principal.userPrincipalName).toBe("team-lead@contosoml.onmicrosoft.com");
    expect(session?.assertion.reveal()).toBe(token);
    expect(await eventsOf("auth.signed_in", session!.sessionId)).toHaveLength(1);

    // The browser hands over its next token with the cookie it holds: same row, same cookie, no new sign-in.
    const renewed = await personaApiToken("team-lead");
    expect((await as(cookie!.value, () => handOver(renewed))).status).toBe(200);
    expect(request.set).toEqual([expect.objectContaining({ value: cookie!.value })]);
    const after = await liveSessionOf(cookie!.value);
    expect(after?.sessionId).toBe(session!.sessionId);
    expect(after?.assertion.reveal()).toBe(renewed);
    expect(await eventsOf("auth.signed_in", session!.sessionId)).toHaveLength(1);
  });

  it("starts a new session for another person on the same browser and ends the previous one", async () => {
    const first = await personaSessionCookie("security");
    const previous = (await liveSessionOf(first))!;
    expect((await as(first, async () => handOver(await personaApiToken("admin")))).status).toBe(200);
    const [cookie] = request.set;
    expect(cookie!.value).not.toBe(first);
    expect((await liveSessionOf(cookie!.value))?.principal.userPrincipalName).toBe("admin@contosoml.onmicrosoft.com");
    expect(await liveSessionOf(first)).toBeNull();
    const ended = await eventsOf("auth.session_ended", previous.sessionId);
    expect(ended.map((row) => [row.targetPrincipalId, (row.details as { reason: string }).reason])).toEqual([[previous.principal.objectId, "replaced"]]);
  });

  it("gives no session for a cookie that holds a token (the form before sessions were kept on the server)", async () => {
    expect(await liveSessionOf(await personaApiToken("security"))).toBeNull();
  });
});

describe("ending sessions", () => {
  it("sign-out ends the session on the server: a copy of the cookie made before gets no session", async () => {
    const cookie = await personaSessionCookie("team-lead");
    const copied = cookie;
    const session = (await liveSessionOf(cookie))!;
    expect(await as(cookie, () => signOut(undefined))).toEqual({ status: "success", data: { signedOut: true } });
    expect(request.set).toEqual([expect.objectContaining({ value: "", maxAge: 0 })]);
    expect(await liveSessionOf(copied)).toBeNull();
    const [row] = await (await getDatabase()).select().from(consoleSessions).where(eq(consoleSessions.id, session.sessionId));
    expect(row).toMatchObject({ endReason: "signed_out", endedBy: `${session.principal.tenantId}/${session.principal.objectId}` });
    expect(await eventsOf("auth.signed_out", session.sessionId)).toHaveLength(1);
  });

  it("DELETE /api/session ends this browser's session as well as dropping its cookie", async () => {
    const cookie = await personaSessionCookie("security");
    const session = (await liveSessionOf(cookie))!;
    const response = await as(cookie, () => deleteSession(new Request(`${origin}/api/session`, { method: "DELETE", headers: { origin } })));
    expect(response.status).toBe(204);
    expect(await liveSessionOf(cookie)).toBeNull();
    expect(await eventsOf("auth.signed_out", session.sessionId)).toHaveLength(1);
  });

  it("lets a person end their own other session, refuses someone else's without the admin role, and lets an admin end anyone's", async () => {
    const leadLaptop = await personaSessionCookie("team-lead");
    const leadPhone = await personaSessionCookie("team-lead");
    const reader = await personaSessionCookie("security");
    const admin = await personaSessionCookie("admin");
    const phone = (await liveSessionOf(leadPhone))!;
    const readerSession = (await liveSessionOf(reader))!;

    // The reader (no admin role) cannot end the team lead's session: refused, recorded, and the session still works.
    const refused = await as(reader, () => endSession({ sessionId: phone.sessionId }));
    expect(refused).toMatchObject({ status: "error", code: "forbidden", message: "You can only end your own sessions." });
    expect(await liveSessionOf(leadPhone)).not.toBeNull();
    const denied = await (
      await getDatabase()
    )
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "authz.denied"), eq(auditEvents.actorObjectId, readerSession.principal.objectId)));
    expect(denied.map((row) => row.details)).toContainEqual({ consoleAction: "endSession", deniedBecause: "not_session_owner" });

    // The owner ends their phone's session from the laptop: the phone is signed out, the laptop is not.
    expect(await as(leadLaptop, () => endSession({ sessionId: phone.sessionId }))).toEqual({ status: "success", data: { endedCurrent: false } });
    expect(await liveSessionOf(leadPhone)).toBeNull();
    expect(await liveSessionOf(leadLaptop)).not.toBeNull();
    expect(await as(leadLaptop, () => endSession({ sessionId: phone.sessionId }))).toMatchObject({ status: "error", code: "not_found" });

    // Only an admin finds other people's sessions, and ends one.
    expect(await as(reader, () => searchSessions({ query: "team-lead" }))).toMatchObject({ status: "error", code: "forbidden" });
    const found = await as(admin, () => searchSessions({ query: "team-lead" }));
    expect(found.status).toBe("success");
    const laptop = (await liveSessionOf(leadLaptop))!;
    expect(found.status === "success" && found.data.map((session) => session.id)).toContain(laptop.sessionId);
    expect(await as(admin, () => endSession({ sessionId: laptop.sessionId }))).toEqual({ status: "success", data: { endedCurrent: false } });
    expect(await liveSessionOf(leadLaptop)).toBeNull();
    const reasons = async (sessionId: string) =>
      (await eventsOf("auth.session_ended", sessionId)).map((row) => [row.actorObjectId, (row.details as { reason: string }).reason]);
    expect(await reasons(laptop.sessionId)).toEqual([[(await liveSessionOf(admin))!.principal.objectId, "ended_by_admin"]]);
    expect(await reasons(phone.sessionId)).toEqual([[laptop.principal.objectId, "ended_by_owner"]]);
  });

  it("a browser whose session was ended cannot start another one silently with a token it still holds", async () => {
    const cookie = await personaSessionCookie("team-lead");
    const session = (await liveSessionOf(cookie))!;
    expect((await as(cookie, () => endSession({ sessionId: session.sessionId }))).status).toBe("success");
    const before = await (await getDatabase()).$count(consoleSessions);
    const response = await as(cookie, async () => handOver(await personaApiToken("team-lead")));
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "session_ended", message: "This session was ended. Sign in again to continue." } });
    expect(request.set).toEqual([expect.objectContaining({ value: "", maxAge: 0 })]);
    expect(await (await getDatabase()).$count(consoleSessions)).toBe(before);
    // Without that cookie (dropped, then an interactive sign-in) a new session starts.
    expect((await as("", async () => handOver(await personaApiToken("team-lead")))).status).toBe(200);
  });

  it("ending this very session clears this browser's cookie too", async () => {
    const cookie = await personaSessionCookie("security");
    const session = (await liveSessionOf(cookie))!;
    expect(await as(cookie, () => endSession({ sessionId: session.sessionId }))).toEqual({ status: "success", data: { endedCurrent: true } });
    expect(request.set).toEqual([expect.objectContaining({ value: "", maxAge: 0 })]);
    expect(await liveSessionOf(cookie)).toBeNull();
  });
});
