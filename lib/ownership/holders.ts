import "server-only";

import { and, eq, inArray, sql } from "drizzle-orm";

import { type AuditActor, auditActorSchema, type AuditEventInput, type PrincipalType } from "@/lib/audit";
import type { Database, DatabaseTransaction } from "@/lib/db";
import { accessRequests } from "@/lib/requests/schema";
import { assignmentHolders, type AssignmentHolderRow, heldAssignments, type HeldAssignmentRow, type HolderKind } from "./schema";

/**
 * Ownership of role assignments: who or what in Gatehouse wants each assignment to exist (its holders), and whether
 * Gatehouse created it. The rule these functions keep: an assignment is removed from Azure only when its last holder
 * is released **and** Gatehouse's own PUT created it. Everything here runs inside the caller's transaction and
 * returns the audit events it implies, for the caller to append last (the audit chain's lock is always taken after
 * the ownership rows' locks, in every transaction, so the two never deadlock).
 */

/** The access an assignment gives: a role on a scope for a principal (ARM allows one assignment per triple). */
export interface AccessKey {
  readonly scope: string;
  readonly principalId: string;
  readonly principalType: PrincipalType;
  readonly roleDefinitionId: string;
  readonly roleName?: string;
}

/** What wants the assignment: the kind of holder and what it refers to. */
export type HolderSpec =
  | { readonly kind: "direct" }
  | { readonly kind: "mapping"; readonly mappingId: string }
  | { readonly kind: "request"; readonly requestId: string; readonly expiresAt: string | null }
  | { readonly kind: "bundle"; readonly bundleGrantId: string; readonly expiresAt: string | null };

/**
 * What a change to Azure means for holders, stored on the change intent so the reconciler can apply it after a crash:
 * `hold` (a grant adds this holder), `release` (a revoke that ends these holders, the last ones), `remove` (an
 * admin removed the assignment: every holder ends).
 */
export type IntentOwnership =
  | { readonly effect: "hold"; readonly holder: HolderSpec }
  | { readonly effect: "release"; readonly holderIds: readonly number[]; readonly reason: string }
  | { readonly effect: "remove"; readonly reason: string };

/** What happens to the assignment when a holder leaves. */
export type AssignmentFate = "removed" | "kept_other_holders" | "kept_not_created_by_gatehouse" | "kept_by_admin" | "already_removed";

export interface Holder {
  readonly id: number;
  readonly kind: HolderKind;
  readonly mappingId: string | null;
  readonly requestId: string | null;
  readonly bundleGrantId: string | null;
  readonly grantedBy: AuditActor;
  readonly expiresAt: Date | null;
  readonly preExisting: boolean;
  readonly addedAt: Date;
}

export interface HeldAccess {
  readonly assignment: HeldAssignmentRow;
  readonly holders: readonly Holder[];
}

type Executor = Database | DatabaseTransaction;

function keyOf(access: Pick<AccessKey, "scope" | "principalId" | "roleDefinitionId">) {
  return { scopeKey: access.scope.toLowerCase(), principalId: access.principalId.toLowerCase(), roleDefinitionId: access.roleDefinitionId.toLowerCase() };
}

function whereKey(access: Pick<AccessKey, "scope" | "principalId" | "roleDefinitionId">) {
  const key = keyOf(access);
  return and(
    eq(heldAssignments.scopeKey, key.scopeKey),
    eq(heldAssignments.principalId, key.principalId),
    eq(heldAssignments.roleDefinitionId, key.roleDefinitionId),
  );
}

export function toHolder(row: AssignmentHolderRow): Holder {
  const actor = auditActorSchema.safeParse(row.grantedBy);
  return {
    id: row.id,
    kind: row.kind,
    mappingId: row.mappingId,
    requestId: row.requestId,
    bundleGrantId: row.bundleGrantId,
    grantedBy: actor.success ? actor.data : { kind: "anonymous" },
    expiresAt: row.expiresAt,
    preExisting: row.preExisting,
    addedAt: row.addedAt,
  };
}

function target(assignment: HeldAssignmentRow) {
  return {
    scope: assignment.scope,
    principalId: assignment.principalId,
    principalType: assignment.principalType as PrincipalType,
    roleDefinitionId: assignment.roleDefinitionId,
    ...(assignment.roleName ? { roleName: assignment.roleName.slice(0, 256) } : {}),
  };
}

function holderReference(holder: Pick<Holder, "id" | "kind" | "mappingId" | "requestId" | "bundleGrantId">) {
  return {
    holderId: holder.id,
    holderKind: holder.kind,
    ...(holder.mappingId ? { mappingId: holder.mappingId } : {}),
    ...(holder.requestId ? { requestId: holder.requestId } : {}),
    ...(holder.bundleGrantId ? { bundleGrantId: holder.bundleGrantId } : {}),
  };
}

/** The active holders of an access, with its record; undefined when Gatehouse has never held it. */
export async function findHeldAccess(db: Executor, access: Pick<AccessKey, "scope" | "principalId" | "roleDefinitionId">): Promise<HeldAccess | undefined> {
  const [assignment] = await db.select().from(heldAssignments).where(whereKey(access));
  return assignment && withActiveHolders(db, assignment);
}

async function withActiveHolders(db: Executor, assignment: HeldAssignmentRow): Promise<HeldAccess> {
  const holders = await db
    .select()
    .from(assignmentHolders)
    .where(and(eq(assignmentHolders.assignmentId, assignment.id), eq(assignmentHolders.status, "active")))
    .orderBy(assignmentHolders.id);
  return { assignment, holders: holders.map(toHolder) };
}

/** Every access Gatehouse holds or held on a scope (a workspace), with its active holders; keyed by `principal|role`. */
export async function listHeldAccess(db: Executor, scope: string): Promise<Map<string, HeldAccess>> {
  const assignments = await db.select().from(heldAssignments).where(eq(heldAssignments.scopeKey, scope.toLowerCase()));
  const result = new Map<string, HeldAccess>();
  if (assignments.length === 0) return result;
  const holders = await db
    .select()
    .from(assignmentHolders)
    .where(
      and(
        inArray(
          assignmentHolders.assignmentId,
          assignments.map((a) => a.id),
        ),
        eq(assignmentHolders.status, "active"),
      ),
    )
    .orderBy(assignmentHolders.id);
  // Grouped once (the rows are in id order, so each group is too): filtering the holders per assignment cost
  // assignments × holders at a scope with thousands of each.
  const holdersByAssignment = new Map<(typeof holders)[number]["assignmentId"], (typeof holders)[number][]>();
  for (const holder of holders) {
    const group = holdersByAssignment.get(holder.assignmentId);
    if (group) group.push(holder);
    else holdersByAssignment.set(holder.assignmentId, [holder]);
  }
  for (const assignment of assignments) {
    result.set(`${assignment.principalId}|${assignment.roleDefinitionId}`, {
      assignment,
      holders: (holdersByAssignment.get(assignment.id) ?? []).map(toHolder),
    });
  }
  return result;
}

/** Locks the access's record for the rest of the transaction, so holders are added and released one decision at a time. */
export async function lockHeldAccess(
  tx: DatabaseTransaction,
  access: Pick<AccessKey, "scope" | "principalId" | "roleDefinitionId">,
): Promise<HeldAccess | undefined> {
  const [assignment] = await tx.select().from(heldAssignments).where(whereKey(access)).for("update");
  return assignment && withActiveHolders(tx, assignment);
}

export interface HoldInput {
  readonly access: AccessKey;
  /** The ARM assignment that carries the access now. */
  readonly assignmentName: string;
  /** Gatehouse's PUT created the assignment just now (false: it was found in place). */
  readonly created: boolean;
  readonly holder: HolderSpec;
  readonly grantedBy: AuditActor;
  readonly now: Date;
  readonly correlation?: { readonly consoleRequestId?: string; readonly armRequestId?: string };
}

export interface HoldResult {
  readonly assignment: HeldAssignmentRow;
  readonly holder: Holder;
  /** The same holder was already active: nothing was added. */
  readonly alreadyHeld: boolean;
  /** Requests a direct grant made permanent (their holders released, the requests closed as superseded). */
  readonly superseded: readonly string[];
  readonly events: AuditEventInput[];
}

/**
 * Records that `holder` wants the assignment (after ARM showed it exists). The record remembers whether Gatehouse
 * created it: a fresh PUT marks it so; finding it in place under a name Gatehouse did not create marks it not so.
 * A direct grant on access that an active request holds makes that access permanent: the request is closed as
 * superseded and its holder released (the assignment stays, held directly).
 */
export async function holdAssignment(tx: DatabaseTransaction, input: HoldInput): Promise<HoldResult> {
  return (await holdAssignments(tx, [input]))[0]!;
}

/**
 * `holdAssignment` for several holds at once, each on its own access (a bundle's parts): the assignments' records
 * in one statement and their holders in another, whatever their number; results in the order given.
 */
export async function holdAssignments(tx: DatabaseTransaction, inputs: readonly HoldInput[]): Promise<HoldResult[]> {
  if (inputs.length === 0) return [];
  const accessOf = (key: ReturnType<typeof keyOf>) => `${key.scopeKey}|${key.principalId}|${key.roleDefinitionId}`;
  if (new Set(inputs.map((input) => accessOf(keyOf(input.access)))).size < inputs.length) {
    // One statement cannot update a row twice; callers hold each access once per transaction.
    throw new Error("holdAssignments: two holds on the same access");
  }
  const upserted = await tx
    .insert(heldAssignments)
    .values(
      inputs.map((input) => ({
        scope: input.access.scope,
        ...keyOf(input.access),
        principalType: input.access.principalType,
        roleName: input.access.roleName ?? null,
        assignmentName: input.assignmentName.toLowerCase(),
        createdByGatehouse: input.created,
        firstSeenAt: input.now,
        updatedAt: input.now,
      })),
    )
    .onConflictDoUpdate({
      target: [heldAssignments.scopeKey, heldAssignments.principalId, heldAssignments.roleDefinitionId],
      set: {
        // Created now: it is Gatehouse's. Found under the name already on record: unchanged. Found under another
        // name: the assignment that carries the access now is not one Gatehouse made.
        createdByGatehouse: sql`excluded.created_by_gatehouse or (${heldAssignments.createdByGatehouse} and ${heldAssignments.assignmentName} = excluded.assignment_name)`,
        assignmentName: sql`excluded.assignment_name`,
        principalType: sql`excluded.principal_type`,
        roleName: sql`coalesce(excluded.role_name, ${heldAssignments.roleName})`,
        updatedAt: sql`excluded.updated_at`,
      },
    })
    .returning();
  // The upsert holds the rows' locks until the transaction ends, as a release's `lockHeldAccess` does: one decision
  // about an access at a time.
  const byAccess = new Map(upserted.map((row) => [accessOf(row), row]));
  const assignments = inputs.map((input) => {
    const assignment = byAccess.get(accessOf(keyOf(input.access)));
    if (!assignment) throw new Error("upsert of held_assignments returned no row for an access");
    return assignment;
  });

  const inserted = await tx
    .insert(assignmentHolders)
    .values(
      inputs.map((input, index) => {
        const spec = input.holder;
        return {
          assignmentId: assignments[index]!.id,
          kind: spec.kind,
          mappingId: spec.kind === "mapping" ? spec.mappingId : null,
          requestId: spec.kind === "request" ? spec.requestId : null,
          bundleGrantId: spec.kind === "bundle" ? spec.bundleGrantId : null,
          grantedBy: input.grantedBy,
          expiresAt: (spec.kind === "request" || spec.kind === "bundle") && spec.expiresAt ? new Date(spec.expiresAt) : null,
          preExisting: !input.created,
          status: "active" as const,
          addedAt: input.now,
        };
      }),
    )
    .onConflictDoNothing()
    .returning();
  const insertedByAssignment = new Map(inserted.map((row) => [row.assignmentId, row]));

  const results: HoldResult[] = [];
  for (const [index, input] of inputs.entries()) {
    results.push(await finishHold(tx, input, assignments[index]!, insertedByAssignment.get(assignments[index]!.id)));
  }
  return results;
}

/** One hold after its rows are written: the holder it added (or the same one already active) and what that ends. */
async function finishHold(
  tx: DatabaseTransaction,
  input: HoldInput,
  assignment: HeldAssignmentRow,
  inserted: AssignmentHolderRow | undefined,
): Promise<HoldResult> {
  const spec = input.holder;
  const events: AuditEventInput[] = [];
  let holder: Holder;
  if (inserted) {
    holder = toHolder(inserted);
    events.push({
      action: "assignment.holder_added",
      outcome: "succeeded",
      actor: input.grantedBy,
      target: target(assignment),
      correlation: input.correlation,
      details: {
        ...holderReference(holder),
        assignmentName: assignment.assignmentName,
        preExisting: holder.preExisting,
        ...(holder.expiresAt ? { expiresAt: holder.expiresAt.toISOString() } : {}),
      },
      occurredAt: input.now,
    });
  } else {
    const [existing] = await tx
      .select()
      .from(assignmentHolders)
      .where(
        and(
          eq(assignmentHolders.assignmentId, assignment.id),
          eq(assignmentHolders.kind, spec.kind),
          eq(assignmentHolders.status, "active"),
          spec.kind === "mapping"
            ? eq(assignmentHolders.mappingId, spec.mappingId)
            : spec.kind === "request"
              ? eq(assignmentHolders.requestId, spec.requestId)
              : spec.kind === "bundle"
                ? eq(assignmentHolders.bundleGrantId, spec.bundleGrantId)
                : sql`true`,
        ),
      );
    if (!existing) throw new Error("a conflicting active holder vanished inside the transaction");
    holder = toHolder(existing);
  }

  const superseded: string[] = [];
  if (spec.kind === "direct") {
    const requestHolders = await tx
      .select()
      .from(assignmentHolders)
      .where(and(eq(assignmentHolders.assignmentId, assignment.id), eq(assignmentHolders.kind, "request"), eq(assignmentHolders.status, "active")));
    for (const row of requestHolders) {
      const released = await releaseHolder(tx, {
        assignment,
        holder: toHolder(row),
        reason: "made permanent by a direct grant",
        actor: input.grantedBy,
        now: input.now,
        fate: "kept_other_holders",
        remaining: 1,
        correlation: input.correlation,
      });
      events.push(...released);
      const [request] = await tx
        .update(accessRequests)
        .set({
          status: "superseded",
          endedAt: input.now,
          updatedAt: input.now,
          outcomeNote: "Made permanent by a direct grant on the workspace page.",
          version: sql`${accessRequests.version} + 1`,
        })
        .where(and(eq(accessRequests.id, row.requestId!), inArray(accessRequests.status, ["granted", "expiring", "expiry_failed"])))
        .returning();
      if (request) {
        superseded.push(request.id);
        events.push({
          action: "request.superseded",
          outcome: "succeeded",
          actor: input.grantedBy,
          target: {
            requestId: request.id,
            scope: request.workspaceId,
            principalId: request.principalId,
            roleDefinitionId: request.roleDefinitionId,
            roleName: request.roleName,
          },
          reason: "made permanent by a direct grant",
          correlation: input.correlation?.consoleRequestId ? { consoleRequestId: input.correlation.consoleRequestId } : undefined,
          details: { from: "active", to: "superseded" },
          occurredAt: input.now,
        });
      }
    }
  }
  return { assignment, holder, alreadyHeld: !inserted, superseded, events };
}

interface ReleaseInput {
  readonly assignment: HeldAssignmentRow;
  readonly holder: Holder;
  readonly reason: string;
  readonly actor: AuditActor;
  readonly now: Date;
  readonly fate: AssignmentFate;
  readonly remaining: number;
  readonly correlation?: { readonly consoleRequestId?: string; readonly armRequestId?: string };
}

/** Marks one holder released (it stays as history) and returns its `assignment.holder_released` event. */
export async function releaseHolder(tx: DatabaseTransaction, input: ReleaseInput): Promise<AuditEventInput[]> {
  const [released] = await tx
    .update(assignmentHolders)
    .set({ status: "released", releasedAt: input.now, releasedBy: input.actor, releaseReason: input.reason.slice(0, 1000) })
    .where(and(eq(assignmentHolders.id, input.holder.id), eq(assignmentHolders.status, "active")))
    .returning();
  if (!released) return [];
  return [
    {
      action: "assignment.holder_released",
      outcome: "succeeded",
      actor: input.actor,
      target: target(input.assignment),
      reason: input.reason.slice(0, 2000),
      correlation: input.correlation,
      details: { ...holderReference(input.holder), assignmentName: input.assignment.assignmentName, assignment: input.fate, remainingHolders: input.remaining },
      occurredAt: input.now,
    },
  ];
}

/** Whether releasing `leaving` holders removes the assignment from Azure, and if not, why it stays. */
export function fateAfterRelease(access: HeldAccess, leaving: ReadonlySet<number>): { fate: AssignmentFate; remaining: readonly Holder[] } {
  const remaining = access.holders.filter((holder) => !leaving.has(holder.id));
  if (remaining.length > 0) return { fate: "kept_other_holders", remaining };
  if (!access.assignment.createdByGatehouse) return { fate: "kept_not_created_by_gatehouse", remaining };
  return { fate: "removed", remaining };
}

/**
 * After ARM removed the assignment (or showed it gone): ends every holder, or the listed ones. Requests among them
 * end early (`revoked`) unless `requestsEndAs` is null (the expiry job records its own request outcome).
 */
export async function endHolders(
  tx: DatabaseTransaction,
  input: {
    readonly access: Pick<AccessKey, "scope" | "principalId" | "roleDefinitionId">;
    readonly holderIds: readonly number[] | "all";
    readonly reason: string;
    readonly actor: AuditActor;
    readonly now: Date;
    readonly wasAbsent: boolean;
    readonly requestsEndAs: "revoked" | null;
    readonly correlation?: { readonly consoleRequestId?: string; readonly armRequestId?: string };
  },
): Promise<AuditEventInput[]> {
  const held = await lockHeldAccess(tx, input.access);
  if (!held) return [];
  const ending = input.holderIds === "all" ? held.holders : held.holders.filter((holder) => (input.holderIds as readonly number[]).includes(holder.id));
  const events: AuditEventInput[] = [];
  const remaining = held.holders.length - ending.length;
  for (const holder of ending) {
    events.push(
      ...(await releaseHolder(tx, {
        assignment: held.assignment,
        holder,
        reason: input.reason,
        actor: input.actor,
        now: input.now,
        fate: input.wasAbsent ? "already_removed" : "removed",
        remaining,
        correlation: input.correlation,
      })),
    );
    if (holder.kind === "request" && input.requestsEndAs === "revoked") {
      const [request] = await tx
        .update(accessRequests)
        .set({
          status: "revoked",
          endedAt: input.now,
          updatedAt: input.now,
          outcomeNote: input.reason.slice(0, 1000),
          version: sql`${accessRequests.version} + 1`,
        })
        .where(and(eq(accessRequests.id, holder.requestId!), inArray(accessRequests.status, ["granted", "expiring", "expiry_failed"])))
        .returning();
      if (request) {
        events.push({
          action: "request.revoked",
          outcome: "succeeded",
          actor: input.actor,
          target: {
            requestId: request.id,
            scope: request.workspaceId,
            principalId: request.principalId,
            roleDefinitionId: request.roleDefinitionId,
            roleName: request.roleName,
          },
          reason: input.reason.slice(0, 2000),
          correlation: input.correlation?.consoleRequestId ? { consoleRequestId: input.correlation.consoleRequestId } : undefined,
          details: { from: "active", to: "revoked" },
          occurredAt: input.now,
        });
      }
    }
  }
  return events;
}

/** Applies what a settled change means for holders (see `IntentOwnership`); used by outcomes and the reconciler. */
export async function applyIntentOwnership(
  tx: DatabaseTransaction,
  input: {
    readonly ownership: IntentOwnership | null;
    readonly kind: "grant" | "revoke";
    readonly succeeded: boolean;
    readonly access: AccessKey;
    readonly assignmentName: string;
    /** For a grant: Gatehouse's PUT created the assignment. */
    readonly created: boolean;
    /** For a revoke: the assignment was already gone. */
    readonly wasAbsent: boolean;
    readonly actor: AuditActor;
    readonly now: Date;
    readonly correlation?: { readonly consoleRequestId?: string; readonly armRequestId?: string };
  },
): Promise<{ events: AuditEventInput[]; hold?: HoldResult }> {
  const ownership = input.ownership;
  if (!ownership || !input.succeeded) return { events: [] };
  if (input.kind === "grant" && ownership.effect === "hold") {
    const hold = await holdAssignment(tx, {
      access: input.access,
      assignmentName: input.assignmentName,
      created: input.created,
      holder: ownership.holder,
      grantedBy: input.actor,
      now: input.now,
      correlation: input.correlation,
    });
    return { events: hold.events, hold };
  }
  if (input.kind === "revoke" && ownership.effect !== "hold") {
    return {
      events: await endHolders(tx, {
        access: input.access,
        holderIds: ownership.effect === "remove" ? "all" : ownership.holderIds,
        reason: ownership.reason,
        actor: input.actor,
        now: input.now,
        wasAbsent: input.wasAbsent,
        requestsEndAs: ownership.effect === "remove" ? "revoked" : null,
        correlation: input.correlation,
      }),
    };
  }
  return { events: [] };
}
