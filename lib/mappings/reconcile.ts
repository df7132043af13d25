import "server-only";

import type { DelegatedContext } from "@/lib/auth/caller";
import { requireStepUp } from "@/lib/auth/step-up";
import { type AuditEventInput, PRINCIPAL_TYPES, type PrincipalType, recordAuditEventNow } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { type Database, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { parseScope } from "@/lib/shared/arm-scope";
import { grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { roleGrantability } from "@/lib/workspaces/grantable-roles";
import { revokeWorkspaceRoles } from "@/lib/workspaces/revoke-workspace-roles";
import { getRoleDefinitions } from "@/lib/workspaces/role-definitions";
import { collectDrift, invalidMappingWorkspace } from "./collect";
import type { DriftItem, PlanChange } from "./drift";

export type ReconcileStatus = "applied" | "failed" | "skipped";

export interface ReconcileItemResult {
  readonly key: string;
  readonly change: PlanChange | null;
  readonly principalName: string;
  readonly roleName: string;
  readonly status: ReconcileStatus;
  readonly message: string;
  readonly reference?: string;
  /** For `failed`: Azure wants a new sign-in with these claims (e.g. MFA) before it makes this change. */
  readonly claims?: string;
}

function principalType(value: string): PrincipalType {
  return PRINCIPAL_TYPES.find((type) => type.toLowerCase() === value.toLowerCase()) ?? "User";
}

/**
 * Applies the plan items an admin confirmed on one workspace. The plan is computed again first (as the admin, from
 * Azure as it is now): a key the browser sent is only acted on if it is still in the plan. Creates run before
 * deletes, and a redundant direct assignment is only removed once its group's assignment exists, so nobody loses
 * access in between. Each item goes through `grantWorkspaceRoles` / `revokeWorkspaceRoles` (intent, ARM, outcome)
 * and gets its own `reconcile.item_applied` or `reconcile.item_failed` event.
 */
/**
 * Decided for the whole plan before its first change, so that a reconcile is never cut off halfway by the step-up
 * its own grants or removals would ask for (lib/auth/step-up.ts): a privileged grant, or many removals at once.
 */
async function requireReconcileStepUp(context: DelegatedContext, db: Database, scope: string, selected: readonly DriftItem[]): Promise<void> {
  const grants = selected.filter((item) => item.change === "grant");
  if (grants.length > 0) {
    const definitions = await getRoleDefinitions({ kind: "delegated", caller: context.caller }, scope);
    // A role that may not be granted at all is refused item by item below; it asks for no stronger sign-in.
    const privileged = grants.find(
      (item) =>
        definitions.get(item.roleDefinitionId.toLowerCase())?.privileged &&
        roleGrantability({ id: item.roleDefinitionId, name: item.roleName, changesAccess: true }).grantable,
    );
    if (privileged) {
      await requireStepUp(
        context,
        {
          reason: "privileged_grant",
          consoleAction: "applyReconcile",
          change: `grant of ${privileged.roleName}`,
          target: { scope, roleName: privileged.roleName },
        },
        { db },
      );
    }
  }
  const removals = selected.filter((item) => item.change === "revoke").length;
  if (removals >= getConfig().stepUp.bulkRemovalMin) {
    await requireStepUp(
      context,
      { reason: "bulk_removal", consoleAction: "applyReconcile", change: `removal of ${removals} assignments`, target: { scope } },
      { db },
    );
  }
}

export async function applyReconcile(context: DelegatedContext, input: { workspaceId: string; keys: readonly string[] }): Promise<ReconcileItemResult[]> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidMappingWorkspace(input.workspaceId);
  const db = await getDatabase();
  const report = await collectDrift(db, { kind: "delegated", caller: context.caller }, delegatedGraphClient(context.caller), { workspaceId: workspace.scope });
  const plan = new Map((report.workspaces[0]?.items ?? []).map((item) => [item.key, item]));
  const wanted = [...new Set(input.keys.map((key) => key.toLowerCase()))];
  const results = new Map<string, ReconcileItemResult>();
  const selected: DriftItem[] = [];
  for (const key of wanted) {
    const item = plan.get(key);
    if (!item || item.change === null) {
      results.set(key, {
        key,
        change: item?.change ?? null,
        principalName: item?.principalName ?? "",
        roleName: item?.roleName ?? "",
        status: "skipped",
        message: "No longer in the plan: Azure already matches, or the item changed. Check drift again.",
      });
    } else {
      selected.push(item);
    }
  }

  await requireReconcileStepUp(context, db, workspace.scope, selected);

  const created = new Set<string>();
  for (const item of selected.filter((candidate) => candidate.change === "grant")) {
    let grant;
    try {
      [grant] = await grantWorkspaceRoles(context, {
        workspaceId: workspace.scope,
        roleDefinitionId: item.roleDefinitionId,
        principals: [{ id: item.principalId, kind: "group", displayName: item.principalName }],
        description: "Managed by a Gatehouse group mapping",
        // The mapping the plan item comes from holds the assignment it asks for.
        ...(item.mappingId ? { holder: { kind: "mapping" as const, mappingId: item.mappingId } } : {}),
      });
    } catch (error) {
      // A refusal of the whole grant (a role the grantable-role policy forbids, one no longer assignable here) is this
      // item's failure; the other items still run.
      if (!(error instanceof AppError)) throw error;
      results.set(
        item.key,
        await settle(context, item, false, error.userMessage, undefined, error.code === "forbidden" ? "RoleNotGrantable" : "ReconcileItemFailed"),
      );
      continue;
    }
    const ok = grant !== undefined && (grant.status === "granted" || grant.status === "already_granted");
    if (ok) created.add(item.key);
    results.set(item.key, withClaims(await settle(context, item, ok, grant?.message ?? "No result.", grant?.reference), grant?.claims));
  }

  const deletes = selected.filter((candidate) => candidate.change === "revoke");
  const ready = deletes.filter((item) => item.dependsOn === null || created.has(item.dependsOn));
  for (const item of deletes.filter((candidate) => !ready.includes(candidate))) {
    results.set(
      item.key,
      await settle(
        context,
        item,
        false,
        "Skipped: the mapped group's assignment does not exist yet. Apply its create first, so this person keeps access.",
        undefined,
        "DependencyNotMet",
        "skipped",
      ),
    );
  }
  if (ready.length > 0) {
    const revoked = await revokeWorkspaceRoles(context, {
      workspaceId: workspace.scope,
      assignmentIds: ready.map((item) => item.assignmentId!),
      confirmSelfLockout: false,
    });
    const byId = new Map(revoked.map((result) => [result.assignmentId.toLowerCase(), result]));
    for (const item of ready) {
      const result = byId.get(item.assignmentId!.toLowerCase());
      const ok = result !== undefined && (result.status === "revoked" || result.status === "already_gone");
      // Left in place on purpose (the identity reads back now, or could not be confirmed deleted): not a failure.
      const skipped = result?.status === "skipped";
      results.set(
        item.key,
        withClaims(
          await settle(
            context,
            item,
            ok,
            result?.message ?? "No result.",
            result?.reference,
            skipped ? "PrincipalNotConfirmedDeleted" : undefined,
            skipped ? "skipped" : undefined,
          ),
          result?.claims,
        ),
      );
    }
  }
  return wanted.map((key) => results.get(key)!);
}

function withClaims(result: ReconcileItemResult, claims: string | undefined): ReconcileItemResult {
  return claims && result.status === "failed" ? { ...result, claims } : result;
}

async function settle(
  context: DelegatedContext,
  item: DriftItem,
  ok: boolean,
  message: string,
  reference: string | undefined,
  errorCode = "ReconcileItemFailed",
  failedStatus: ReconcileStatus = "failed",
): Promise<ReconcileItemResult> {
  const change = item.change!;
  const target = {
    scope: item.workspaceId,
    principalId: item.principalId,
    principalType: principalType(item.principalType),
    roleDefinitionId: item.roleDefinitionId,
    roleName: item.roleName.slice(0, 256),
  };
  const common = {
    actor: context.actor,
    target,
    correlation: { consoleRequestId: context.requestId, ...(reference ? { armRequestId: reference } : {}) },
    reason: item.reason.slice(0, 2000),
  };
  const event: AuditEventInput = ok
    ? { ...common, action: "reconcile.item_applied", outcome: "succeeded", details: { change, ...(item.mappingId ? { mappingId: item.mappingId } : {}) } }
    : {
        ...common,
        action: "reconcile.item_failed",
        outcome: "failed",
        errorCode,
        details: { change, ...(item.mappingId ? { mappingId: item.mappingId } : {}), message: message.slice(0, 1000) },
      };
  await recordAuditEventNow(await getDatabase(), event);
  return {
    key: item.key,
    change,
    principalName: item.principalName,
    roleName: item.roleName,
    status: ok ? "applied" : failedStatus,
    message,
    ...(reference ? { reference } : {}),
  };
}
