import { readFileSync } from "node:fs";
import path from "node:path";

import { request } from "@playwright/test";

import { type ControlTransport, type JournalEntry, sandboxControl } from "../../sandbox/control/client";
import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "../../sandbox/tenant/console-apps";
import { E2E_DATA_DIR, TENANT_ORIGIN } from "./env";

/**
 * Playwright's runner does not trust the sandbox's CA (Node reads NODE_EXTRA_CA_CERTS only at start), so the control
 * API is reached through a request context that accepts its certificate, as the browser contexts do.
 */
const playwrightTransport: ControlTransport = async ({ method, url, body, headers }) => {
  const context = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const response = await context.fetch(url, {
      method,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
      ...(body === undefined ? {} : { data: body }),
    });
    return { status: response.status(), body: await response.text() };
  } finally {
    await context.dispose();
  }
};

/**
 * The run's control token: the launcher's tenant writes a new one to its tenant.json at each start, so it is read
 * when first needed (after Playwright's web server has started the tenant), not at import.
 */
let controlToken: string | undefined;
function runControlToken(): string {
  controlToken ??= (JSON.parse(readFileSync(path.join(E2E_DATA_DIR, "sandbox", "tenant.json"), "utf8")) as { controlToken: string }).controlToken;
  return controlToken;
}

/** The e2e run's sandbox tenant (loopback only): faults, clock, journal, outbox, settings… */
export const sandbox = sandboxControl(TENANT_ORIGIN, { token: runControlToken, transport: playwrightTransport });

/**
 * Graph and ARM calls made on a person's behalf (sign-in traffic to Entra is not an upstream data call). The console's
 * own scheduled work — the notification outbox, the intent reconciler — runs as its service principal at any moment,
 * so a "this request made no call" check that counted it would fail whenever a job happened to run alongside.
 */
export function callsOnSomeonesBehalf(entries: readonly JournalEntry[]): JournalEntry[] {
  return entries.filter((entry) => (entry.system === "graph" || entry.system === "arm") && entry.callerObjectId !== CONSOLE_API_SERVICE_PRINCIPAL_ID);
}
