import type { Client } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";

import { principalResolver, toResolvedPrincipal } from "./principals";

/** A Graph client that answers getByIds from a directory of users, or fails the calls `failing` says. */
function fakeGraph(directory: readonly string[], failing: (ids: readonly string[]) => boolean = () => false) {
  const asked: string[][] = [];
  const client = {
    api: (path: string) => {
      expect(path).toBe("/directoryObjects/getByIds");
      return {
        select: () => ({
          post: (body: { ids: string[] }) => {
            asked.push(body.ids);
            if (failing(body.ids)) return Promise.reject(Object.assign(new Error("Service unavailable"), { statusCode: 503 }));
            return Promise.resolve({
              value: body.ids.filter((id) => directory.includes(id)).map((id) => ({ "@odata.type": "#microsoft.graph.user", id, displayName: `User ${id}` })),
            });
          },
        }),
      };
    },
  } as unknown as Client;
  return { client, asked };
}

describe("principalResolver", () => {
  it("starts each step's lookup at once, asks for each id once whatever its case, and settles on every id added", async () => {
    const graph = fakeGraph(["a", "b", "c"]);
    const resolver = principalResolver(graph.client, toResolvedPrincipal);
    resolver.add(["a", "B", "a"]);
    expect(graph.asked).toEqual([["a", "b"]]);
    resolver.add(["b", "c", "gone"]);
    resolver.add(["A", "C"]);
    expect(graph.asked).toEqual([
      ["a", "b"],
      ["c", "gone"],
    ]);
    const lookup = await resolver.settled();
    expect(lookup.complete).toBe(true);
    expect([...lookup.found.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(lookup.found.get("c")).toMatchObject({ kind: "user", displayName: "User c" });
  });

  it("splits a step into calls of at most 1,000 ids", async () => {
    const ids = Array.from({ length: 1500 }, (_, index) => `id-${index}`);
    const graph = fakeGraph(ids);
    const resolver = principalResolver(graph.client, toResolvedPrincipal);
    resolver.add(ids);
    expect(graph.asked.map((call) => call.length)).toEqual([1000, 500]);
    expect((await resolver.settled()).found.size).toBe(1500);
  });

  it("is incomplete, with Graph's failure in words, when any step failed", async () => {
    const graph = fakeGraph(["a", "b"], (ids) => ids.includes("b"));
    const resolver = principalResolver(graph.client, toResolvedPrincipal);
    resolver.add(["a"]);
    resolver.add(["b"]);
    const lookup = await resolver.settled();
    expect(lookup.complete).toBe(false);
    expect(lookup.failureMessage).toEqual(expect.any(String));
    expect(lookup.failureMessage).not.toBe("");
  });

  it("settles complete and empty when nothing was added, without calling Graph", async () => {
    const graph = fakeGraph([]);
    const lookup = await principalResolver(graph.client, toResolvedPrincipal).settled();
    expect(lookup).toEqual({ found: new Map(), complete: true });
    expect(graph.asked).toEqual([]);
  });
});
