import { request } from "@playwright/test";

import { type ControlTransport, type JournalEntry, sandboxControl } from "../../sandbox/control/client";
import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "../../sandbox/tenant/console-apps";
import { TENANT_ORIGIN } from "./env";

/**
 * Playwright's runner does not trust the sandbox's CA (Node reads NODE_EXTRA_CA_CERTS only at start), so the control
 * API is reached through a request context that accepts its certificate, as the browser contexts do.
 */
const playwrightTransport: ControlTransport = async ({ method, url, body }) => {
  const context = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const response = await context.fetch(url, { method, ...(body === undefined ? {} : { data: body, headers: { "content-type": "application/json" } }) });
    return { status: response.status(), body: await response.text() };
  } finally {
    await context.dispose();
  }
};

/** The e2e run's sandbox tenant (loopback only): faults, clock, journal, outbox, settings… */
export const sandbox = sandboxControl(TENANT_ORIGIN, { transport: playwrightTransport });

/**
 * Graph and ARM calls made on a person's behalf (sign-in traffic to Entra is not an upstream data call). The console's
 * own scheduled work — the notification outbox, the intent reconciler — runs as its service principal at any moment,
 * so a "this request made no call" check that counted it would fail whenever a job happened to run alongside.
 */
export function callsOnSomeonesBehalf(entries: readonly JournalEntry[]): JournalEntry[] {
  return entries.filter((entry) => (entry.system === "graph" || entry.system === "arm") && entry.callerObjectId !== CONSOLE_API_SERVICE_PRINCIPAL_ID);
}
