"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { resumeBundleGrant as resume } from "@/lib/bundles/grant-bundle";
import { previewBundleDelta as previewDelta } from "@/lib/bundles/preview-bundle-delta";
import { partView } from "@/lib/bundles/views";
import { grantBundleOnWorkspace, planBundleGrant as plan, removeBundleGrant as remove } from "@/lib/bundles/workspace-bundles";
import { objectIdSchema as objectId, workspaceIdSchema as workspaceId } from "@/lib/shared/schemas";

const bundleId = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: "Choose a bundle from the list" });
const bundleGrantId = z.uuid({ error: "must be a bundle grant id" });

/** What granting a bundle on a workspace would do, part by part, and its cost against each subscription's budget. */
export const planBundleGrant = serverAction("planBundleGrant", z.strictObject({ workspaceId, bundleId }), async (context, input) => {
  const view = await plan(delegatedContext(context).caller, input);
  return {
    bundleName: view.bundleName,
    description: view.description,
    grantable: view.grantable,
    parts: view.parts.map((part) => ({
      key: part.key,
      roleName: part.roleName,
      roleDefinitionId: part.roleDefinitionId,
      scope: part.scope,
      on: part.on,
      resourceName: part.resourceName,
      why: part.why,
      state: part.state,
      note: part.note ?? null,
    })),
    budgets: view.budgets,
  };
});

/**
 * What a bundle would add for a principal, part by part on the resources it lands on (the request form, the approval
 * dialog, the grant dialog). Admins, and requesters for the policy's bundles; the bundle is placed on the server.
 */
export const previewBundleDelta = serverAction("previewBundleDelta", z.strictObject({ workspaceId, bundleId, principalId: objectId }), async (context, input) =>
  previewDelta(delegatedContext(context), input, { consoleRoles: context.session.principal.roles }),
);

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
