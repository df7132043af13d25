import { describe, expect, it } from "vitest";

import { safeReturnPath } from "./browser-auth";

describe("safeReturnPath", () => {
  it("keeps same-origin absolute paths with their query", () => {
    expect(safeReturnPath("/workspaces?filter=prod")).toBe("/workspaces?filter=prod");
    expect(safeReturnPath("/requests#mine")).toBe("/requests#mine");
  });

  it("returns the path with its dot segments resolved", () => {
    expect(safeReturnPath("/x/../workspaces")).toBe("/workspaces");
    expect(safeReturnPath("/a/./b/%2e%2e/c?q=1")).toBe("/a/c?q=1");
    expect(safeReturnPath("/../..")).toBe("/");
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
    ["dot segments up to a protocol-relative path", "/..//evil.example"],
    ["dot segments below a path up to a protocol-relative path", "/x/..//evil.example"],
    ["encoded dot segments", "/%2e%2e//evil.example"],
    ["a single dot segment", "/.//evil.example"],
    ["backslashes after dot segments", "/x/../\\evil.example"],
  ])("falls back to / for %s", (_name, value) => {
    expect(safeReturnPath(value)).toBe("/");
  });
});
