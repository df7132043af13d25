import "server-only";

import { eq } from "drizzle-orm";

import type { DelegatedContext } from "@/lib/auth/caller";
import type { Database } from "@/lib/db";
import { describeError, log } from "@/lib/log";
import { type PermissionDeltaPreview, previewPermissionDelta } from "@/lib/permissions/preview-permission-delta";
import { deltaCountLine } from "@/lib/shared/delta-summary";
import type { RequestPolicy } from "./policy";
import { accessRequests, type AccessRequestRow } from "./schema";

/** The one line approvers are told about what a request adds, from a preview read as the requester. */
export function deltaSummaryLine(preview: PermissionDeltaPreview): string {
  if (preview.currentAccess === "read" && preview.delta.alreadyCovered) return "Nothing new: the principal already holds all of it";
  const line = deltaCountLine({ ...preview.summary, atLeast: preview.delta.atLeast });
  // Said, so that an approver never reads "everything the role allows" as what the principal would newly gain.
  return preview.currentAccess === "read" ? line : `${line} (everything the role allows: the requester could not read current access)`;
}

/**
 * Stores what the role adds on a request just filed, as the requester saw it on the form (the same preview, read as
 * them: the role's definition as the console, current access as the requester). Never blocks the submission: when it
 * cannot be computed (Azure unavailable, a bundle, a role outside the policy), the request keeps no summary and
 * notifications leave the fact out.
 */
export async function withDeltaSummary(
  db: Database,
  context: DelegatedContext,
  request: AccessRequestRow,
  options: { readonly policy?: RequestPolicy } = {},
): Promise<AccessRequestRow> {
  // A bundle's parts land on several resources; one count line for all of them would mislead, so none is stored.
  if (request.bundleId) return request;
  try {
    const [preview] = await previewPermissionDelta(
      context,
      { principalId: request.principalId, parts: [{ scope: request.workspaceId, roleDefinitionId: request.roleDefinitionId }] },
      { consoleRoles: [], ...(options.policy ? { policy: options.policy } : {}) },
    );
    if (!preview) return request;
    const deltaSummary = deltaSummaryLine(preview).slice(0, 500);
    const [updated] = await db.update(accessRequests).set({ deltaSummary }).where(eq(accessRequests.id, request.id)).returning();
    return updated ?? request;
  } catch (error) {
    log("info", "requests", "no permission-delta summary for the request's notifications", { requestId: request.id, error: describeError(error) });
    return request;
  }
}
