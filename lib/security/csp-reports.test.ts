import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { MAX_REPORT_BYTES, recordCspReport, REPORTS_PER_MINUTE, resetCspReportWindow } from "./csp-reports";

const report = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    "csp-report": {
      "document-uri": "http://localhost:3100/?code=0.AAAA-secret-code#state=xyz",
      "violated-directive": "script-src-elem",
      "effective-directive": "script-src-elem",
      "blocked-uri": "https://evil.test/x.js?token=abc",
      "source-file": "http://localhost:3100/workspaces",
      "line-number": 12,
      disposition: "enforce",
      ...fields,
    },
  });

let lines: string[];
beforeEach(() => {
  resetCspReportWindow();
  lines = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
});
afterEach(() => vi.restoreAllMocks());

describe("CSP violation reports", () => {
  it("logs the directive and where, with URLs cut before their query and fragment", () => {
    expect(recordCspReport(report(), 1_000)).toBe("logged");
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: "warn",
      source: "security",
      message: "csp.violation",
      directive: "script-src-elem",
      blocked: "https://evil.test/x.js",
      page: "http://localhost:3100/",
      sourceFile: "http://localhost:3100/workspaces",
      line: 12,
    });
    expect(lines[0]).not.toContain("secret-code");
    expect(lines[0]).not.toContain("token=abc");
  });

  it("ignores bodies that are not reports, too large or not JSON, without logging them", () => {
    expect(recordCspReport("not json")).toBe("invalid");
    expect(recordCspReport(JSON.stringify({ something: "else" }))).toBe("invalid");
    expect(recordCspReport(report({ "line-number": "12; DROP" }))).toBe("invalid");
    expect(recordCspReport(report({ "blocked-uri": "x".repeat(MAX_REPORT_BYTES) }))).toBe("invalid");
    expect(lines).toEqual([]);
  });

  it(`logs at most ${REPORTS_PER_MINUTE} a minute, then one line with how many were dropped`, () => {
    const outcomes = Array.from({ length: REPORTS_PER_MINUTE + 25 }, (_, index) => recordCspReport(report(), 1_000 + index));
    expect(outcomes.filter((outcome) => outcome === "logged")).toHaveLength(REPORTS_PER_MINUTE);
    expect(outcomes.filter((outcome) => outcome === "dropped")).toHaveLength(25);
    expect(recordCspReport(report(), 61_000)).toBe("logged");
    const dropped = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.message === "csp.reports_dropped");
    expect(dropped).toEqual([expect.objectContaining({ count: 25 })]);
  });
});
