import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { bucketOf, summarize } from "./profile-summary";
import { goals, met, readmeTable, README_END, README_START, renderReadmeTable, type Results, type Row, withReadmeTable } from "./report";

const row = (overrides: Partial<Row>): Row => ({
  id: "page",
  scenario: "A page",
  value: 150,
  unit: "ms",
  goal: goals.floorPlus100(80),
  floorMs: 80,
  roundTrips: 2,
  armCalls: 2,
  graphCalls: 0,
  note: "",
  ...overrides,
});

describe("the benchmark's report", () => {
  it("says whether each figure met its goal, and nothing where there is no goal or figure", () => {
    expect(met(row({ value: 180 }))).toBe(true);
    expect(met(row({ value: 181 }))).toBe(false);
    expect(met(row({ goal: null }))).toBeNull();
    expect(met(row({ value: null }))).toBeNull();
    expect(goals.floorTimes1_1(5560)).toEqual({ max: 6116, text: "≤ floor × 1.1" });
  });

  it("replaces only what is between the README's markers, and refuses a README without them", () => {
    const readme = `# Title\n\n${README_START}\nold table\n${README_END}\n\nAfter.\n`;
    const results: Results = { latencyMs: 40, auditEvents: 1000, quick: false, measuredAt: "2026-12-06T10:00:00.000Z", rows: [row({ scenario: "A | page" })] };
    const updated = withReadmeTable(readme, renderReadmeTable(results));
    expect(updated.startsWith(`# Title\n\n${README_START}\n`)).toBe(true);
    expect(updated.endsWith(`${README_END}\n\nAfter.\n`)).toBe(true);
    expect(readmeTable(updated)).toContain("| A \\| page | 150 ms | ≤ floor + 100 ms (180 ms) | yes | 80 ms | 2 | 2 / 0 |");
    expect(() => withReadmeTable("# No markers\n", "table")).toThrow(/no bench markers/);
  });

  it("the README's table is the one bench/results.json gives (regenerate it with a full `npm run bench`)", () => {
    const results = JSON.parse(readFileSync("bench/results.json", "utf8")) as Results;
    expect(results.quick).toBe(false);
    expect(readmeTable(readFileSync("README.md", "utf8"))).toBe(renderReadmeTable(results));
  });
});

describe("the CPU profile summary", () => {
  it("puts each sample's self time in its package, the app's chunks or V8's bucket", () => {
    expect(bucketOf("file:///srv/node_modules/@electric-sql/pglite/dist/index.js", "query")).toBe("@electric-sql/pglite");
    expect(bucketOf("file:///srv/node_modules/next/dist/server/base-server.js", "render")).toBe("next");
    expect(bucketOf("file:///srv/.next/server/chunks/123.js", "load")).toBe("app (built chunks)");
    expect(bucketOf("node:internal/streams/readable", "read")).toBe("node (built-in)");
    expect(bucketOf("wasm://wasm/022a9842", "wasm-function[1310]")).toBe("wasm (PGlite's PostgreSQL)");
    expect(bucketOf("", "(garbage collector)")).toBe("(garbage collector)");
    const summary = summarize({
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
        { id: 2, callFrame: { functionName: "query", url: "file:///srv/node_modules/@electric-sql/pglite/dist/index.js", lineNumber: 9 } },
        { id: 3, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
      ],
      samples: [2, 2, 3],
      timeDeltas: [1000, 3000, 4000],
    });
    expect(summary.totalMs).toBe(8);
    expect(summary.byBucket).toEqual([
      { bucket: "@electric-sql/pglite", ms: 4 },
      { bucket: "(idle)", ms: 4 },
    ]);
    expect(summary.byFunction[0]).toEqual({ name: "query index.js:10", bucket: "@electric-sql/pglite", ms: 4 });
  });
});
