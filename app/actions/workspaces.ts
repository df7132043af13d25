"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { searchPrincipals as search } from "@/lib/graph/search-principals";
import { checkWorkspaceAccess as check } from "@/lib/workspaces/check-workspace-access";
import { getGrantOptions as grantOptions } from "@/lib/workspaces/get-grant-options";
import { grantOnWorkspacePage as grant } from "@/lib/workspaces/grant-on-workspace-page";
import { revokeWorkspaceRoles as revoke } from "@/lib/workspaces/revoke-workspace-roles";
import { objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";

/** Users, groups, service principals and managed identities matching a name, or one object id. */
export const searchPrincipals = serverAction(
  "searchPrincipals",
  z.strictObject({
    query: z.string().trim().min(2, { error: "Type at least 2 characters" }).max(100),
    kinds: z
      .array(z.enum(["user", "group", "servicePrincipal"]))
      .min(1)
      .default(["user", "group", "servicePrincipal"]),
  }),
  async (context, input) => search(delegatedContext(context).caller, input.query, input.kinds),
);

/** A principal's effective roles on a workspace, with the group path that grants each. */
export const checkWorkspaceAccess = serverAction("checkWorkspaceAccess", z.strictObject({ workspaceId, principalId: objectId }), async (context, input) =>
  check(delegatedContext(context).caller, input.workspaceId, input.principalId),
);

/**
 * Roles and the subscription's assignment budget for the grant dialog. Loaded when the dialog opens, so the access
 * page itself costs one ARM list call, not a count of the whole subscription too.
 */
export const getGrantOptions = serverAction("getGrantOptions", z.strictObject({ workspaceId }), async (context, input) =>
  grantOptions(delegatedContext(context).caller, input.workspaceId),
);

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
