import { describe, expect, it } from "vitest";

import { safeReturnPath } from "./browser-auth";

describe("safeReturnPath", () => {
  it("keeps same-origin absolute paths with their query", () => {
    expect(safeReturnPath("/workspaces?filter=prod")).toBe("/workspaces?filter=prod");
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["another origin", "https://evil.test/"],
    ["protocol-relative", "//evil.test/path"],
    ["backslash trick", "/\\evil.test"],
    ["relative", "workspaces"],
    ["javascript URL", "javascript:alert(1)"],
    ["control characters", "/x\n\rSet-Cookie:"],
  ])("falls back to / for %s", (_name, value) => {
    expect(safeReturnPath(value)).toBe("/");
  });
});
