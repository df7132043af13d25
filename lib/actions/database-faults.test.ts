/**
 * A database fault that reaches the action wrapper (an operation with no per-item answer for it: an approval, a
 * mapping, a search) becomes the console's own sentence, with a reference for support, never the driver's text; any
 * other unexpected failure stays the generic one. Called through the real `serverAction` as a signed-in admin (only
 * `next/headers` is stood in for).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type * as Session from "@/lib/auth/session";
import { nextRequest as request } from "@/test/support/next-request";

vi.mock("next/headers", () => import("@/test/support/next-request").then((module) => module.nextHeadersModule));

// The session store failing before any action runs: set `error` to make the next session reads fail.
const sessionFault = vi.hoisted(() => ({ error: undefined as Error | undefined }));
vi.mock("@/lib/auth/session", async (importOriginal) => {
  const original = await importOriginal<typeof Session>();
  return { ...original, getSession: () => (sessionFault.error ? Promise.reject(sessionFault.error) : original.getSession()) };
});

const { serverAction } = await import("./server-action");
const { getConfig } = await import("@/lib/config");
const { personaSessionCookie } = await import("@/test/support/persona-token");

const driverError = (code: string, message: string) =>
  new Error("Failed query: select last_event_id, last_hash from audit_lock_head()", { cause: Object.assign(new Error(message), { code }) });

describe("database faults at the action wrapper", () => {
  beforeAll(async () => {
    request.origin = getConfig().publicOrigin;
    request.cookie = await personaSessionCookie("admin");
  });
  afterAll(() => {
    request.cookie = "";
  });

  it.each([
    ["statement_timeout", driverError("57014", "canceling statement due to statement timeout")],
    ["a killed connection", driverError("57P01", "terminating connection due to administrator command")],
    ["a connection lost mid-query", new Error("Connection terminated unexpectedly")],
  ])("%s: the console's own message and a reference, no driver text", async (_label, error) => {
    const action = serverAction("searchPrincipals", z.unknown(), () => Promise.reject(error));
    const result = await action({});
    expect(result).toEqual({
      status: "error",
      code: "upstream_unavailable",
      message: "Gatehouse's database did not answer in time. Try again in a minute.",
      reference: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
    });
    expect(JSON.stringify(result)).not.toMatch(/statement|terminat|audit_lock_head|57014|57P01|Failed query/i);
  });

  it("the session store failing before the action runs answers the same way, and the action does not run", async () => {
    const run = vi.fn(() => Promise.resolve("ran"));
    const action = serverAction("searchPrincipals", z.unknown(), run);
    try {
      sessionFault.error = driverError("57P01", "terminating connection due to administrator command");
      expect(await action({})).toEqual({
        status: "error",
        code: "upstream_unavailable",
        message: "Gatehouse's database did not answer in time. Try again in a minute.",
        reference: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
      });
      sessionFault.error = new Error("session store exploded");
      const internal = await action({});
      expect(internal).toMatchObject({ status: "error", code: "internal", reference: expect.stringMatching(/^[0-9a-f-]{36}$/) as string });
      expect(JSON.stringify(internal)).not.toMatch(/exploded/);
    } finally {
      sessionFault.error = undefined;
    }
    expect(run).not.toHaveBeenCalled();
    expect(await action({})).toEqual({ status: "success", data: "ran" });
  });

  it("any other failure stays the generic internal one", async () => {
    const action = serverAction("searchPrincipals", z.unknown(), () => Promise.reject(driverError("23505", "duplicate key value violates unique constraint")));
    expect(await action({})).toMatchObject({
      status: "error",
      code: "internal",
      message: expect.stringMatching(/^Something went wrong on our side/) as string,
    });
  });
});
