import { request } from "@playwright/test";

import { CONSOLE_API_SERVICE_PRINCIPAL_ID } from "../../sandbox/tenant/console-apps";
import { TENANT_ORIGIN } from "./env";

export interface JournalEntry {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly system: string;
  readonly status: number;
  readonly callerObjectId: string | null;
  /** Graph/ARM: the calling app; Entra: the client named in the request. */
  readonly callerAppId: string | null;
  /** Entra token requests: how the client authenticated (`none`, `secret`, `certificate`, `federated`). */
  readonly clientCredential: string | null;
}

/** The sandbox tenant's control API (loopback only): the call journal lets tests count upstream calls. */
export async function journalSince(seq: number): Promise<{ lastSeq: number; entries: JournalEntry[] }> {
  const context = await request.newContext({ ignoreHTTPSErrors: true });
  try {
    const response = await context.get(`${TENANT_ORIGIN}/_sandbox/journal?since=${seq}`);
    const body = (await response.json()) as { lastSeq: number; value: JournalEntry[] };
    return { lastSeq: body.lastSeq, entries: body.value };
  } finally {
    await context.dispose();
  }
}

export async function currentJournalSeq(): Promise<number> {
  return (await journalSince(Number.MAX_SAFE_INTEGER)).lastSeq;
}

/**
 * Graph and ARM calls made on a person's behalf (sign-in traffic to Entra is not an upstream data call). The console's
 * own scheduled work — the notification outbox, the intent reconciler — runs as its service principal at any moment,
 * so a "this request made no call" check that counted it would fail whenever a job happened to run alongside.
 */
export function callsOnSomeonesBehalf(entries: readonly JournalEntry[]): JournalEntry[] {
  return entries.filter((entry) => (entry.system === "graph" || entry.system === "arm") && entry.callerObjectId !== CONSOLE_API_SERVICE_PRINCIPAL_ID);
}
