import { describe, expect, it, vi } from "vitest";

import type { Database } from "./client";
import { oncePerDatabase } from "./once-per-database";

describe("oncePerDatabase", () => {
  it("builds once for each database and hands the same value back after", () => {
    const build = vi.fn((db: Database) => ({ db }));
    const statementFor = oncePerDatabase(build);
    const first = {} as Database;
    const second = {} as Database;

    expect(statementFor(first)).toBe(statementFor(first));
    expect(statementFor(second).db).toBe(second);
    expect(statementFor(second)).not.toBe(statementFor(first));
    expect(build).toHaveBeenCalledTimes(2);
  });
});
