/**
 * security test plan row 25: zero CSP violations in the e2e run. Every page the suite opened, in any browser context, reports
 * violations to the console's `report-uri`; the console logs them. Only the deliberate probe is allowed.
 */
import { CSP_PROBE_URL, loggedCspViolations } from "./support/csp-violations";

export default function assertNoCspViolations(): void {
  const unexpected = loggedCspViolations().filter((violation) => violation.blocked !== CSP_PROBE_URL);
  if (unexpected.length > 0) {
    throw new Error(
      `Content-Security-Policy violations during the e2e run:\n${unexpected.map((v) => `  ${v.directive} blocked ${v.blocked ?? "?"} on ${v.page ?? "?"}`).join("\n")}`,
    );
  }
}
