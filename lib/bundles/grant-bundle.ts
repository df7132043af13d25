import "server-only";

import { randomUUID } from "node:crypto";

import { and, asc, eq, inArray, sql } from "drizzle-orm";

import type { ArmIdentity } from "@/lib/arm/client";
import { type AuditActor, type AuditEventInput, recordAuditEvents } from "@/lib/audit";
import type { DelegatedContext } from "@/lib/auth/caller";
import { type Database, type DatabaseTransaction, getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { describeHolders, keptBecause } from "@/lib/ownership/describe";
import { getRequestPolicy, type RequestPolicy } from "@/lib/requests/policy";
import { type GrantResult, grantRolesOnScopes, type GrantTarget, PRINCIPAL_TYPE } from "@/lib/workspaces/grant-workspace-roles";
import { releaseAccess, type ReleaseOutcome } from "@/lib/workspaces/release-access";
import { checkBundleIntegrity } from "./integrity";
import { getRoleDefinitions } from "@/lib/workspaces/role-definitions";
import { blockedMessage, type BundleFactSources, type BundlePlanView, planBundle } from "./plan";
import type { BundlePart } from "./resolve";
import {
  type BundleGrantPartRow,
  bundleGrantParts,
  type BundleGrantRow,
  bundleGrants,
  type BundleGrantStatus,
  type BundleGrantView,
  type BundlePartState,
} from "./schema";

export interface GrantBundleInput {
  readonly workspaceId: string;
  readonly bundleId: string;
  readonly principal: GrantTarget;
  /** The approved request this grant carries out (its holder ends with the request); absent for an admin's grant. */
  readonly requestId?: string;
  readonly expiresAt: Date | null;
}

export interface BundleGrantOptions {
  readonly db?: Database;
  readonly policy?: RequestPolicy;
  readonly now?: () => Date;
  /** Grants parts together; the real one is `grantRolesOnScopes` (tests stand in for ARM and database failures). */
  readonly grantParts?: typeof grantRolesOnScopes;
}

export type { BundleGrantView };

/** Claims for a re-sign-in Azure asked for while granting a part (e.g. MFA), when one did. */
export interface BundleGrantResult extends BundleGrantView {
  readonly claims?: string;
}

function counts(parts: readonly Pick<BundleGrantPartRow, "state">[]): Partial<Record<BundlePartState, number>> {
  const tally: Partial<Record<BundlePartState, number>> = {};
  for (const part of parts) tally[part.state] = (tally[part.state] ?? 0) + 1;
  return tally;
}

function bundleEvent(
  grant: BundleGrantRow,
  actor: AuditActor,
  to: BundleGrantStatus,
  parts: readonly Pick<BundleGrantPartRow, "state">[],
  now: Date,
  extra: { from?: BundleGrantStatus; reason?: string; consoleRequestId?: string; failed?: boolean } = {},
): AuditEventInput {
  return {
    action: "bundle.changed",
    outcome: extra.failed ? "failed" : "succeeded",
    ...(extra.failed ? { errorCode: "BundlePartFailed" } : {}),
    actor,
    target: {
      scope: grant.workspaceId,
      principalId: grant.principalId,
      principalType: PRINCIPAL_TYPE[grant.principalKind as GrantTarget["kind"]] ?? "User",
      ...(grant.requestId ? { requestId: grant.requestId } : {}),
    },
    ...(extra.reason ? { reason: extra.reason.slice(0, 2000) } : {}),
    ...(extra.consoleRequestId ? { correlation: { consoleRequestId: extra.consoleRequestId } } : {}),
    details: { bundleGrantId: grant.id, bundleId: grant.bundleId, ...(extra.from ? { from: extra.from } : {}), to, parts: counts(parts) },
    occurredAt: now,
  };
}

export async function loadBundleGrant(db: Database | DatabaseTransaction, id: string): Promise<BundleGrantView | undefined> {
  const [grant] = await db.select().from(bundleGrants).where(eq(bundleGrants.id, id));
  if (!grant) return undefined;
  const parts = await db.select().from(bundleGrantParts).where(eq(bundleGrantParts.bundleGrantId, id)).orderBy(asc(bundleGrantParts.id));
  return { grant, parts };
}

export async function findBundleGrantOfRequest(db: Database | DatabaseTransaction, requestId: string): Promise<BundleGrantView | undefined> {
  const [grant] = await db.select({ id: bundleGrants.id }).from(bundleGrants).where(eq(bundleGrants.requestId, requestId));
  return grant ? loadBundleGrant(db, grant.id) : undefined;
}

/**
 * Grants a bundle as one unit. The plan is read again on the server (never taken from the browser); if any part is
 * blocked, or the bundle would pass a subscription's assignment budget, nothing is granted and the answer says which
 * part and why. Otherwise the grant and its parts are recorded first, then each part is granted on its own scope
 * (held by this bundle grant), and each part's result is kept: a part that fails leaves a visible, resumable
 * `partial` grant, never a silent half.
 */
export async function grantBundle(
  context: DelegatedContext,
  input: GrantBundleInput,
  sources: BundleFactSources,
  options: BundleGrantOptions = {},
): Promise<BundleGrantResult> {
  if (input.requestId) {
    // A retried approval resumes the request's own bundle grant instead of starting a second one.
    const existing = await findBundleGrantOfRequest(options.db ?? (await getDatabase()), input.requestId);
    if (existing) return resumeBundleGrant(context, existing.grant.id, options);
  }
  const plan = await planBundleForGrant(context, input, sources, options);
  return grantPlannedBundle(context, input, plan, options);
}

/**
 * The plan a grant rests on, read as the admin. The role definitions at every scope a part may land on are read while
 * the plan is (each part's grant judges its role from them), so no part waits for them after the plan.
 */
export function planBundleForGrant(
  context: DelegatedContext,
  input: Pick<GrantBundleInput, "workspaceId" | "bundleId" | "expiresAt">,
  sources: BundleFactSources,
  options: Pick<BundleGrantOptions, "policy"> = {},
): Promise<BundlePlanView> {
  const identity: ArmIdentity = { kind: "delegated", caller: context.caller };
  return planBundle(
    context.caller,
    { workspaceId: input.workspaceId, bundleId: input.bundleId, timeBound: input.expiresAt !== null },
    sources,
    options.policy ?? getRequestPolicy(),
    {
      // Only warms the per-caller cache the part grants read; a failed read is read again (and reported) there.
      onScopes: (scopes) => scopes.forEach((scope) => void getRoleDefinitions(identity, scope).catch(() => undefined)),
    },
  );
}

/** Grants a bundle on a plan read for it in this request (`planBundleForGrant`): refused whole if anything blocks it. */
export async function grantPlannedBundle(
  context: DelegatedContext,
  input: GrantBundleInput,
  plan: BundlePlanView,
  options: BundleGrantOptions = {},
): Promise<BundleGrantResult> {
  const db = options.db ?? (await getDatabase());
  const now = options.now ?? (() => new Date());
  const refusal = blockedMessage(plan);
  if (refusal) {
    throw new AppError({ code: "invalid_input", message: `bundle ${plan.bundleId} not grantable on ${plan.workspaceId}`, userMessage: refusal });
  }
  const id = randomUUID();
  const started = now();
  const workspaceName = plan.parts[0]?.resourceName ?? plan.workspaceId;
  const grantRow: typeof bundleGrants.$inferInsert = {
    id,
    bundleId: plan.bundleId,
    bundleName: plan.bundleName,
    workspaceId: plan.workspaceId,
    workspaceKey: plan.workspaceId.toLowerCase(),
    workspaceName,
    principalId: input.principal.id.toLowerCase(),
    principalKind: input.principal.kind,
    principalDisplayName: input.principal.displayName,
    requestId: input.requestId ?? null,
    status: "granting",
    expiresAt: input.expiresAt,
    grantedBy: context.actor,
    createdAt: started,
    updatedAt: started,
  };
  const partRows = plan.parts.map((part: BundlePart): typeof bundleGrantParts.$inferInsert => ({
    bundleGrantId: id,
    partKey: part.key,
    on: part.on,
    resourceName: part.resourceName,
    scope: part.scope,
    subscriptionId: part.subscriptionId,
    roleDefinitionId: part.roleDefinitionId,
    roleName: part.roleName,
    why: part.why,
    state: part.state === "not_applicable" ? "not_applicable" : "planned",
    note: part.note ?? null,
    updatedAt: started,
  }));
  // The rows just written are the grant's state: its parts are granted from them, not read back.
  const view = await db.transaction(async (tx): Promise<BundleGrantView> => {
    const [grant] = await tx.insert(bundleGrants).values(grantRow).returning();
    const parts = await tx.insert(bundleGrantParts).values(partRows).returning();
    await recordAuditEvents(tx, [bundleEvent(grant!, context.actor, "granting", parts, started, { consoleRequestId: context.requestId })]);
    return { grant: grant!, parts: [...parts].sort((a, b) => a.id - b.id) };
  });
  return grantParts(context, db, view, "granting", options);
}

/** Grants the parts of a `partial` (or interrupted) bundle grant that do not hold yet; the others are left alone. */
export async function resumeBundleGrant(context: DelegatedContext, bundleGrantId: string, options: BundleGrantOptions = {}): Promise<BundleGrantResult> {
  const db = options.db ?? (await getDatabase());
  const now = options.now ?? (() => new Date());
  const view = await loadBundleGrant(db, bundleGrantId);
  if (!view) throw new AppError({ code: "not_found", message: `bundle grant ${bundleGrantId} not found`, userMessage: "That bundle grant no longer exists." });
  if (view.grant.status === "granted" || view.grant.status === "partial") {
    // Parts that held once but no longer do (removed in Azure or through Gatehouse) are granted again too.
    const report = await checkBundleIntegrity(db, { kind: "delegated", caller: context.caller }, view);
    if (report.status === "unknown") {
      throw new AppError({
        code: "upstream_failed",
        message: "bundle integrity unknown",
        userMessage: `Gatehouse could not check the bundle's parts: ${report.reason}`,
      });
    }
    if (report.status === "complete" && view.grant.status === "granted") return view;
    if (report.status === "incomplete") {
      for (const missing of report.missing) {
        await db.update(bundleGrantParts).set({ state: "failed", note: missing.words, updatedAt: now() }).where(eq(bundleGrantParts.id, missing.part.id));
      }
    }
  }
  if (view.grant.status !== "partial" && view.grant.status !== "granting" && view.grant.status !== "granted") {
    throw new AppError({
      code: "conflict",
      message: `bundle grant ${bundleGrantId} is ${view.grant.status}`,
      userMessage: `This bundle grant has ${view.grant.status === "ended" ? "ended" : "begun to end"}; grant the bundle again instead.`,
    });
  }
  const [claimed] = await db
    .update(bundleGrants)
    .set({ status: "granting", updatedAt: now() })
    .where(and(eq(bundleGrants.id, bundleGrantId), eq(bundleGrants.status, view.grant.status)))
    .returning();
  if (!claimed && view.grant.status !== "granting") {
    throw new AppError({
      code: "conflict",
      message: "bundle grant changed meanwhile",
      userMessage: "This bundle grant changed meanwhile; refresh and try again.",
    });
  }
  return grantParts(context, db, (await loadBundleGrant(db, bundleGrantId))!, view.grant.status, options);
}

async function grantParts(
  context: DelegatedContext,
  db: Database,
  view: BundleGrantView,
  from: BundleGrantStatus,
  options: BundleGrantOptions,
): Promise<BundleGrantResult> {
  const now = options.now ?? (() => new Date());
  const grantParts = options.grantParts ?? grantRolesOnScopes;
  const { grant } = view;
  const bundleGrantId = grant.id;
  const principal: GrantTarget = { id: grant.principalId, kind: grant.principalKind as GrantTarget["kind"], displayName: grant.principalDisplayName };
  const pending = view.parts.filter((part) => part.state === "planned" || part.state === "failed");
  // Together, each part on its own resource: a bundle is a handful of assignments, far below ARM's write limits. Every
  // part still records its intent before its PUT and its outcome after it; the parts' intents share one transaction
  // and their outcomes another. Parts that would land the same role on the same scope go in later rounds, one after
  // the other, so the later one finds the earlier one's assignment (as it would have one by one) instead of meeting
  // its pending intent.
  const lanes = new Map<string, BundleGrantPartRow[]>();
  for (const part of pending) {
    const lane = `${part.scope?.toLowerCase()}|${part.roleDefinitionId.toLowerCase()}`;
    lanes.set(lane, [...(lanes.get(lane) ?? []), part]);
  }
  const outcomes = new Map<number, { readonly claims?: string }>();
  const rounds = Math.max(0, ...[...lanes.values()].map((lane) => lane.length));
  // A part whose state could not be written fails the call, as it did one by one, but only once every part has settled.
  let broken: { reason: unknown } | undefined;
  for (let round = 0; round < rounds; round++) {
    const parts = [...lanes.values()].flatMap((lane) => lane.slice(round, round + 1));
    const done = await grantPartsTogether(context, db, grant, principal, parts, grantParts, now);
    parts.forEach((part, index) => {
      const settled = done[index]!;
      if (settled.status === "fulfilled") outcomes.set(part.id, settled.value);
      else broken ??= { reason: settled.reason };
    });
  }
  if (broken) throw broken.reason;
  const claims = pending.map((part) => outcomes.get(part.id)?.claims).find((found) => found !== undefined);
  const parts = await db.select().from(bundleGrantParts).where(eq(bundleGrantParts.bundleGrantId, bundleGrantId)).orderBy(asc(bundleGrantParts.id));
  const whole = parts.every((part) => part.state === "granted" || part.state === "already_granted" || part.state === "not_applicable");
  const to: BundleGrantStatus = whole ? "granted" : "partial";
  const finished = now();
  const settled = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(bundleGrants)
      .set({ status: to, updatedAt: finished })
      .where(and(eq(bundleGrants.id, bundleGrantId), eq(bundleGrants.status, "granting")))
      .returning();
    if (row) {
      await recordAuditEvents(tx, [
        bundleEvent(row, context.actor, to, parts, finished, {
          from,
          failed: !whole,
          consoleRequestId: context.requestId,
          ...(whole ? {} : { reason: "Some parts of the bundle could not be granted; the grant can be resumed." }),
        }),
      ]);
    }
    return row;
  });
  return { grant: settled ?? grant, parts, ...(claims ? { claims } : {}) };
}

/** A part's state and note for how its grant ended (`in_progress`: not settled yet, so still `planned`). */
function partStateOf(result: Pick<GrantResult, "status" | "message">): { state: BundlePartState; note: string | null } {
  switch (result.status) {
    case "granted":
      return { state: "granted", note: null };
    case "already_granted":
      return { state: "already_granted", note: "The assignment already existed; the bundle holds it too and will not remove it." };
    case "failed":
      return { state: "failed", note: result.message };
    default:
      return { state: "planned", note: `Not settled yet: ${result.message}` };
  }
}

/** Writes parts' states and notes for how their grants ended, in one statement; a part keeps its reference when ARM gave none. */
async function writePartStates(
  db: Database | DatabaseTransaction,
  entries: readonly { readonly part: BundleGrantPartRow; readonly settled: Pick<GrantResult, "status" | "message" | "reference"> }[],
  updatedAt: Date,
): Promise<void> {
  if (entries.length === 0) return;
  const states = sql.join(
    entries.map(({ part, settled }) => {
      const { state, note } = partStateOf(settled);
      return sql`(${part.id}::bigint, ${state}::text, ${note}::text, ${settled.reference ?? part.reference}::text)`;
    }),
    sql`, `,
  );
  await db
    .update(bundleGrantParts)
    .set({ state: sql`settled.state`, note: sql`settled.note`, reference: sql`settled.reference`, updatedAt })
    .from(sql`(values ${states}) as settled (id, state, note, reference)`)
    .where(sql`${bundleGrantParts.id} = settled.id`);
}

/**
 * Grants planned or failed parts together and records each part's state; a part that throws is recorded as failed,
 * never lost. A part whose outcome is recorded gets its state in that same transaction; otherwise (no outcome
 * recorded, a grant that threw) it is written after. Rejected, for a part, only when its state could not be written.
 */
async function grantPartsTogether(
  context: DelegatedContext,
  db: Database,
  grant: BundleGrantRow,
  principal: GrantTarget,
  parts: readonly BundleGrantPartRow[],
  grantParts: typeof grantRolesOnScopes,
  now: () => Date,
): Promise<PromiseSettledResult<{ readonly claims?: string }>[]> {
  // Set by the outcome's transaction when it wrote the part's state; a transaction that then rolled back and was
  // recorded again sets it again, and a grant that threw clears it.
  const writtenWithOutcome = parts.map(() => false);
  let settled: PromiseSettledResult<GrantResult>[];
  try {
    settled = await grantParts(
      context,
      parts.map((part) => ({
        scope: part.scope!,
        roleDefinitionId: part.roleDefinitionId,
        principal,
        description: `Gatehouse bundle ${grant.bundleName} (${grant.id})`,
        holder: { kind: "bundle", bundleGrantId: grant.id, expiresAt: grant.expiresAt?.toISOString() ?? null },
      })),
      {
        db,
        onSettled: async (tx, outcomes) => {
          await writePartStates(
            tx,
            outcomes.map(({ index, settled: outcome }) => ({ part: parts[index]!, settled: { ...outcome, message: outcome.message ?? "" } })),
            now(),
          );
          for (const { index } of outcomes) writtenWithOutcome[index] = true;
        },
      },
    );
  } catch (error) {
    settled = parts.map(() => ({ status: "rejected", reason: error }));
  }
  return Promise.allSettled(
    parts.map(async (part, index) => {
      const one = settled[index]!;
      let result: GrantResult;
      let claims: string | undefined;
      if (one.status === "fulfilled") {
        result = one.value;
        claims = result.claims;
      } else {
        const error: unknown = one.reason;
        if (!(error instanceof AppError)) {
          log("error", "bundles", "bundle part grant threw", { bundleGrantId: grant.id, part: part.partKey, error: describeError(error) });
        }
        const message = error instanceof AppError ? error.userMessage : "The grant could not be made.";
        claims = error instanceof AppError ? error.claims : undefined;
        result = { principalId: principal.id, displayName: principal.displayName, status: "failed", message };
        // Whatever the outcome's transaction wrote did not commit (the grant threw): the state is written here.
        writtenWithOutcome[index] = false;
      }
      // An `in_progress` grant recorded no outcome (its transaction, if begun, rolled back): the part stays planned.
      if (!writtenWithOutcome[index] || result.status === "in_progress") await writePartStates(db, [{ part, settled: result }], now());
      return claims ? { claims } : {};
    }),
  );
}

/** How one part's release ended, in words (shown on the part and in the request's outcome). */
function releaseNote(outcome: Exclude<ReleaseOutcome, { status: "failed" | "in_progress" }>, kept: string | undefined): string {
  if (outcome.status === "not_held") return "Gatehouse held nothing for this part any more, so nothing was removed.";
  if (outcome.status === "kept") return kept ?? "The assignment stays.";
  return outcome.fate === "already_removed" ? "The assignment was already gone from Azure." : "The assignment was removed.";
}

export interface EndBundleInput {
  readonly identity: ArmIdentity;
  readonly actor: AuditActor;
  readonly db: Database;
  readonly bundleGrantId: string;
  /** Why it ends (expiry, the request's revocation, an admin's removal), recorded on every release. */
  readonly reason: string;
  /** Who acts, for ARM's refusal message. */
  readonly actingAs: string;
  readonly now: Date;
  readonly consoleRequestId?: string;
}

export type EndBundleOutcome =
  | { readonly status: "ended"; readonly parts: readonly BundleGrantPartRow[]; readonly removed: number; readonly kept: number }
  | { readonly status: "failed"; readonly parts: readonly BundleGrantPartRow[]; readonly userMessage: string; readonly internalMessage: string }
  | { readonly status: "in_progress" };

/**
 * Ends a bundle grant: each part's holder lets go, and an assignment is removed only when it was the last holder of
 * an assignment the bundle's own PUT created. Anything found in place, or also held by a direct grant, a mapping or a
 * request, stays, with why on the part. A part ARM would not remove keeps its holder; the grant is `end_failed` and
 * the caller retries (released parts are not touched again).
 */
export async function endBundleGrant(input: EndBundleInput): Promise<EndBundleOutcome> {
  const { db } = input;
  const view = await loadBundleGrant(db, input.bundleGrantId);
  if (!view) return { status: "ended", parts: [], removed: 0, kept: 0 };
  if (view.grant.status === "ended") return { status: "ended", parts: view.parts, removed: 0, kept: 0 };
  const from = view.grant.status;
  await db
    .update(bundleGrants)
    .set({ status: "ending", updatedAt: input.now })
    .where(and(eq(bundleGrants.id, input.bundleGrantId), inArray(bundleGrants.status, ["granting", "granted", "partial", "end_failed", "ending"])));
  const principalType = PRINCIPAL_TYPE[view.grant.principalKind as GrantTarget["kind"]] ?? "User";
  let removed = 0;
  let kept = 0;
  const failures: { part: string; userMessage: string; internalMessage: string }[] = [];
  let waiting = false;
  for (const part of view.parts) {
    // Only held parts are released; a part that never held (failed, planned, not needed) has nothing to let go of.
    if (part.state !== "granted" && part.state !== "already_granted") continue;
    const outcome = await releaseAccess({
      identity: input.identity,
      actor: input.actor,
      db,
      access: { scope: part.scope!, principalId: view.grant.principalId, principalType, roleDefinitionId: part.roleDefinitionId, roleName: part.roleName },
      holder: { kind: "bundle", bundleGrantId: view.grant.id },
      reason: input.reason,
      actingAs: input.actingAs,
      now: input.now,
      ...(input.consoleRequestId ? { consoleRequestId: input.consoleRequestId } : {}),
      onSettled: async (tx, settled) => {
        const keptWords = settled.status === "kept" ? keptBecause(settled.fate, await describeHolders(tx, settled.remaining)) : undefined;
        await tx
          .update(bundleGrantParts)
          .set({ state: "released", note: releaseNote(settled, keptWords), updatedAt: input.now })
          .where(eq(bundleGrantParts.id, part.id));
        return [];
      },
    });
    if (outcome.status === "in_progress") waiting = true;
    else if (outcome.status === "failed") failures.push({ part: part.roleName, userMessage: outcome.userMessage, internalMessage: outcome.internalMessage });
    else if (outcome.status === "removed") removed++;
    else kept++;
  }
  const parts = await db.select().from(bundleGrantParts).where(eq(bundleGrantParts.bundleGrantId, input.bundleGrantId)).orderBy(asc(bundleGrantParts.id));
  if (waiting && failures.length === 0) {
    await db
      .update(bundleGrants)
      .set({ status: from, updatedAt: input.now })
      .where(and(eq(bundleGrants.id, input.bundleGrantId), eq(bundleGrants.status, "ending")));
    return { status: "in_progress" };
  }
  const to: BundleGrantStatus = failures.length > 0 || waiting ? "end_failed" : "ended";
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(bundleGrants)
      .set({
        status: to,
        updatedAt: input.now,
        ...(to === "ended" ? { endedAt: input.now } : { endAttempts: sql`${bundleGrants.endAttempts} + 1` }),
      })
      .where(and(eq(bundleGrants.id, input.bundleGrantId), eq(bundleGrants.status, "ending")))
      .returning();
    if (row && (to === "ended" || from !== "end_failed")) {
      await recordAuditEvents(tx, [
        bundleEvent(row, input.actor, to, parts, input.now, {
          from,
          reason: to === "ended" ? input.reason : `Could not remove: ${failures.map((failure) => `${failure.part}: ${failure.internalMessage}`).join("; ")}`,
          failed: to !== "ended",
          ...(input.consoleRequestId ? { consoleRequestId: input.consoleRequestId } : {}),
        }),
      ]);
    }
  });
  if (to === "ended") return { status: "ended", parts, removed, kept };
  return {
    status: "failed",
    parts,
    userMessage: failures.map((failure) => `${failure.part}: ${failure.userMessage}`).join(" ") || "Another change to one of the parts was in progress.",
    internalMessage: failures.map((failure) => `${failure.part}: ${failure.internalMessage}`).join("; ") || "part change in progress",
  };
}
