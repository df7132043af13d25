"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { previewPermissionDelta as preview } from "@/lib/permissions/preview-permission-delta";
import { parseScope } from "@/lib/shared/arm-scope";
import { objectIdSchema as objectId, workspaceIdSchema } from "@/lib/shared/schemas";

// The delta service also takes the resources a bundle's parts land on; this action is about one role on a workspace.
const workspaceId = workspaceIdSchema.refine((id) => parseScope(id)?.level === "workspace", { error: "Choose a workspace from the list" });

/**
 * What a principal would gain from one role on a workspace (the request form, the approval dialog, the grant dialog).
 * The same console roles as filing a request: requesters for the policy's roles, admins for any role. Role and
 * principal are read from Azure and the directory by id; nothing the browser names is trusted.
 */
export const previewPermissionDelta = serverAction(
  "previewPermissionDelta",
  z.strictObject({ workspaceId, roleDefinitionId: objectId, principalId: objectId }),
  async (context, input) => {
    const [result] = await preview(
      delegatedContext(context),
      { principalId: input.principalId, parts: [{ scope: input.workspaceId, roleDefinitionId: input.roleDefinitionId }] },
      { consoleRoles: context.session.principal.roles },
    );
    return result!;
  },
);
