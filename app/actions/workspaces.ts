"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { grantOnWorkspacePage as grant } from "@/lib/workspaces/grant-on-workspace-page";
import { revokeWorkspaceRoles as revoke } from "@/lib/workspaces/revoke-workspace-roles";
import { objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";

/**
 * Grants one role on a workspace to up to 50 principals, with a result per principal. A privileged role for the admin
 * themselves (or a group they are in) becomes a request for two other approvers instead.
 */
export const grantWorkspaceRoles = serverAction(
  "grantWorkspaceRoles",
  z.strictObject({
    workspaceId,
    roleDefinitionId: objectId,
    principals: z
      .array(z.strictObject({ id: objectId, kind: z.enum(["user", "group", "servicePrincipal", "managedIdentity"]), displayName: z.string().max(256) }))
      .min(1, { error: "Choose at least one user, group or service principal" })
      .max(50, { error: "Grant to at most 50 principals at once; use a group for more" }),
    description: z.string().trim().max(1000).optional(),
    alsoGrantHubReader: z.boolean().default(false),
    /** Resuming a bulk grant: the `attemptId`s of its earlier attempts (each principal's result names its own). */
    resumeOf: z.array(z.uuid()).max(50).optional(),
  }),
  async (context, input) => {
    const results = await grant(delegatedContext(context), input);
    return results;
  },
);

/** Removes role assignments made at a workspace, with a result per assignment. */
export const revokeWorkspaceRoles = serverAction(
  "revokeWorkspaceRoles",
  z.strictObject({
    workspaceId,
    assignmentIds: z.array(z.string().min(1).max(600)).min(1, { error: "Choose at least one assignment" }).max(200),
    confirmSelfLockout: z.boolean().default(false),
    /** Holders (requests, mappings) the admin was shown and agreed to end with the assignment. */
    acknowledgedHolderIds: z.array(z.number().int().positive()).max(1000).default([]),
    /** "Clean up orphans": only assignments whose principal the server itself confirms deleted are removed. */
    orphanCleanup: z.boolean().default(false),
  }),
  async (context, input) => {
    const results = await revoke(delegatedContext(context), input);
    return results;
  },
);
