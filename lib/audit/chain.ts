import "server-only";

import { createHash } from "node:crypto";

import type { auditEvents } from "@/lib/db/schema";

/** The `prev_hash` of the first event. */
export const GENESIS_HASH = "0".repeat(64);

/** The columns an event's hash covers: everything it records, not the chain links or the derived search vector. */
export type ChainedAuditColumns = Omit<typeof auditEvents.$inferSelect, "prevHash" | "hash" | "searchVector">;

/**
 * JSON with object keys sorted at every level and no whitespace, so the same values always give the same text
 * however they were built or read back (jsonb reorders keys).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("canonical JSON has no representation for a non-finite number");
      return JSON.stringify(value);
    case "object": {
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no representation for ${typeof value}`);
  }
}

/** `sha256(prev_hash || canonical_json(row))`, hex. */
export function hashAuditEvent(prevHash: string, row: ChainedAuditColumns): string {
  const chained: Omit<ChainedAuditColumns, "actorSessionId" | "actorClientAddress" | "actorUserAgent" | "actorJob"> & Partial<ChainedAuditColumns> = {
    id: row.id,
    occurredAt: row.occurredAt,
    actorKind: row.actorKind,
    actorTenantId: row.actorTenantId,
    actorObjectId: row.actorObjectId,
    actorDisplayName: row.actorDisplayName,
    actorUpn: row.actorUpn,
    actorAppId: row.actorAppId,
    // Added later (migration 0011): covered only when present, so events written before them hash as they did.
    ...(row.actorSessionId !== null ? { actorSessionId: row.actorSessionId } : {}),
    ...(row.actorClientAddress !== null ? { actorClientAddress: row.actorClientAddress } : {}),
    ...(row.actorUserAgent !== null ? { actorUserAgent: row.actorUserAgent } : {}),
    ...(row.actorJob !== null ? { actorJob: row.actorJob } : {}),
    action: row.action,
    targetScope: row.targetScope,
    targetPrincipalId: row.targetPrincipalId,
    targetPrincipalType: row.targetPrincipalType,
    targetRoleDefinitionId: row.targetRoleDefinitionId,
    targetRoleName: row.targetRoleName,
    targetRequestId: row.targetRequestId,
    outcome: row.outcome,
    errorCode: row.errorCode,
    reason: row.reason,
    consoleRequestId: row.consoleRequestId,
    armRequestId: row.armRequestId,
    graphRequestId: row.graphRequestId,
    details: row.details,
  };
  return createHash("sha256").update(prevHash).update(canonicalJson(chained)).digest("hex");
}
