import { readFileSync } from "node:fs";

import { E2E_DATA_DIR } from "./env";

/** An address the tests' own probe loads to cause one violation on purpose; every other violation is a failure. */
export const CSP_PROBE_URL = "https://csp-probe.invalid/probe.png";

export interface CspViolation {
  readonly directive: string;
  readonly blocked?: string;
  readonly page?: string;
}

/** The CSP violations browsers reported to the console during this run (its `csp.violation` log lines). */
export function loggedCspViolations(): CspViolation[] {
  let text: string;
  try {
    text = readFileSync(`${E2E_DATA_DIR}/logs/console.log`, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"csp.violation"'))
    .map((line) => JSON.parse(line) as CspViolation & { message: string });
}
