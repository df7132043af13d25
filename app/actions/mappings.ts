"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { getDatabase } from "@/lib/db";
import { delegatedGraphClient } from "@/lib/graph/client";
import { collectDrift } from "@/lib/mappings/collect";
import { previewMembers } from "@/lib/mappings/directory";
import { exportMappingsDocument, importMappingsDocument, mappingDocumentSchema } from "@/lib/mappings/mapping-document";
import { createMapping as create, deleteMapping as remove, importWorkspaceGroupAssignments } from "@/lib/mappings/mappings";
import { applyReconcile as apply } from "@/lib/mappings/reconcile";
import { listMappings } from "@/lib/mappings/store";
import { getGrantOptions } from "@/lib/workspaces/get-grant-options";
import { objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";

/** The roles a mapping can give on a workspace (the grant dialog's list). */
export const mappingRoleOptions = serverAction(
  "mappingRoleOptions",
  z.strictObject({ workspaceId }),
  async (context, input) => (await getGrantOptions(delegatedContext(context).caller, input.workspaceId)).roles,
);

/**
 * Maps a group to a role on a workspace, then grants it; a refused grant removes the mapping again. A privileged role
 * for a group the admin is in becomes a request for two other approvers instead.
 */
export const createMapping = serverAction(
  "createMapping",
  z.strictObject({ workspaceId, groupId: objectId, roleDefinitionId: objectId }),
  async (context, input) => {
    const result = await create(delegatedContext(context), input);
    return result;
  },
);

/** Deletes a mapping, optionally removing the group's assignment too. */
export const deleteMapping = serverAction("deleteMapping", z.strictObject({ mappingId: z.uuid(), revokeAssignment: z.boolean() }), async (context, input) => {
  const result = await remove(delegatedContext(context), input);
  return result;
});

/** Turns every group assignment made at a workspace into a mapping, in one step. */
export const importWorkspaceMappings = serverAction("importWorkspaceMappings", z.strictObject({ workspaceId }), async (context, input) => {
  const result = await importWorkspaceGroupAssignments(delegatedContext(context), input.workspaceId);
  return result;
});

/** The first 50 members of a group (transitively), optionally matching a name, and the total count. */
export const previewGroupMembers = serverAction(
  "previewGroupMembers",
  z.strictObject({ groupId: objectId, search: z.string().trim().max(100).optional() }),
  async (context, input) => previewMembers(delegatedGraphClient(delegatedContext(context).caller), input.groupId, input.search || undefined),
);

/** Every mapping as a JSON document (config as code). */
export const exportMappings = serverAction("exportMappings", z.strictObject({}), async () => exportMappingsDocument(await listMappings(await getDatabase())));

/** Imports a mappings document: the plan with `dryRun`, otherwise applies it with a result per change. */
export const importMappings = serverAction(
  "importMappings",
  z.strictObject({
    document: mappingDocumentSchema,
    dryRun: z.boolean(),
    revokeRemoved: z.boolean().default(false),
    sourceName: z.string().trim().max(256).optional(),
  }),
  async (context, input) => {
    const result = await importMappingsDocument(delegatedContext(context), input);
    return result;
  },
);

/** Compares mappings with Azure now, as the signed-in person: one workspace, or every workspace they can read. */
export const checkMappingDrift = serverAction("checkMappingDrift", z.strictObject({ workspaceId: workspaceId.optional() }), async (context, input) => {
  const caller = delegatedContext(context).caller;
  return collectDrift(
    await getDatabase(),
    { kind: "delegated", caller },
    delegatedGraphClient(caller),
    input.workspaceId ? { workspaceId: input.workspaceId } : {},
  );
});

/** Applies the plan items the admin confirmed on one workspace, with a result per item. */
export const applyReconcile = serverAction(
  "applyReconcile",
  z.strictObject({ workspaceId, keys: z.array(z.string().min(1).max(1200)).min(1, { error: "Choose at least one change" }).max(200) }),
  async (context, input) => {
    const results = await apply(delegatedContext(context), input);
    return results;
  },
);
