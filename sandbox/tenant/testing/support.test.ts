import { describe, expect, it } from "vitest";

import { shapeDifferences } from "./support";

describe("shapeDifferences (the conformance comparer)", () => {
  const expected = { a: 1, b: { c: "x", d: [{ e: true }] }, n: null, tags: { k: "v" } };

  it("accepts the same shape with different values", () => {
    expect(shapeDifferences(expected, { a: 2, b: { c: "y", d: [{ e: false }, { e: true }] }, n: "now set", tags: { k: "w" } }, { mode: "exact" })).toEqual([]);
  });

  it("reports missing keys, extra keys (exact mode) and type changes, recursively", () => {
    const actual = { a: "1", b: { d: [{ e: true, f: 1 }] }, n: null, tags: { k: "v" }, extra: 1 };
    expect(shapeDifferences(expected, actual, { mode: "exact" })).toEqual([
      "a: expected number, got string",
      "b.c: missing",
      "b.d[].f: unexpected",
      "extra: unexpected",
    ]);
    expect(shapeDifferences(expected, actual, { mode: "subset" })).toEqual(["a: expected number, got string", "b.c: missing"]);
  });

  it("honours maps, nullable, optional and ignored paths", () => {
    const actual = { a: 1, b: { c: null, d: [] }, tags: { one: "1", two: 2 } };
    expect(shapeDifferences(expected, actual, { mode: "subset", maps: ["tags"], nullable: ["b.c"], optional: ["n"] })).toEqual([
      "tags.two: expected string, got number",
    ]);
    expect(shapeDifferences(expected, actual, { mode: "subset", maps: ["tags"], ignore: ["b", "tags", "n"] })).toEqual([]);
  });
});
