/**
 * The browser's side of the reads: what it posts, and what a person is told when the answer is not the console's.
 */
import { afterEach, describe, expect, it, vi } from "vitest";

import { actionNames, isRead } from "@/lib/shared/permissions";
import * as reads from "./reads";
import { checkWorkspaceAccess, verifyAuditChain } from "./reads";

const INPUT = { workspaceId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws", principalId: "p" };

function answering(response: Response | Error) {
  const fetchMock = vi.fn((_url: string, _init: RequestInit) => (response instanceof Error ? Promise.reject(response) : Promise.resolve(response)));
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("reads from the browser", () => {
  it("has a client for every read in the permission matrix, and for nothing else", () => {
    const clients = Object.keys(reads).filter((name) => name !== "readFromConsole");
    expect(clients.sort()).toEqual(actionNames().filter(isRead).sort());
  });

  it("posts the input as JSON to the read's own path, uncached, and hands back the console's result as it came", async () => {
    const result = { status: "success", data: { principal: { id: "p" }, grants: [] } };
    const fetchMock = answering(Response.json(result));
    await expect(checkWorkspaceAccess(INPUT)).resolves.toEqual(result);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/reads/checkWorkspaceAccess");
    expect(init).toMatchObject({ method: "POST", headers: { "Content-Type": "application/json" }, cache: "no-store", credentials: "same-origin" });
    expect(JSON.parse(init.body as string)).toEqual(INPUT);
  });

  it("sends no body for a read without input", async () => {
    const fetchMock = answering(Response.json({ status: "success", data: { state: "intact" } }));
    await verifyAuditChain(undefined);
    expect(fetchMock.mock.calls[0]![1].body).toBe("");
  });

  it("passes the console's refusals through with their status, message and reference", async () => {
    const refusal = { status: "error", code: "forbidden", message: "Your Gatehouse role does not allow this. Ask an admin if you need it." };
    answering(Response.json(refusal, { status: 403 }));
    await expect(checkWorkspaceAccess(INPUT)).resolves.toEqual(refusal);
  });

  it("says the console could not be reached when the request never got an answer", async () => {
    answering(new TypeError("Failed to fetch"));
    await expect(checkWorkspaceAccess(INPUT)).resolves.toEqual({
      status: "error",
      code: "upstream_unavailable",
      message: "Gatehouse could not be reached. Check your connection and try again.",
    });
  });

  it("answers a page that is not the console's (a proxy's error page) in its own words, without its text", async () => {
    answering(new Response("<html><body>502 Bad Gateway nginx/1.25 upstream reset</body></html>", { status: 502, headers: { "content-type": "text/html" } }));
    const result = await checkWorkspaceAccess(INPUT);
    expect(result).toEqual({
      status: "error",
      code: "internal",
      message: "Gatehouse did not answer as expected (HTTP 502). Try again; if it keeps happening, tell your admin.",
    });
    answering(Response.json({ unexpected: true }, { status: 200 }));
    expect((await checkWorkspaceAccess(INPUT)).status).toBe("error");
  });
});
