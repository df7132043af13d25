import "server-only";

import { asc, eq } from "drizzle-orm";

import type { AuditActor } from "@/lib/audit";
import type { Database, DatabaseTransaction } from "@/lib/db";
import { groupMappings } from "./schema";
import type { MappingRecord } from "./drift";

type Queryable = Database | DatabaseTransaction;

export function actorLabel(actor: AuditActor): string {
  if (actor.kind === "user") return actor.userPrincipalName;
  if (actor.kind === "system") return `Gatehouse (${actor.appId})`;
  return "unknown";
}

export function toRecord(row: typeof groupMappings.$inferSelect): MappingRecord {
  return {
    id: row.id,
    scope: row.scope,
    groupId: row.groupId,
    groupDisplayName: row.groupDisplayName,
    roleDefinitionId: row.roleDefinitionId,
    roleName: row.roleName,
    assignmentName: row.assignmentName,
    createdAt: row.createdAt.toISOString(),
    createdBy: actorLabel(row.createdBy as AuditActor),
  };
}

/** Every mapping, or a workspace's, ordered by workspace then group name. */
export async function listMappings(db: Queryable, workspaceId?: string): Promise<MappingRecord[]> {
  const query = db.select().from(groupMappings);
  const rows = await (workspaceId ? query.where(eq(groupMappings.scopeKey, workspaceId.toLowerCase())) : query).orderBy(
    asc(groupMappings.scopeKey),
    asc(groupMappings.groupDisplayName),
    asc(groupMappings.roleName),
  );
  return rows.map(toRecord);
}

export async function findMapping(db: Queryable, id: string): Promise<MappingRecord | undefined> {
  const [row] = await db.select().from(groupMappings).where(eq(groupMappings.id, id));
  return row ? toRecord(row) : undefined;
}

/** The key under which a mapping is unique: workspace, group and role, lower case. */
export function mappingKey(mapping: { scope: string; groupId: string; roleDefinitionId: string }): string {
  return `${mapping.scope.toLowerCase()}|${mapping.groupId.toLowerCase()}|${mapping.roleDefinitionId.toLowerCase()}`;
}

export function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
