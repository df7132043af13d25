import "server-only";

import { and, asc, desc, eq, getTableColumns, inArray, lt, sql } from "drizzle-orm";

import type { Database, DatabaseTransaction } from "@/lib/db/client";
import { azureChangeIntents } from "@/lib/db/schema";
import { AppError } from "@/lib/errors";
import { type AuditActor, auditActorSchema, type AuditEventInput, type PrincipalType } from "./events";
import { recordAuditEvent, recordAuditEvents } from "./record";

/**
 * Intent → outcome for changes to Azure (a transactional outbox: the intent commits before the call, the outcome after). A grant or revoke is recorded as an intent, with its
 * `*_requested` audit event, in the transaction that decides on it; the ARM call happens after that commits; its
 * result is recorded as the outcome. A crash in between leaves a pending intent that the reconciler settles against
 * ARM (`resolveIntent`), so no change to Azure is ever missing from the audit trail.
 */

export type ChangeKind = "grant" | "revoke";
export type ChangeIntentState = "pending" | "succeeded" | "failed" | "unknown";

export interface ChangeIntent {
  readonly id: number;
  readonly kind: ChangeKind;
  readonly scope: string;
  readonly principalId: string;
  readonly principalType: PrincipalType;
  readonly roleDefinitionId: string;
  readonly roleName: string | null;
  readonly assignmentName: string;
  readonly requestedBy: AuditActor;
  readonly requestId: string | null;
  readonly consoleRequestId: string | null;
  readonly state: ChangeIntentState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly armRequestId: string | null;
  readonly errorCode: string | null;
  /** What the change means for the assignment's holders (lib/ownership's `IntentOwnership`), as stored. */
  readonly ownership: unknown;
}

/**
 * Extra writes that belong to a settled change (e.g. the holders it adds or ends), run in the transaction that
 * records the outcome, before its audit event; they return the audit events they imply, appended after it.
 */
export type IntentEffects = (tx: DatabaseTransaction, intent: ChangeIntent) => Promise<AuditEventInput[]>;

/**
 * The same for several settled changes at once (a bundle's parts): one call, so their writes can be set-based; it
 * returns each intent's events, in the intents' order.
 */
export type OutcomesEffects = (tx: DatabaseTransaction, intents: readonly ChangeIntent[]) => Promise<readonly (readonly AuditEventInput[])[]>;

export interface ChangeIntentInput {
  readonly kind: ChangeKind;
  readonly scope: string;
  readonly principalId: string;
  readonly principalType: PrincipalType;
  readonly roleDefinitionId: string;
  readonly roleName?: string;
  /** The role assignment's name: deterministic for a grant (so a retry is idempotent), the existing one for a revoke. */
  readonly assignmentName: string;
  readonly requestedBy: AuditActor;
  /** The access request this change carries out, if any. */
  readonly requestId?: string;
  readonly consoleRequestId?: string;
  /** The justification, recorded on the `*_requested` event. */
  readonly reason?: string;
  /** What the change means for holders (lib/ownership's `IntentOwnership`), kept for the reconciler. */
  readonly ownership?: object;
  readonly now?: Date;
}

export type ChangeOutcome =
  | {
      readonly status: "succeeded";
      readonly armRequestId?: string;
      /** A grant found an equivalent assignment (409 RoleAssignmentExists), or a revoke found none. */
      readonly alreadyInDesiredState?: boolean;
    }
  | {
      readonly status: "failed";
      /** ARM's `error.code` (e.g. `AuthorizationFailed`), or Gatehouse's own when there was no answer. */
      readonly errorCode: string;
      readonly httpStatus?: number;
      readonly message?: string;
      readonly armRequestId?: string;
    };

export interface RecordedChangeOutcome {
  readonly intent: ChangeIntent;
  readonly auditEventId: number;
}

const ONE_PENDING_INDEX = "azure_change_intents_one_pending_access_idx";

/**
 * Records the intent to change a role assignment and its `role_assignment.{grant,revoke}_requested` event, in the
 * caller's transaction. Refused with `conflict` while another change to the same assignment is pending.
 */
export async function recordChangeIntent(tx: DatabaseTransaction, input: ChangeIntentInput): Promise<ChangeIntent> {
  const [intent] = await recordChangeIntents(tx, [input]);
  return intent!;
}

/**
 * Several intents and their `*_requested` events in the caller's transaction, with one insert and one append to the
 * audit chain (a bundle's parts). Refused whole with `conflict` if any of them meets a pending change: the caller
 * then records them one by one to learn which.
 */
export async function recordChangeIntents(tx: DatabaseTransaction, inputs: readonly ChangeIntentInput[]): Promise<ChangeIntent[]> {
  if (inputs.length === 0) return [];
  const prepared = inputs.map((input) => ({ input, requestedBy: auditActorSchema.parse(input.requestedBy), now: input.now ?? new Date() }));
  let rows: (typeof azureChangeIntents.$inferSelect)[];
  try {
    rows = await tx
      .insert(azureChangeIntents)
      .values(
        prepared.map(({ input, requestedBy, now }) => ({
          kind: input.kind,
          scope: input.scope,
          principalId: input.principalId,
          principalType: input.principalType,
          roleDefinitionId: input.roleDefinitionId,
          roleName: input.roleName ?? null,
          assignmentName: input.assignmentName.toLowerCase(),
          requestedBy,
          requestId: input.requestId ?? null,
          consoleRequestId: input.consoleRequestId ?? null,
          ownership: input.ownership ?? null,
          state: "pending" as const,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .returning();
  } catch (error) {
    if (isUniqueViolation(error, ONE_PENDING_INDEX)) {
      throw new AppError({
        code: "conflict",
        message: `a change to role assignment ${inputs.map((input) => input.assignmentName).join(", ")} is already pending`,
        userMessage: "A change to this role assignment is already in progress. Wait for it to finish, then try again.",
        cause: error,
      });
    }
    throw error;
  }
  // Matched back by access, not by position: PostgreSQL does not promise RETURNING's order. The pending index refuses
  // two pending changes to one access, so the key is unique among rows inserted together.
  const key = (access: { scope: string; principalId: string; roleDefinitionId: string }) =>
    `${access.scope}|${access.principalId}|${access.roleDefinitionId}`.toLowerCase();
  const byKey = new Map(rows.map((row) => [key(row), row]));
  const intents = inputs.map((input) => {
    const row = byKey.get(key(input));
    if (!row || byKey.size !== inputs.length) throw new Error(`INSERT … RETURNING returned ${rows.length} rows for ${inputs.length}`);
    return toChangeIntent(row);
  });
  await recordAuditEvents(
    tx,
    intents.map((intent, index) => ({
      action: intent.kind === "grant" ? "role_assignment.grant_requested" : "role_assignment.revoke_requested",
      outcome: "succeeded",
      actor: prepared[index]!.requestedBy,
      target: intentTarget(intent),
      reason: prepared[index]!.input.reason,
      correlation: { consoleRequestId: prepared[index]!.input.consoleRequestId },
      details: { intentId: intent.id, assignmentName: intent.assignmentName },
      occurredAt: prepared[index]!.now,
    })),
  );
  return intents;
}

/** One pending intent's outcome, for `recordChangeOutcomes`. */
export interface ChangeOutcomeInput {
  readonly intentId: number;
  readonly outcome: ChangeOutcome;
}

/**
 * Records what ARM answered for a pending intent: its state and the `granted`/`revoked`/`*_failed` event, in one
 * transaction. An intent is resolved once: a second outcome (or one racing the reconciler) is refused with
 * `conflict` and writes nothing; an unknown id with `not_found`.
 */
export async function recordChangeOutcome(
  db: Database,
  intentId: number,
  outcome: ChangeOutcome,
  now: Date = new Date(),
  effects?: IntentEffects,
): Promise<RecordedChangeOutcome> {
  const [recorded] = await recordChangeOutcomes(db, [{ intentId, outcome }], now, effects && (async (tx, [intent]) => [await effects(tx, intent!)]));
  return recorded!;
}

/**
 * Several outcomes in one transaction, with one append to the audit chain (a bundle's parts, answered together): the
 * intents settled in one statement, then `effects` for all of them. All or none: any refusal (`conflict`,
 * `not_found`) or failure writes nothing, and the caller records them one by one.
 */
export async function recordChangeOutcomes(
  db: Database,
  outcomes: readonly ChangeOutcomeInput[],
  now: Date = new Date(),
  effects?: OutcomesEffects,
): Promise<RecordedChangeOutcome[]> {
  if (outcomes.length === 0) return [];
  return db.transaction(async (tx) => {
    const intents = await settlePendingIntents(
      tx,
      outcomes.map(({ intentId, outcome }) => ({
        intentId,
        state: outcome.status,
        armRequestId: outcome.armRequestId ?? null,
        errorCode: outcome.status === "failed" ? outcome.errorCode : null,
      })),
      now,
    );
    const more = effects ? await effects(tx, intents) : [];
    const settled = intents.map((intent, index) => ({ intent, events: [outcomeEvent(intent, outcomes[index]!.outcome, now), ...(more[index] ?? [])] }));
    const recorded = await recordAuditEvents(
      tx,
      settled.flatMap(({ events }) => events),
    );
    let first = 0;
    return settled.map(({ intent, events }) => {
      const auditEventId = recorded[first]!.id;
      first += events.length;
      return { intent, auditEventId };
    });
  });
}

/** The `granted`/`revoked`/`*_failed` event of an intent's outcome. */
function outcomeEvent(intent: ChangeIntent, outcome: ChangeOutcome, now: Date): AuditEventInput {
  const common = {
    actor: intent.requestedBy,
    target: intentTarget(intent),
    correlation: {
      consoleRequestId: intent.consoleRequestId ?? undefined,
      armRequestId: outcome.armRequestId,
    },
    occurredAt: now,
  };
  const ids = { intentId: intent.id, assignmentName: intent.assignmentName };
  if (outcome.status === "succeeded") {
    const alreadyInDesiredState = outcome.alreadyInDesiredState ?? false;
    return intent.kind === "grant"
      ? { ...common, action: "role_assignment.granted", outcome: "succeeded", details: { ...ids, alreadyExisted: alreadyInDesiredState } }
      : { ...common, action: "role_assignment.revoked", outcome: "succeeded", details: { ...ids, wasAbsent: alreadyInDesiredState } };
  }
  return {
    ...common,
    action: intent.kind === "grant" ? "role_assignment.grant_failed" : "role_assignment.revoke_failed",
    outcome: "failed",
    errorCode: outcome.errorCode,
    details: { ...ids, httpStatus: outcome.httpStatus, message: outcome.message },
  };
}

/** Pending intents created before `olderThan`, oldest first: the ones whose outcome a crash may have lost. */
export async function findUnresolvedIntents(db: Database, olderThan: Date, limit = 100): Promise<ChangeIntent[]> {
  const rows = await db
    .select()
    .from(azureChangeIntents)
    .where(and(eq(azureChangeIntents.state, "pending"), lt(azureChangeIntents.createdAt, olderThan)))
    .orderBy(asc(azureChangeIntents.createdAt), asc(azureChangeIntents.id))
    .limit(limit);
  return rows.map(toChangeIntent);
}

export interface ResolveIntentContext {
  /** Who settled it: usually the console's own identity (`{ kind: "system", appId }`). */
  readonly actor: AuditActor;
  /** The `x-ms-request-id` of the ARM read that observed the assignment. */
  readonly armRequestId?: string;
  readonly consoleRequestId?: string;
  readonly now?: Date;
}

/** Error code of a pending change that ARM shows was never applied. */
export const NOT_APPLIED_ERROR_CODE = "ChangeNotApplied";

/**
 * Settles a pending intent from what ARM shows now: a grant whose assignment is present (or a revoke whose
 * assignment is absent) succeeded, otherwise it failed. Writes `role_assignment.reconciled`; refused with `conflict`
 * if the intent was already resolved (e.g. its outcome arrived meanwhile).
 */
export async function resolveIntent(
  db: Database,
  intentId: number,
  observed: "present" | "absent",
  context: ResolveIntentContext,
  effects?: IntentEffects,
): Promise<RecordedChangeOutcome> {
  const now = context.now ?? new Date();
  return db.transaction(async (tx) => {
    const [pending] = await tx.select({ kind: azureChangeIntents.kind }).from(azureChangeIntents).where(eq(azureChangeIntents.id, intentId));
    if (!pending) throw intentNotFound(intentId);
    const applied = (pending.kind === "grant") === (observed === "present");
    const state = applied ? "succeeded" : "failed";
    const settlement = { intentId, state, armRequestId: context.armRequestId ?? null, errorCode: applied ? null : NOT_APPLIED_ERROR_CODE } as const;
    const intent = (await settlePendingIntents(tx, [settlement], now))[0]!;
    const more = applied && effects ? await effects(tx, intent) : [];
    const [recorded] = await recordAuditEvents(tx, [
      {
        action: "role_assignment.reconciled",
        outcome: state,
        errorCode: applied ? undefined : NOT_APPLIED_ERROR_CODE,
        actor: context.actor,
        target: intentTarget(intent),
        correlation: {
          consoleRequestId: context.consoleRequestId ?? intent.consoleRequestId ?? undefined,
          armRequestId: context.armRequestId,
        },
        details: {
          intentId: intent.id,
          assignmentName: intent.assignmentName,
          kind: intent.kind,
          observed,
          resolvedState: state,
        },
        occurredAt: now,
      },
      ...more,
    ]);
    return { intent, auditEventId: recorded!.id };
  });
}

/** How long a change may stay unsettled because ARM will not show its outcome, before it is closed as unknown. */
export const UNKNOWN_AFTER_MS = 60 * 60_000;

/**
 * Closes a pending change whose outcome could not be read for too long (e.g. ARM answers the console's read with 403):
 * state `unknown` with `role_assignment.outcome_unknown`, so it stops blocking later changes to the same access and
 * admins see that someone has to check in Azure. Nothing about holders is assumed.
 */
export async function markIntentUnknown(
  db: Database,
  intentId: number,
  context: { actor: AuditActor; errorCode: string; now?: Date },
): Promise<ChangeIntent | undefined> {
  const now = context.now ?? new Date();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(azureChangeIntents)
      .set({ state: "unknown", errorCode: context.errorCode.slice(0, 128), updatedAt: now })
      .where(and(eq(azureChangeIntents.id, intentId), eq(azureChangeIntents.state, "pending")))
      .returning();
    if (!row) return undefined;
    const intent = toChangeIntent(row);
    await recordAuditEvent(tx, {
      action: "role_assignment.outcome_unknown",
      outcome: "failed",
      errorCode: context.errorCode.slice(0, 128) || "OutcomeUnreadable",
      actor: context.actor,
      target: intentTarget(intent),
      reason: "Azure would not show whether this change happened; check the assignment in Azure.",
      details: { intentId: intent.id, assignmentName: intent.assignmentName, kind: intent.kind, pendingSince: intent.createdAt.toISOString() },
      occurredAt: now,
    });
    return intent;
  });
}

/** Changes closed as unknown on a scope (a workspace), newest first: shown to admins until someone checks. */
export async function findUnknownIntents(db: Database, scope: string, limit = 20): Promise<ChangeIntent[]> {
  const rows = await db
    .select()
    .from(azureChangeIntents)
    .where(and(eq(azureChangeIntents.state, "unknown"), sql`lower(${azureChangeIntents.scope}) = ${scope.toLowerCase()}`))
    .orderBy(desc(azureChangeIntents.updatedAt))
    .limit(limit);
  return rows.map(toChangeIntent);
}

/**
 * The grants at one scope and role that succeeded in the given console requests (earlier attempts of one bulk grant),
 * asked for by this person: what a resumed bulk grant does not send to Azure again.
 */
export async function findSucceededGrants(
  db: Database,
  query: {
    readonly consoleRequestIds: readonly string[];
    readonly scope: string;
    readonly roleDefinitionId: string;
    readonly requestedBy: AuditActor;
    /** The holder kind the grants added (lib/ownership's `HolderSpec["kind"]`). */
    readonly holderKind: string;
  },
): Promise<ChangeIntent[]> {
  if (query.consoleRequestIds.length === 0 || query.requestedBy.kind !== "user") return [];
  const rows = await db
    .select()
    .from(azureChangeIntents)
    .where(
      and(
        eq(azureChangeIntents.kind, "grant"),
        eq(azureChangeIntents.state, "succeeded"),
        inArray(azureChangeIntents.consoleRequestId, [...query.consoleRequestIds]),
        sql`lower(${azureChangeIntents.scope}) = ${query.scope.toLowerCase()}`,
        sql`lower(${azureChangeIntents.roleDefinitionId}) = ${query.roleDefinitionId.toLowerCase()}`,
        // People are compared by tenant and object id (never by name), as everywhere else.
        sql`lower(${azureChangeIntents.requestedBy}->>'tenantId') = ${query.requestedBy.tenantId.toLowerCase()}`,
        sql`lower(${azureChangeIntents.requestedBy}->>'objectId') = ${query.requestedBy.objectId.toLowerCase()}`,
        // Only what held the access the same way (an admin's direct grant): a mapping's or a request's grant of the
        // same role would leave the assignment without the holder the resumed grant means to add.
        sql`${azureChangeIntents.ownership}->'holder'->>'kind' = ${query.holderKind}`,
      ),
    )
    .orderBy(asc(azureChangeIntents.id));
  return rows.map(toChangeIntent);
}

interface IntentSettlement {
  readonly intentId: number;
  readonly state: "succeeded" | "failed";
  readonly armRequestId: string | null;
  readonly errorCode: string | null;
}

/**
 * Moves pending intents to their final states in one statement, in the order given; the `state = 'pending'` condition
 * makes a second resolution a no-op. Refused as a whole, with `conflict` for the first intent that is no longer
 * pending or appears twice, or `not_found` for one that does not exist; the caller's transaction then writes nothing.
 */
async function settlePendingIntents(tx: DatabaseTransaction, settlements: readonly IntentSettlement[], now: Date): Promise<ChangeIntent[]> {
  const seen = new Set<number>();
  for (const { intentId } of settlements) {
    // One statement would settle it once and report it twice: the second is refused, as it would be on its own.
    if (seen.has(intentId)) throw intentAlreadySettled(`change intent ${intentId} appears twice in one settlement`);
    seen.add(intentId);
  }
  const settled = sql.join(
    settlements.map(({ intentId, state, armRequestId, errorCode }) => sql`(${intentId}::bigint, ${state}::text, ${armRequestId}::text, ${errorCode}::text)`),
    sql`, `,
  );
  const rows = await tx
    .update(azureChangeIntents)
    .set({ state: sql`settled.state`, armRequestId: sql`settled.arm_request_id`, errorCode: sql`settled.error_code`, updatedAt: now })
    .from(sql`(values ${settled}) as settled (id, state, arm_request_id, error_code)`)
    .where(and(sql`${azureChangeIntents.id} = settled.id`, eq(azureChangeIntents.state, "pending")))
    .returning(getTableColumns(azureChangeIntents));
  const byId = new Map(rows.map((row) => [row.id, row]));
  const intents: ChangeIntent[] = [];
  for (const { intentId } of settlements) {
    const row = byId.get(intentId);
    if (row) {
      intents.push(toChangeIntent(row));
      continue;
    }
    const [existing] = await tx.select({ state: azureChangeIntents.state }).from(azureChangeIntents).where(eq(azureChangeIntents.id, intentId));
    if (!existing) throw intentNotFound(intentId);
    throw intentAlreadySettled(`change intent ${intentId} is no longer pending (${existing.state})`);
  }
  return intents;
}

function intentAlreadySettled(message: string): AppError {
  return new AppError({ code: "conflict", message, userMessage: "This change has already been settled." });
}

function intentNotFound(intentId: number): AppError {
  return new AppError({
    code: "not_found",
    message: `change intent ${intentId} does not exist`,
    userMessage: "That change could not be found.",
  });
}

function intentTarget(intent: ChangeIntent) {
  return {
    scope: intent.scope,
    principalId: intent.principalId,
    principalType: intent.principalType,
    roleDefinitionId: intent.roleDefinitionId,
    roleName: intent.roleName ?? undefined,
    requestId: intent.requestId ?? undefined,
  };
}

function toChangeIntent(row: typeof azureChangeIntents.$inferSelect): ChangeIntent {
  return {
    ...row,
    // The CHECK constraints and the writer above keep these columns within their unions.
    kind: row.kind as ChangeKind,
    principalType: row.principalType as PrincipalType,
    state: row.state as ChangeIntentState,
    requestedBy: auditActorSchema.parse(row.requestedBy),
  };
}

/** True for a unique violation of `constraint`, however the driver (pg, PGlite) or drizzle wrapped it. */
function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const { code, constraint: violated } = current as { code?: unknown; constraint?: unknown };
    if (code === "23505") return violated === undefined || violated === constraint;
  }
  return false;
}
