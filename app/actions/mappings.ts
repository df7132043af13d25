"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { importMappingsDocument, mappingDocumentSchema } from "@/lib/mappings/mapping-document";
import { createMapping as create, deleteMapping as remove, importWorkspaceGroupAssignments } from "@/lib/mappings/mappings";
import { applyReconcile as apply } from "@/lib/mappings/reconcile";
import { objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";

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

/** Applies the plan items the admin confirmed on one workspace, with a result per item. */
export const applyReconcile = serverAction(
  "applyReconcile",
  z.strictObject({ workspaceId, keys: z.array(z.string().min(1).max(1200)).min(1, { error: "Choose at least one change" }).max(200) }),
  async (context, input) => {
    const results = await apply(delegatedContext(context), input);
    return results;
  },
);
