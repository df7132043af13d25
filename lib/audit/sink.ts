import "server-only";

import { readFile } from "node:fs/promises";

import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { AggregateLogsUploadError, LogsIngestionClient } from "@azure/monitor-ingestion";
import { z } from "zod";

import { getAppToken } from "@/lib/azure/tokens";
import { describeError } from "@/lib/log";
import type { ChainedAuditColumns } from "./chain";
import type { SignedAuditCheckpoint } from "./checkpoint";

/**
 * The audit trail's external sink: Azure Monitor through the Logs Ingestion API (a data collection rule's custom
 * stream into the Log Analytics table `GatehouseAudit_CL`; docs/audit-siem.md), or the sandbox tenant's emulation of
 * that endpoint. One record per event and one per signed checkpoint, with the columns below.
 */
export interface ShippedAuditRecord {
  readonly TimeGenerated: string;
  readonly RecordType: "event" | "checkpoint";
  /** The event's id, or the id of the last event a checkpoint covers. */
  readonly Sequence: number;
  /** The event's hash, or the chain's hash at `Sequence` for a checkpoint. */
  readonly Hash: string;
  readonly PrevHash: string;
  readonly Action: string;
  readonly Outcome: string;
  readonly ActorUpn: string;
  readonly ActorObjectId: string;
  readonly ActorAppId: string;
  /** Where: the console session (its row id), the client address and user agent it recorded, or the job. */
  readonly SessionId: string;
  readonly ClientAddress: string;
  readonly UserAgent: string;
  readonly Job: string;
  readonly TargetScope: string;
  readonly TargetPrincipalId: string;
  readonly TargetRoleName: string;
  /** Every field the event's hash covers (a `dynamic` column), so the SIEM holds the whole event. */
  readonly Event: Record<string, unknown> | null;
  /** Checkpoints only: the signed time (kept as text: the signature covers these exact characters). */
  readonly CheckpointTime: string;
  readonly Signature: string;
  readonly KeyId: string;
}

export function eventRecord(row: ChainedAuditColumns & { prevHash: string; hash: string }): ShippedAuditRecord {
  const { prevHash, hash, ...event } = row;
  return {
    TimeGenerated: row.occurredAt.toISOString(),
    RecordType: "event",
    Sequence: row.id,
    Hash: hash,
    PrevHash: prevHash,
    Action: row.action,
    Outcome: row.outcome,
    ActorUpn: row.actorUpn ?? "",
    ActorObjectId: row.actorObjectId ?? "",
    ActorAppId: row.actorAppId ?? "",
    SessionId: row.actorSessionId ?? "",
    ClientAddress: row.actorClientAddress ?? "",
    UserAgent: row.actorUserAgent ?? "",
    Job: row.actorJob ?? "",
    TargetScope: row.targetScope ?? "",
    TargetPrincipalId: row.targetPrincipalId ?? "",
    TargetRoleName: row.targetRoleName ?? "",
    Event: { ...event, occurredAt: row.occurredAt.toISOString() },
    CheckpointTime: "",
    Signature: "",
    KeyId: "",
  };
}

export function checkpointRecord(checkpoint: SignedAuditCheckpoint): ShippedAuditRecord {
  return {
    TimeGenerated: checkpoint.time,
    RecordType: "checkpoint",
    Sequence: checkpoint.sequence,
    Hash: checkpoint.headHash,
    PrevHash: "",
    Action: "audit.checkpoint",
    Outcome: "succeeded",
    ActorUpn: "",
    ActorObjectId: "",
    ActorAppId: "",
    SessionId: "",
    ClientAddress: "",
    UserAgent: "",
    Job: "",
    TargetScope: "",
    TargetPrincipalId: "",
    TargetRoleName: "",
    Event: null,
    CheckpointTime: checkpoint.time,
    Signature: checkpoint.signature,
    KeyId: checkpoint.keyId,
  };
}

export interface AuditSink {
  /** Where records go, for logs. */
  readonly description: string;
  /** Sends records in order; throws when any was refused (the caller sends them again later). */
  upload(records: readonly ShippedAuditRecord[]): Promise<void>;
}

/**
 * The Logs Ingestion API accepts at most 1 MB per call (413 ContentLengthLimitExceeded above 1,048,576 bytes:
 * https://learn.microsoft.com/azure/azure-monitor/fundamentals/service-limits#logs-ingestion-api). The SDK splits
 * at 1,000,000 bytes of JSON too, but sends the chunks concurrently and carries on after a failed one; chunks are
 * split here and sent one at a time, stopping at the first failure, so the sink receives the trail in order.
 */
export const MAX_UPLOAD_BYTES = 1_000_000;

export function chunkRecords(records: readonly ShippedAuditRecord[], maxBytes = MAX_UPLOAD_BYTES): ShippedAuditRecord[][] {
  const chunks: ShippedAuditRecord[][] = [];
  let chunk: ShippedAuditRecord[] = [];
  let size = 2; // the array's brackets
  for (const record of records) {
    const recordSize = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (chunk.length > 0 && size + recordSize > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 2;
    }
    chunk.push(record);
    size += recordSize;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

// The SDK only needs to know the token is not expired yet; MSAL caches and renews it.
const TOKEN_REUSE_MS = 5 * 60_000;

const consoleMonitorCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: (await getAppToken("monitor")).reveal(), expiresOnTimestamp: Date.now() + TOKEN_REUSE_MS };
  },
};

/** Ships through `@azure/monitor-ingestion` as the console's own identity (Monitoring Metrics Publisher on the DCR). */
export function logsIngestionSink(
  settings: { endpoint: string; dcrImmutableId: string; streamName: string },
  credential: TokenCredential = consoleMonitorCredential,
): AuditSink {
  const client = new LogsIngestionClient(settings.endpoint, credential);
  return {
    description: `${settings.endpoint} ${settings.dcrImmutableId}/${settings.streamName}`,
    async upload(records) {
      for (const chunk of chunkRecords(records)) {
        try {
          await client.upload(settings.dcrImmutableId, settings.streamName, chunk as unknown as Record<string, unknown>[], { maxConcurrency: 1 });
        } catch (error) {
          throw new Error(`the Logs Ingestion API refused the audit records: ${uploadFailure(error)}`, { cause: error });
        }
      }
    },
  };
}

function uploadFailure(error: unknown): string {
  const cause = error instanceof AggregateLogsUploadError ? error.errors[0]?.cause : error;
  const status = (cause as { statusCode?: number } | undefined)?.statusCode;
  const code = (cause as { code?: string } | undefined)?.code;
  return `${status ? `HTTP ${status} ` : ""}${code ? `${code} ` : ""}${describeError(cause)}`;
}

const text = z.union([z.string(), z.null()]).transform((value) => value ?? "");

/**
 * A record as read back from the sink: the sandbox's store, or a row of `az monitor log-analytics query` output
 * (Log Analytics adds its own columns, and may give numbers as text and `dynamic` columns as JSON text).
 */
export const anchorRecordSchema = z.object({
  RecordType: z.enum(["event", "checkpoint"]),
  Sequence: z.coerce.number().int().min(1),
  Hash: z.string().regex(/^[0-9a-f]{64}$/),
  TimeGenerated: z.string(),
  CheckpointTime: text.optional(),
  Signature: text.optional(),
  KeyId: text.optional(),
});

export type AnchorRecord = z.output<typeof anchorRecordSchema>;

export function parseAnchorRecords(value: unknown, source: string): AnchorRecord[] {
  const rows = Array.isArray(value) ? value : (value as { value?: unknown } | null)?.value;
  if (!Array.isArray(rows)) throw new Error(`${source} is not a JSON array of audit records.`);
  return rows.map((row, index) => {
    const parsed = anchorRecordSchema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source}: record ${index + 1} is not an audit record (${issue?.path.join(".") || "row"}: ${issue?.message ?? "invalid"}).`);
    }
    return parsed.data;
  });
}

/** Reads the records an operator exported from Log Analytics (docs/audit-siem.md has the query). */
export async function readAnchorFile(filePath: string): Promise<AnchorRecord[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(filePath, "utf8"));
  } catch (error) {
    throw new Error(`The anchor file ${filePath} could not be read as JSON: ${describeError(error)}`, { cause: error });
  }
  return parseAnchorRecords(json, `The anchor file ${filePath}`);
}

/**
 * Reads back what the sandbox's ingestion endpoint kept for the audit stream (its control API, loopback only): the
 * sandbox's stand-in for querying the Log Analytics table.
 */
export async function readSandboxAnchors(sandboxOrigin: string, settings: { dcrImmutableId: string; streamName: string }): Promise<AnchorRecord[]> {
  const query = new URLSearchParams({ dcr: settings.dcrImmutableId, stream: settings.streamName });
  const response = await fetch(`${sandboxOrigin}/_sandbox/ingested-logs?${query.toString()}`, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`The sandbox tenant's ingested logs could not be read (HTTP ${response.status}).`);
  const body = (await response.json()) as { value?: { record?: unknown }[] };
  return parseAnchorRecords(
    (body.value ?? []).map((entry) => entry.record),
    "The sandbox tenant's ingested logs",
  );
}
