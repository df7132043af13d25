import "server-only";

import { z } from "zod";

import { log } from "@/lib/log";

/**
 * Content-Security-Policy violation reports (`report-uri`), logged so operators see a page the policy breaks or an
 * injection attempt. Browsers send them without credentials, so the endpoint is anonymous: what it accepts is capped in
 * size and rate, only a few named fields are kept, and URLs lose their query and fragment (a sign-in redirect
 * carries an authorization code there).
 */

export const CSP_REPORT_PATH = "/api/csp-report";
export const MAX_REPORT_BYTES = 8 * 1024;
/** Reports logged per minute per console process; the rest are counted and the count logged once. */
export const REPORTS_PER_MINUTE = 60;

const text = z.string().max(2048).optional();
// The legacy `report-uri` body (what Chromium, Firefox and Safari send for report-uri).
const CspReport = z.object({
  "csp-report": z.object({
    "document-uri": text,
    "violated-directive": text,
    "effective-directive": text,
    "blocked-uri": text,
    "source-file": text,
    "line-number": z.number().int().nonnegative().optional(),
    disposition: text,
  }),
});

export type CspReportOutcome = "logged" | "dropped" | "invalid";

let windowStart = 0;
let loggedInWindow = 0;
let droppedInWindow = 0;

/** A URL without its query and fragment; keywords such as `inline` or `eval` pass through. */
function withoutQuery(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const cut = value.search(/[?#]/);
  return (cut === -1 ? value : value.slice(0, cut)).slice(0, 512);
}

export function recordCspReport(rawBody: string, now = Date.now()): CspReportOutcome {
  if (Buffer.byteLength(rawBody) > MAX_REPORT_BYTES) return "invalid";
  let parsed: z.infer<typeof CspReport>;
  try {
    const result = CspReport.safeParse(JSON.parse(rawBody));
    if (!result.success) return "invalid";
    parsed = result.data;
  } catch {
    return "invalid";
  }

  if (now - windowStart >= 60_000) {
    if (droppedInWindow > 0) log("warn", "security", "csp.reports_dropped", { count: droppedInWindow });
    windowStart = now;
    loggedInWindow = 0;
    droppedInWindow = 0;
  }
  if (loggedInWindow >= REPORTS_PER_MINUTE) {
    droppedInWindow += 1;
    return "dropped";
  }
  loggedInWindow += 1;

  const report = parsed["csp-report"];
  log("warn", "security", "csp.violation", {
    directive: (report["effective-directive"] ?? report["violated-directive"] ?? "").slice(0, 200),
    blocked: withoutQuery(report["blocked-uri"]),
    page: withoutQuery(report["document-uri"]),
    sourceFile: withoutQuery(report["source-file"]),
    line: report["line-number"],
    disposition: report.disposition?.slice(0, 20),
  });
  return "logged";
}

/** For tests: start a fresh rate window. */
export function resetCspReportWindow(): void {
  windowStart = 0;
  loggedInWindow = 0;
  droppedInWindow = 0;
}
