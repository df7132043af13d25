/**
 * `POST /api/reads/<name>`: the route the browser calls for reads. Only `next/headers` is stood in for, and it answers
 * with the headers and cookie of the request the route was given, as Next does; the route, the pipeline, the session
 * store, the token validation (against the sandbox tenant) and the database are the real ones.
 */
import { and, eq, gt } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";

const current = vi.hoisted(() => ({ request: new Request("https://placeholder.test/"), headersFail: false }));
vi.mock("next/headers", () => ({
  headers: () => (current.headersFail ? Promise.reject(new Error("socket hang up at 10.0.0.4:5432")) : Promise.resolve(current.request.headers)),
  cookies: () =>
    Promise.resolve({
      get: (name: string) => {
        const pair = (current.request.headers.get("cookie") ?? "")
          .split(";")
          .map((part) => part.trim().split("="))
          .find(([key]) => key === name);
        return pair ? { name, value: pair.slice(1).join("=") } : undefined;
      },
      set: () => undefined,
    }),
}));

const { getConfig } = await import("@/lib/config");
const { getDatabase } = await import("@/lib/db");
const { auditEvents } = await import("@/lib/db/schema");
const { SESSION_COOKIE } = await import("@/lib/auth/session");
const { POST } = await import("@/app/api/reads/[read]/route");
const { personaSessionCookie } = await import("@/test/support/persona-token");

const origin = getConfig().publicOrigin;
const security = `${SESSION_COOKIE}=${await personaSessionCookie("security")}`;
const teamLead = `${SESSION_COOKIE}=${await personaSessionCookie("team-lead")}`;
const WORKSPACE = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
const PRINCIPAL = "11111111-1111-4111-8111-111111111111";

interface ReadCall {
  readonly body?: string;
  readonly contentType?: string | null;
  readonly origin?: string | null;
  readonly cookie?: string;
}

/** Posts to the route as the browser would (JSON from the console's own page), with whatever a test changes. */
async function post(name: string, call: ReadCall = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers = new Headers({ "sec-fetch-site": "same-origin" });
  if (call.contentType !== null) headers.set("content-type", call.contentType ?? "application/json");
  if (call.origin !== null) headers.set("origin", call.origin ?? origin);
  if (call.cookie) headers.set("cookie", call.cookie);
  current.request = new Request(`${origin}/api/reads/${name}`, { method: "POST", headers, body: call.body ?? "" });
  const response = await POST(current.request, { params: Promise.resolve({ read: name }) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe("POST /api/reads/<name>", () => {
  it("answers a read with the ActionResult a server action returns, never stored by a cache", async () => {
    const answer = await post("exportMappings", { body: "{}", cookie: security });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.body).toMatchObject({ status: "success", data: { kind: "gatehouse.mappings", version: 1 } });
  });

  it("takes an empty body as no input, for the reads that take none", async () => {
    const verified = await post("verifyAuditChain", { cookie: security });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ status: "success", data: { state: "intact" } });

    const missing = await post("checkWorkspaceAccess", { cookie: security });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ status: "error", code: "invalid_input" });
  });

  it("knows only the reads: an unknown name or a server action's is 404", async () => {
    for (const name of ["nothingHere", "grantWorkspaceRoles", "__proto__", "constructor"]) {
      const answer = await post(name, { body: "{}", cookie: security });
      expect(answer.status, name).toBe(404);
      expect(answer.body).toEqual({ status: "error", code: "not_found", message: "There is no such read." });
    }
  });

  it("takes JSON only: a form's or text body (what another site can send without asking) is 415", async () => {
    for (const contentType of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain;charset=UTF-8", null]) {
      const answer = await post("exportMappings", { body: "{}", cookie: security, contentType });
      expect(answer.status, String(contentType)).toBe(415);
      expect(answer.body).toMatchObject({ status: "error", code: "invalid_input", message: "Send the input as application/json." });
    }
    expect((await post("exportMappings", { body: "{}", cookie: security, contentType: "Application/JSON; charset=utf-8" })).status).toBe(200);
  });

  it("refuses malformed JSON and a body over 16 KB with a message of its own", async () => {
    const malformed = await post("exportMappings", { body: "{not json", cookie: security });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ status: "error", code: "invalid_input", message: "The input is not valid JSON." });

    const large = await post("searchPrincipals", { body: JSON.stringify({ query: "x".repeat(17_000) }), cookie: security });
    expect(large.status).toBe(413);
    expect(large.body).toMatchObject({ status: "error", code: "invalid_input", message: "The request body is larger than 16384 bytes." });
  });

  it("runs the action pipeline: a foreign origin, no session, a console role without the read and bad input are refused", async () => {
    const since = new Date();
    const foreign = await post("exportMappings", { body: "{}", cookie: security, origin: "https://evil.test" });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatchObject({ status: "error", code: "forbidden", message: "Requests must come from the Gatehouse page itself." });
    expect((await post("exportMappings", { body: "{}", cookie: security, origin: null })).status).toBe(403);

    const anonymous = await post("exportMappings", { body: "{}" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ status: "error", code: "unauthenticated" });

    // Checking access is for admins and security readers, not requesters.
    const lead = await post("checkWorkspaceAccess", { body: JSON.stringify({ workspaceId: WORKSPACE, principalId: PRINCIPAL }), cookie: teamLead });
    expect(lead.status).toBe(403);
    expect(lead.body).toMatchObject({ status: "error", code: "forbidden" });

    const invalid = await post("checkWorkspaceAccess", { body: JSON.stringify({ workspaceId: WORKSPACE, principalId: "not-a-guid" }), cookie: security });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ status: "error", code: "invalid_input", fieldErrors: { principalId: ["must be an object id (GUID)"] } });

    // The signed-in refusals are in the trail, named by the read, as a server action's are (anonymous ones are counted).
    const db = await getDatabase();
    const denied = await db
      .select({ details: auditEvents.details })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "authz.denied"), gt(auditEvents.occurredAt, since)));
    const reasons = denied.map(
      (row) => `${(row.details as { consoleAction?: string }).consoleAction}:${(row.details as { deniedBecause?: string }).deniedBecause}`,
    );
    expect(reasons).toEqual(expect.arrayContaining(["exportMappings:cross_origin", "checkWorkspaceAccess:console_role_missing"]));
  });

  it("answers a failure before the read runs (here the request's headers) with a message of its own and a reference", async () => {
    current.headersFail = true;
    try {
      const answer = await post("exportMappings", { body: "{}", cookie: security });
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({
        status: "error",
        code: "internal",
        message: "Something went wrong on our side. Try again; if it keeps happening, quote the reference to your admin.",
      });
      expect(answer.body.reference).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.stringify(answer.body)).not.toContain("socket hang up");
    } finally {
      current.headersFail = false;
    }
  });
});
