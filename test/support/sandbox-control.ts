/** The shared test sandbox's control API (loopback only), for fault injection and call counting in lib/ tests. */
import { sandboxOrigin } from "./persona-token";

export interface FaultRule {
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly times?: number;
}

async function control(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sandboxOrigin()}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

export async function addFault(rule: FaultRule): Promise<void> {
  await control("POST", "faults", rule);
}

export async function clearFaults(): Promise<void> {
  await control("DELETE", "faults");
}

export interface JournalEntry {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly system: string;
  readonly status: number;
}

export async function journalSeq(): Promise<number> {
  return ((await control("GET", `journal?since=${Number.MAX_SAFE_INTEGER}`)) as { lastSeq: number }).lastSeq;
}

export async function journalSince(seq: number): Promise<JournalEntry[]> {
  return ((await control("GET", `journal?since=${seq}`)) as { value: JournalEntry[] }).value;
}
