import "server-only";

import type { DelegatedContext } from "@/lib/auth/caller";
import { requireStepUp } from "@/lib/auth/step-up";
import { randomUUID } from "node:crypto";

import { eq } from "drizzle-orm";

import { type AuditActor, type AuditEventInput, recordAuditEvent, recordAuditEvents } from "@/lib/audit";
import { type Database, type DatabaseTransaction, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { describeHolders, keptBecause } from "@/lib/ownership/describe";
import { holdAssignment, lockHeldAccess, releaseHolder } from "@/lib/ownership/holders";
import { parseScope } from "@/lib/shared/arm-scope";
import { getWorkspaceAccess } from "@/lib/workspaces/get-workspace-access";
import { assertRoleGrantable, builtInRole } from "@/lib/workspaces/grantable-roles";
import { assignmentNameFor, CHANGE_IN_PROGRESS, type GrantResult, grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { fileSelfGrantRequest, isCallerOrCallersGroup } from "@/lib/requests/self-grant";
import { releaseAccess } from "@/lib/workspaces/release-access";
import { getRoleDefinitions } from "@/lib/workspaces/role-definitions";
import { invalidMappingWorkspace } from "./collect";
import { lookupPrincipals } from "./directory";
import type { MappingRecord } from "./drift";
import { findMapping, isUniqueViolation, listMappings, mappingKey, toRecord } from "./store";
import { groupMappings } from "./schema";

/**
 * Creating, deleting and importing mappings. A mapping's row and its audit event commit together; the ARM call
 * (through `grantWorkspaceRoles` / `revokeWorkspaceRoles`, which audit intent and outcome themselves) happens after
 * that transaction, never inside it.
 *
 * If ARM refuses a new mapping's grant, the mapping is removed again (with its own `mapping.deleted` event, the
 * reason naming the failure): a mapping that exists is one whose assignment was made or may have been made. When
 * ARM did not answer (`in_progress`), the mapping stays; the drift report shows it as missing if the grant never
 * happened, and reconcile creates it.
 */

function projection(mapping: Pick<MappingRecord, "groupId" | "groupDisplayName" | "scope" | "roleDefinitionId" | "roleName">) {
  return {
    groupId: mapping.groupId,
    groupDisplayName: mapping.groupDisplayName.slice(0, 256),
    scope: mapping.scope,
    roleDefinitionId: mapping.roleDefinitionId,
    roleName: mapping.roleName.slice(0, 256),
  };
}

function target(mapping: Pick<MappingRecord, "groupId" | "scope" | "roleDefinitionId" | "roleName">) {
  return {
    scope: mapping.scope,
    principalId: mapping.groupId,
    principalType: "Group" as const,
    roleDefinitionId: mapping.roleDefinitionId,
    roleName: mapping.roleName.slice(0, 256),
  };
}

async function insertMapping(
  tx: DatabaseTransaction,
  actor: AuditActor,
  requestId: string,
  mapping: Omit<MappingRecord, "id" | "createdAt" | "createdBy">,
  reason?: string,
) {
  const id = randomUUID();
  const now = new Date();
  await tx.insert(groupMappings).values({
    id,
    scope: mapping.scope,
    scopeKey: mapping.scope.toLowerCase(),
    groupId: mapping.groupId.toLowerCase(),
    groupDisplayName: mapping.groupDisplayName,
    roleDefinitionId: mapping.roleDefinitionId.toLowerCase(),
    roleName: mapping.roleName,
    assignmentName: mapping.assignmentName.toLowerCase(),
    createdBy: actor,
    createdAt: now,
  });
  return {
    id,
    event: {
      action: "mapping.created" as const,
      outcome: "succeeded" as const,
      actor,
      target: target(mapping),
      correlation: { consoleRequestId: requestId },
      ...(reason ? { reason } : {}),
      details: { mappingId: id, after: projection(mapping) },
    },
  };
}

/** Deletes the mapping's row in the caller's transaction and returns its `mapping.deleted` event (none if already gone). */
async function deleteMappingRow(
  tx: DatabaseTransaction,
  context: Pick<DelegatedContext, "actor" | "requestId">,
  mapping: MappingRecord,
  reason: string,
): Promise<AuditEventInput[]> {
  const deleted = await tx.delete(groupMappings).where(eq(groupMappings.id, mapping.id)).returning({ id: groupMappings.id });
  if (deleted.length === 0) return [];
  return [
    {
      action: "mapping.deleted",
      outcome: "succeeded",
      actor: context.actor,
      target: target(mapping),
      reason: reason.slice(0, 2000),
      correlation: { consoleRequestId: context.requestId },
      details: { mappingId: mapping.id, before: projection(mapping) },
    },
  ];
}

async function removeMapping(db: Database, context: Pick<DelegatedContext, "actor" | "requestId">, mapping: MappingRecord, reason: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const events = await deleteMappingRow(tx, context, mapping, reason);
    await recordAuditEvents(tx, events);
    return events.length > 0;
  });
}

function notAGroup(): AppError {
  return new AppError({
    code: "invalid_input",
    message: "mapping target is not a group",
    userMessage: "Choose an Entra group: mappings give roles to groups.",
  });
}

export interface CreateMappingInput {
  readonly workspaceId: string;
  readonly groupId: string;
  readonly roleDefinitionId: string;
}

export interface CreateMappingResult {
  /** Null when ARM refused the grant and the mapping was removed again, or when the mapping waits for approval. */
  readonly mapping: MappingRecord | null;
  readonly grant: GrantResult;
}

/**
 * Records a mapping (row + `mapping.created`), then grants the role to the group on the workspace with the mapping as
 * the assignment's holder.
 */
export async function createMapping(
  context: DelegatedContext,
  input: CreateMappingInput,
  reason?: string,
  options: { db?: Database } = {},
): Promise<CreateMappingResult> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidMappingWorkspace(input.workspaceId);
  const roleId = input.roleDefinitionId.toLowerCase();
  const groupId = input.groupId.toLowerCase();
  const db = options.db ?? (await getDatabase());
  const target = { scope: workspace.scope, principalId: groupId, consoleAction: "createMapping" };
  // A privileged built-in role is refused before any call to Azure; a custom one once its definition is read, below.
  await assertRoleGrantable(context, builtInRole(roleId), target, db);
  const [definitions, lookup] = await Promise.all([
    getRoleDefinitions({ kind: "delegated", caller: context.caller }, workspace.scope),
    lookupPrincipals(delegatedGraphClient(context.caller), [groupId]),
  ]);
  const role = definitions.get(roleId);
  if (!role) {
    throw new AppError({
      code: "invalid_input",
      message: `role ${roleId} not found`,
      userMessage: "That role does not exist or can't be assigned on this workspace. Pick a role from the list.",
    });
  }
  if (!lookup.complete) {
    throw new AppError({
      code: "upstream_unavailable",
      message: "group lookup failed",
      userMessage: "Microsoft Graph could not confirm the group right now. Try again in a minute.",
    });
  }
  const group = lookup.found.get(groupId);
  if (!group) {
    throw new AppError({ code: "not_found", message: `group ${groupId} not found`, userMessage: "That group does not exist in the directory (any more)." });
  }
  if (group.kind !== "group") throw notAGroup();
  // Before the mapping row exists: a refused role leaves nothing to undo.
  await assertRoleGrantable(context, role, target, db);
  if (role.privileged && (await isCallerOrCallersGroup(context.caller, { id: groupId, kind: "group" }))) {
    // Separation of duties: a privileged role for a group the admin is in needs two other admins first.
    const grant = await fileSelfGrantRequest(
      context,
      {
        workspaceId: workspace.scope,
        role: { id: roleId, name: role.name },
        principal: { id: groupId, kind: "group", displayName: group.displayName },
        createsMapping: true,
      },
      options,
    );
    return { mapping: null, grant };
  }

  // Before the mapping is recorded: its grant would otherwise be refused and the mapping removed again.
  if (role.privileged) {
    await requireStepUp(
      context,
      {
        reason: "privileged_grant",
        consoleAction: "createMapping",
        change: `mapping ${group.displayName} to ${role.name}`,
        target: { scope: workspace.scope, principalId: groupId, principalType: "Group", roleDefinitionId: roleId, roleName: role.name },
      },
      { db },
    );
  }
  const draft = {
    scope: workspace.scope,
    groupId,
    groupDisplayName: group.displayName,
    roleDefinitionId: roleId,
    roleName: role.name,
    assignmentName: assignmentNameFor(workspace.scope, groupId, roleId),
  };
  let id: string;
  try {
    id = await db.transaction(async (tx) => {
      const inserted = await insertMapping(tx, context.actor, context.requestId, draft, reason);
      await recordAuditEvent(tx, inserted.event);
      return inserted.id;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError({
        code: "conflict",
        message: "mapping exists",
        userMessage: `${group.displayName} is already mapped to ${role.name} on ${workspace.workspaceName}.`,
        cause: error,
      });
    }
    throw error;
  }
  const mapping = (await findMapping(db, id))!;
  const [grant] = await grantWorkspaceRoles(
    context,
    {
      workspaceId: workspace.scope,
      roleDefinitionId: roleId,
      principals: [{ id: groupId, kind: "group", displayName: group.displayName }],
      description: "Managed by a Gatehouse group mapping",
      holder: { kind: "mapping", mappingId: id },
    },
    { db },
  );
  if (!grant) throw new Error("grantWorkspaceRoles returned no result for one principal");
  if (grant.status === "failed") {
    await removeMapping(db, context, mapping, `The grant failed, so the mapping was removed again: ${grant.message}`);
    return { mapping: null, grant };
  }
  return { mapping, grant };
}

export interface DeleteMappingResult {
  readonly deleted: boolean;
  /** What happened to the group's assignment when removing it was asked for. */
  readonly assignment: "removed" | "kept" | "not_asked" | null;
  readonly message: string;
  /** ARM's request id when removing the assignment failed, for support. */
  readonly reference?: string;
  /** Removing the assignment needs a new sign-in with these claims (e.g. MFA) first; the mapping was kept. */
  readonly claims?: string;
}

/**
 * Deletes a mapping. With `revokeAssignment`, the mapping lets go of the group's assignment: it is removed from Azure
 * only when nothing else holds it and Gatehouse created it; otherwise it stays and the message says why. If the
 * removal fails the mapping stays (so Azure and the mappings keep agreeing), and the result says why. Without
 * `revokeAssignment` the assignment stays, held from then on as a direct grant by the admin who chose to keep it.
 */
export async function deleteMapping(
  context: DelegatedContext,
  input: { mappingId: string; revokeAssignment: boolean },
  options: { db?: Database } = {},
): Promise<DeleteMappingResult> {
  const db = options.db ?? (await getDatabase());
  const mapping = await findMapping(db, input.mappingId);
  if (!mapping) return { deleted: false, assignment: null, message: "This mapping no longer exists." };
  const access = {
    scope: mapping.scope,
    principalId: mapping.groupId,
    principalType: "Group" as const,
    roleDefinitionId: mapping.roleDefinitionId,
    roleName: mapping.roleName,
  };
  const name = `${mapping.groupDisplayName}'s ${mapping.roleName} assignment`;

  if (!input.revokeAssignment) {
    const deleted = await db.transaction(async (tx) => {
      const events: AuditEventInput[] = [];
      const held = await lockHeldAccess(tx, access);
      const holder = held?.holders.find((candidate) => candidate.kind === "mapping" && candidate.mappingId === mapping.id);
      if (held && holder) {
        const now = new Date();
        const kept = await holdAssignment(tx, {
          access,
          assignmentName: held.assignment.assignmentName,
          created: false,
          holder: { kind: "direct" },
          grantedBy: context.actor,
          now,
          correlation: { consoleRequestId: context.requestId },
        });
        events.push(...kept.events);
        events.push(
          ...(await releaseHolder(tx, {
            assignment: held.assignment,
            holder,
            reason: "mapping deleted; the admin kept the assignment",
            actor: context.actor,
            now,
            fate: "kept_by_admin",
            remaining: held.holders.length,
            correlation: { consoleRequestId: context.requestId },
          })),
        );
      }
      events.push(...(await deleteMappingRow(tx, context, mapping, "Deleted; the assignment was left in place")));
      await recordAuditEvents(tx, events);
      return events.some((event) => event.action === "mapping.deleted");
    });
    return {
      deleted,
      assignment: "not_asked",
      message: deleted
        ? `Deleted the mapping. ${mapping.groupDisplayName} keeps ${mapping.roleName} in Azure (it now shows as an unmapped group assignment, held as a direct grant).`
        : "This mapping no longer exists.",
    };
  }

  let deleted = false;
  const outcome = await releaseAccess({
    identity: { kind: "delegated", caller: context.caller },
    actor: context.actor,
    db,
    access,
    holder: { kind: "mapping", mappingId: mapping.id },
    reason: `mapping of ${mapping.groupDisplayName} deleted by ${context.person.userPrincipalName}`,
    consoleRequestId: context.requestId,
    actingAs: context.person.userPrincipalName,
    onSettled: async (tx) => {
      const events = await deleteMappingRow(tx, context, mapping, "Deleted with its assignment");
      deleted = events.length > 0;
      return events;
    },
  });
  switch (outcome.status) {
    case "removed":
      return { deleted, assignment: "removed", message: `Deleted the mapping and removed ${name}.` };
    case "kept": {
      const remaining = await describeHolders(db, outcome.remaining);
      return { deleted, assignment: "kept", message: `Deleted the mapping. ${keptBecause(outcome.fate, remaining)}` };
    }
    case "not_held":
      return {
        deleted,
        assignment: "kept",
        message: `Deleted the mapping. Gatehouse has no record of creating ${name} for this mapping, so it was left in place.`,
      };
    case "in_progress":
      return { deleted: false, assignment: null, message: `The mapping was kept: ${CHANGE_IN_PROGRESS}` };
    case "failed":
      return {
        deleted: false,
        assignment: null,
        message: `The mapping was kept because its assignment could not be removed: ${outcome.userMessage}`,
        ...(outcome.reference ? { reference: outcome.reference } : {}),
        ...(outcome.claims ? { claims: outcome.claims } : {}),
      };
  }
}

export interface WorkspaceImportResult {
  readonly created: readonly MappingRecord[];
  readonly unchanged: number;
  readonly skipped: number;
}

/**
 * Turns the group assignments made at a workspace into mappings, in one transaction with a `mapping.created` event
 * per new mapping and one `mapping.imported` with the counts. Nothing changes in Azure. Assignments to deleted groups
 * are skipped.
 */
export async function importWorkspaceGroupAssignments(
  context: DelegatedContext,
  workspaceId: string,
  options: { db?: Database } = {},
): Promise<WorkspaceImportResult> {
  const db = options.db ?? (await getDatabase());
  const access = await getWorkspaceAccess(context.caller, workspaceId, { db });
  const groups = access.rows.filter((row) => row.origin === "workspace" && row.principalType.toLowerCase() === "group");
  const importable = groups.filter((row) => row.principal !== null && row.principal !== undefined);
  return db.transaction(async (tx) => {
    const existing = new Set((await listMappings(tx, access.workspace.id)).map(mappingKey));
    const created: string[] = [];
    const events = [];
    let unchanged = 0;
    for (const row of importable) {
      const draft = {
        scope: access.workspace.id,
        groupId: row.principalId,
        groupDisplayName: row.principal!.displayName,
        roleDefinitionId: row.roleDefinitionId,
        roleName: row.roleName,
        assignmentName: row.assignmentName,
      };
      const key = mappingKey(draft);
      if (existing.has(key)) {
        unchanged++;
        continue;
      }
      existing.add(key);
      const inserted = await insertMapping(tx, context.actor, context.requestId, draft, "Imported from an existing group assignment");
      created.push(inserted.id);
      events.push(inserted.event);
      // The mapping now holds the assignment it describes; found in place, so releasing it never removes it.
      const held = await holdAssignment(tx, {
        access: { scope: draft.scope, principalId: draft.groupId, principalType: "Group", roleDefinitionId: draft.roleDefinitionId, roleName: draft.roleName },
        assignmentName: draft.assignmentName,
        created: false,
        holder: { kind: "mapping", mappingId: inserted.id },
        grantedBy: context.actor,
        now: new Date(),
        correlation: { consoleRequestId: context.requestId },
      });
      events.push(...held.events);
    }
    events.push({
      action: "mapping.imported" as const,
      outcome: "succeeded" as const,
      actor: context.actor,
      target: { scope: access.workspace.id },
      correlation: { consoleRequestId: context.requestId },
      details: { created: created.length, unchanged, rejected: groups.length - importable.length, sourceName: "workspace group assignments" },
    });
    await recordAuditEvents(tx, events);
    const rows = created.length === 0 ? [] : await tx.select().from(groupMappings);
    return { created: rows.filter((row) => created.includes(row.id)).map(toRecord), unchanged, skipped: groups.length - importable.length };
  });
}
