"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { resumeBundleGrant as resume } from "@/lib/bundles/grant-bundle";
import { partView } from "@/lib/bundles/views";
import { grantBundleOnWorkspace, removeBundleGrant as remove } from "@/lib/bundles/workspace-bundles";
import { bundleIdSchema as bundleId, objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";

const bundleGrantId = z.uuid({ error: "must be a bundle grant id" });

/** Grants a bundle on a workspace to one principal, as one unit with a result per part. */
export const grantBundle = serverAction("grantBundle", z.strictObject({ workspaceId, bundleId, principalId: objectId }), async (context, input) => {
  const result = await grantBundleOnWorkspace(delegatedContext(context), input);
  return { status: result.grant.status, parts: result.parts.map(partView), ...(result.claims ? { claims: result.claims } : {}) };
});

/** Grants the parts of a bundle that do not hold (failed, or removed since): "bundle partial" and "bundle incomplete". */
export const resumeBundleGrant = serverAction("resumeBundleGrant", z.strictObject({ bundleGrantId }), async (context, input) => {
  const result = await resume(delegatedContext(context), input.bundleGrantId);
  return { status: result.grant.status, parts: result.parts.map(partView), ...("claims" in result && result.claims ? { claims: result.claims } : {}) };
});

/** Removes a bundle granted on the workspace page, as one unit. */
export const removeBundleGrant = serverAction("removeBundleGrant", z.strictObject({ bundleGrantId }), async (context, input) => {
  const outcome = await remove(delegatedContext(context), input.bundleGrantId);
  if (outcome.status === "in_progress") {
    return { status: "in_progress" as const, message: "Another change to one of its parts is in progress. Try again in a minute." };
  }
  if (outcome.status === "failed") {
    return { status: "failed" as const, message: `Some parts could not be removed: ${outcome.userMessage}`, parts: outcome.parts.map(partView) };
  }
  return {
    status: "ended" as const,
    message: `Ended: ${outcome.removed} removed, ${outcome.kept} kept for other holders.`,
    parts: outcome.parts.map(partView),
  };
});
