/** The call journal: one entry per request the sandbox answered, so tests can count upstream calls. */

export type SandboxSystem = "entra" | "graph" | "arm" | "identity" | "monitor" | "control" | "index" | "metadata" | "chat" | "unknown";

export interface JournalEntry {
  readonly seq: number;
  /** Sandbox clock at the start of the request. */
  readonly at: string;
  readonly method: string;
  readonly path: string;
  /** Raw query string without `?` (empty when none). */
  readonly query: string;
  readonly system: SandboxSystem;
  readonly status: number;
  readonly callerObjectId: string | null;
  readonly callerAppId: string | null;
  readonly durationMs: number;
  readonly requestId: string;
  /** Id of the fault rule that changed the response, if any. */
  readonly faultId: string | null;
  /** Entra token requests: how the client authenticated (`none`, `secret`, `certificate`, `federated`); else null. */
  readonly clientCredential: "none" | "secret" | "certificate" | "federated" | null;
}

export interface JournalFilter {
  readonly system?: string;
  readonly method?: string;
  /** Case-insensitive substring of the path. */
  readonly pathContains?: string;
  /** Only entries with `seq` greater than this. */
  readonly since?: number;
  readonly status?: number;
}

const CAPACITY = 20_000;

export class Journal {
  private entries: JournalEntry[] = [];
  private nextSeq = 1;

  record(entry: Omit<JournalEntry, "seq">): JournalEntry {
    const recorded = { seq: this.nextSeq++, ...entry };
    this.entries.push(recorded);
    if (this.entries.length > CAPACITY) this.entries.splice(0, this.entries.length - CAPACITY);
    return recorded;
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    const pathNeedle = filter.pathContains?.toLowerCase();
    return this.entries.filter(
      (entry) =>
        (filter.system === undefined || entry.system === filter.system) &&
        (filter.method === undefined || entry.method === filter.method.toUpperCase()) &&
        (pathNeedle === undefined || entry.path.toLowerCase().includes(pathNeedle)) &&
        (filter.since === undefined || entry.seq > filter.since) &&
        (filter.status === undefined || entry.status === filter.status),
    );
  }

  /** Sequence number of the latest entry (0 when empty), for "calls since" checks. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries = [];
  }
}
