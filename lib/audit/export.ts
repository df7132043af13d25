import "server-only";

import type { Database } from "@/lib/db/client";
import { type AuditEventRecord, type AuditFilter, auditFilterConditions, fetchAuditEventBatch } from "./search";
import { csvField } from "@/lib/shared/csv";

export type AuditExportFormat = "csv" | "jsonl";

export interface ExportAuditEventsOptions {
  /** Events read per query, and so per chunk yielded; memory stays bounded by one batch. */
  readonly batchSize?: number;
}

const CSV_COLUMNS: readonly [string, (event: AuditEventRecord) => string | number | null][] = [
  ["id", (event) => event.id],
  ["occurred_at", (event) => event.occurredAt.toISOString()],
  ["actor_kind", (event) => event.actor.kind],
  ["actor_tenant_id", (event) => event.actor.tenantId],
  ["actor_object_id", (event) => event.actor.objectId],
  ["actor_display_name", (event) => event.actor.displayName],
  ["actor_upn", (event) => event.actor.userPrincipalName],
  ["actor_app_id", (event) => event.actor.appId],
  ["action", (event) => event.action],
  ["outcome", (event) => event.outcome],
  ["error_code", (event) => event.errorCode],
  ["target_scope", (event) => event.target.scope],
  ["target_principal_id", (event) => event.target.principalId],
  ["target_principal_type", (event) => event.target.principalType],
  ["target_role_definition_id", (event) => event.target.roleDefinitionId],
  ["target_role_name", (event) => event.target.roleName],
  ["target_request_id", (event) => event.target.requestId],
  ["reason", (event) => event.reason],
  ["console_request_id", (event) => event.correlation.consoleRequestId],
  ["arm_request_id", (event) => event.correlation.armRequestId],
  ["graph_request_id", (event) => event.correlation.graphRequestId],
  // Where (after the fixed-shape columns: a user agent has commas of its own).
  ["session_id", (event) => event.origin.sessionId],
  ["client_address", (event) => event.origin.clientAddress],
  ["user_agent", (event) => event.origin.userAgent],
  ["job", (event) => event.origin.job],
  ["details", (event) => JSON.stringify(event.details)],
  ["prev_hash", (event) => event.prevHash],
  ["hash", (event) => event.hash],
];

/**
 * The events matching a filter, newest first, as CSV (RFC 4180, with a header row) or JSON Lines. Yields one chunk
 * per batch read by keyset, so an export of any size holds one batch in memory; stream the chunks to the response.
 */
export async function* exportAuditEvents(
  db: Database,
  filter: AuditFilter,
  format: AuditExportFormat,
  options: ExportAuditEventsOptions = {},
): AsyncGenerator<string, void, undefined> {
  const batchSize = options.batchSize ?? 1000;
  const conditions = auditFilterConditions(filter);
  if (format === "csv") yield csvLine(CSV_COLUMNS.map(([name]) => name));

  let after: { occurredAt: Date; id: number } | undefined;
  for (;;) {
    const batch = await fetchAuditEventBatch(db, conditions, after, batchSize);
    if (batch.length > 0) {
      yield batch.map((event) => (format === "csv" ? csvLine(CSV_COLUMNS.map(([, value]) => value(event))) : `${JSON.stringify(event)}\n`)).join("");
    }
    const last = batch.at(-1);
    if (!last || batch.length < batchSize) return;
    after = { occurredAt: last.occurredAt, id: last.id };
  }
}

function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map((value) => csvField(value)).join(",")}\r\n`;
}

export { csvField };
