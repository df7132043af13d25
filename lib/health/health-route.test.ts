/**
 * `/api/health` through its route: anonymous callers (probes) learn the status only; a session with a console role
 * also sees version, mode and database. Only `next/headers` is stood in for (the request's cookie).
 */
import { describe, expect, it, vi } from "vitest";

const request = vi.hoisted(() => ({ cookie: "" }));
vi.mock("next/headers", () => ({
  headers: () => Promise.resolve(new Headers()),
  cookies: () =>
    Promise.resolve({
      get: (name: string) => (name === "__Host-gatehouse-session" && request.cookie ? { name, value: request.cookie } : undefined),
      set: () => undefined,
    }),
}));

const { GET } = await import("@/app/api/health/route");
const { personaSessionCookie } = await import("@/test/support/persona-token");

describe("/api/health", () => {
  it("tells an anonymous caller only that the instance is up", async () => {
    request.cookie = "";
    const response = await GET();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("tells a caller with an invalid session cookie no more", async () => {
    request.cookie = "not.a-token";
    expect(await (await GET()).json()).toEqual({ status: "ok" });
  });

  it("shows version, mode and database to a person with a console role", async () => {
    request.cookie = await personaSessionCookie("security");
    expect(await (await GET()).json()).toEqual({
      status: "ok",
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as string,
      mode: "sandbox",
      database: { engine: "pglite", reachable: true },
    });
  });
});
