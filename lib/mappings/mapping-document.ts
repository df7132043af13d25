import "server-only";

import { z } from "zod";

import { recordAuditEvent } from "@/lib/audit";
import type { DelegatedContext } from "@/lib/auth/caller";
import { requireStepUp } from "@/lib/auth/step-up";
import { type Database, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { parseScope } from "@/lib/shared/arm-scope";
import { objectIdSchema } from "@/lib/shared/schemas";
import { roleGrantability } from "@/lib/workspaces/grantable-roles";
import { getRoleDefinitions } from "@/lib/workspaces/role-definitions";
import type { MappingRecord } from "./drift";
import { createMapping, deleteMapping } from "./mappings";
import { listMappings, mappingKey } from "./store";

/**
 * Mappings as code: a JSON document listing the desired mappings, exported from the console and imported back (dry
 * run first). Importing makes the mappings what the document says, one create or delete at a time through
 * `createMapping` / `deleteMapping`, each with its own result.
 */

const guid = objectIdSchema;

export const mappingDocumentSchema = z.strictObject({
  kind: z.literal("gatehouse.mappings"),
  version: z.literal(1),
  exportedAt: z.string().max(64).optional(),
  mappings: z
    .array(
      z.strictObject({
        workspaceId: z
          .string()
          .min(1)
          .max(512)
          .refine((value) => parseScope(value)?.level === "workspace", { error: "must be an Azure ML workspace id" }),
        groupId: guid,
        groupDisplayName: z.string().max(256).optional(),
        roleDefinitionId: guid,
        roleName: z.string().max(256).optional(),
      }),
    )
    .max(5000),
});
export type MappingDocument = z.infer<typeof mappingDocumentSchema>;

export function exportMappingsDocument(mappings: readonly MappingRecord[], now = new Date()): MappingDocument {
  return {
    kind: "gatehouse.mappings",
    version: 1,
    exportedAt: now.toISOString(),
    mappings: mappings.map((m) => ({
      workspaceId: m.scope,
      groupId: m.groupId,
      groupDisplayName: m.groupDisplayName,
      roleDefinitionId: m.roleDefinitionId,
      roleName: m.roleName,
    })),
  };
}

export interface ImportPlanEntry {
  readonly workspaceId: string;
  readonly groupId: string;
  readonly groupDisplayName: string;
  readonly roleDefinitionId: string;
  readonly roleName: string;
  readonly mappingId: string | null;
}

/** A create as the dry run shows it: `refusal` says why the grantable-role policy would refuse it (nothing is asked of Azure for it). */
export interface ImportPlanCreate extends ImportPlanEntry {
  readonly refusal?: string;
}

export interface ImportPlan {
  readonly creates: readonly ImportPlanCreate[];
  readonly deletes: readonly ImportPlanEntry[];
  readonly unchanged: readonly ImportPlanEntry[];
}

/** What importing the document would change: the document is the desired set of mappings. Pure. */
export function planImport(document: MappingDocument, current: readonly MappingRecord[]): ImportPlan {
  const wanted = new Map<string, ImportPlanEntry>();
  for (const m of document.mappings) {
    const entry = {
      workspaceId: parseScope(m.workspaceId)!.scope,
      groupId: m.groupId.toLowerCase(),
      groupDisplayName: m.groupDisplayName ?? m.groupId,
      roleDefinitionId: m.roleDefinitionId.toLowerCase(),
      roleName: m.roleName ?? m.roleDefinitionId,
      mappingId: null,
    };
    wanted.set(mappingKey({ scope: entry.workspaceId, ...entry }), entry);
  }
  const have = new Map(current.map((m) => [mappingKey(m), m]));
  const asEntry = (m: MappingRecord): ImportPlanEntry => ({
    workspaceId: m.scope,
    groupId: m.groupId,
    groupDisplayName: m.groupDisplayName,
    roleDefinitionId: m.roleDefinitionId,
    roleName: m.roleName,
    mappingId: m.id,
  });
  return {
    creates: [...wanted].filter(([key]) => !have.has(key)).map(([, entry]) => entry),
    deletes: [...have].filter(([key]) => !wanted.has(key)).map(([, m]) => asEntry(m)),
    unchanged: [...have].filter(([key]) => wanted.has(key)).map(([, m]) => asEntry(m)),
  };
}

export interface ImportItemResult {
  readonly change: "create" | "delete";
  readonly workspaceId: string;
  readonly groupDisplayName: string;
  readonly roleName: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface ImportResult {
  readonly plan: ImportPlan;
  readonly applied: boolean;
  readonly results: readonly ImportItemResult[];
}

interface JudgedCreate extends ImportPlanCreate {
  /** The role can change who has access (ARM's definition, as the caller reads it); false when it could not be read. */
  readonly privileged: boolean;
}

/**
 * Each create judged against the grantable-role policy with the role's definition as the caller reads it in ARM, the
 * same judgement `createMapping` makes, so the dry run flags the lines the import would refuse. A workspace whose roles
 * cannot be read leaves its lines to that per-create check (the built-in privileged roles are still flagged).
 */
async function judgeCreates(context: DelegatedContext, creates: readonly ImportPlanEntry[]): Promise<JudgedCreate[]> {
  const definitionsByScope = new Map<string, Awaited<ReturnType<typeof getRoleDefinitions>> | undefined>();
  for (const scope of new Set(creates.map((entry) => entry.workspaceId.toLowerCase()))) {
    definitionsByScope.set(scope, await getRoleDefinitions({ kind: "delegated", caller: context.caller }, scope).catch(() => undefined));
  }
  return creates.map((entry) => {
    const definition = definitionsByScope.get(entry.workspaceId.toLowerCase())?.get(entry.roleDefinitionId.toLowerCase());
    const verdict = roleGrantability({
      id: entry.roleDefinitionId,
      name: definition?.name ?? entry.roleName,
      ...(definition ? { permissions: definition.permissions } : {}),
    });
    return { ...entry, privileged: definition?.privileged ?? false, ...(verdict.grantable ? {} : { refusal: verdict.message }) };
  });
}

/**
 * Asked once for the whole import, before its first change, when a create maps to a privileged role: otherwise each
 * such create would be refused on its own (createMapping asks too), with no way to sign in again from the import.
 * A workspace whose roles cannot be read is left to that per-create check.
 */
async function requireImportStepUp(context: DelegatedContext, db: Database, creates: readonly JudgedCreate[]): Promise<void> {
  // A role that may not be granted at all is refused line by line; it asks for no stronger sign-in.
  const privileged = creates.filter((entry) => entry.privileged && entry.refusal === undefined).map((entry) => entry.roleName);
  if (privileged.length === 0) return;
  await requireStepUp(
    context,
    { reason: "privileged_grant", consoleAction: "importMappings", change: `import of mappings to ${[...new Set(privileged)].slice(0, 5).join(", ")}` },
    { db },
  );
}

/**
 * Imports a mappings document. With `dryRun` only the plan is returned. Otherwise each create goes through
 * `createMapping` (row, event, grant) and each delete through `deleteMapping` (optionally revoking), one by one with a
 * result each, and one `mapping.imported` event records the counts.
 */
export async function importMappingsDocument(
  context: DelegatedContext,
  input: { document: MappingDocument; dryRun: boolean; revokeRemoved: boolean; sourceName?: string },
): Promise<ImportResult> {
  const db = await getDatabase();
  const planned = planImport(input.document, await listMappings(db));
  const judged = await judgeCreates(context, planned.creates);
  const plan: ImportPlan = { ...planned, creates: judged.map(({ privileged: _privileged, ...entry }) => entry) };
  if (input.dryRun) return { plan, applied: false, results: [] };
  await requireImportStepUp(context, db, judged);
  const results: ImportItemResult[] = [];
  for (const entry of plan.creates) {
    try {
      const { mapping, grant } = await createMapping(context, entry, "Imported from a mappings document");
      results.push({
        change: "create",
        workspaceId: entry.workspaceId,
        groupDisplayName: mapping?.groupDisplayName ?? entry.groupDisplayName,
        roleName: mapping?.roleName ?? entry.roleName,
        ok: mapping !== null,
        message: grant.message,
      });
    } catch (error) {
      results.push({
        change: "create",
        workspaceId: entry.workspaceId,
        groupDisplayName: entry.groupDisplayName,
        roleName: entry.roleName,
        ok: false,
        message: error instanceof AppError ? error.userMessage : "Could not be created.",
      });
    }
  }
  for (const entry of plan.deletes) {
    try {
      const outcome = await deleteMapping(context, { mappingId: entry.mappingId!, revokeAssignment: input.revokeRemoved });
      results.push({
        change: "delete",
        workspaceId: entry.workspaceId,
        groupDisplayName: entry.groupDisplayName,
        roleName: entry.roleName,
        ok: outcome.deleted,
        message: outcome.message,
      });
    } catch (error) {
      results.push({
        change: "delete",
        workspaceId: entry.workspaceId,
        groupDisplayName: entry.groupDisplayName,
        roleName: entry.roleName,
        ok: false,
        message: error instanceof AppError ? error.userMessage : "Could not be deleted.",
      });
    }
  }
  const created = results.filter((r) => r.change === "create" && r.ok).length;
  const rejected = results.filter((r) => r.change === "create" && !r.ok).length;
  await db.transaction((tx) =>
    recordAuditEvent(tx, {
      action: "mapping.imported",
      outcome: rejected > 0 ? "failed" : "succeeded",
      ...(rejected > 0 ? { errorCode: "PartialImport" } : {}),
      actor: context.actor,
      target: {},
      correlation: { consoleRequestId: context.requestId },
      details: { created, unchanged: plan.unchanged.length, rejected, ...(input.sourceName ? { sourceName: input.sourceName.slice(0, 256) } : {}) },
    }),
  );
  return { plan, applied: true, results };
}
