import "server-only";

import { isRestError } from "@azure/core-rest-pipeline";
import { v5 as uuidv5 } from "uuid";

import { authorizationClient, type ArmIdentity } from "@/lib/arm/client";
import {
  type ChangeIntent,
  type ChangeIntentInput,
  type ChangeOutcome,
  findSucceededGrants,
  type OutcomesEffects,
  type PrincipalType,
  recordChangeIntent,
  recordChangeIntents,
  recordChangeOutcomes,
} from "@/lib/audit";
import type { DelegatedContext } from "@/lib/auth/caller";
import { requireStepUp } from "@/lib/auth/step-up";
import { type Database, type DatabaseTransaction, getDatabase } from "@/lib/db";
import { databaseUnavailable, isDatabaseUnavailable } from "@/lib/db/faults";
import { type ArmFailure, roleChangeFailure } from "@/lib/azure/errors";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { type HolderSpec, holdAssignments, type HoldResult, type IntentOwnership } from "@/lib/ownership/holders";
import { parseScope, type ParsedScope, resourceNameOfScope, subscriptionOfScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "./get-workspace-access";
import { assertRoleGrantable, builtInRole } from "./grantable-roles";
import { getRoleDefinitions } from "./role-definitions";

/**
 * Waits before each new PUT while ARM says the principal does not exist (`PrincipalNotFound`): a principal created
 * moments ago may not have reached ARM's copy of the directory yet, even with `principalType` set ("up to 10
 * minutes", learn.microsoft.com/azure/role-based-access-control/troubleshooting, "Symptom - Assigning a role to a new
 * principal sometimes fails"). A few short waits cover the usual delay inside one action; after them the admin is told
 * to try again later. The PUT is idempotent (same name), so repeating it can never make a second assignment.
 */
export const REPLICATION_WAITS_MS = [1_000, 2_000, 4_000] as const;

async function whileReplicating<T>(put: () => Promise<T>, waits: readonly number[] = REPLICATION_WAITS_MS): Promise<T> {
  for (const wait of waits) {
    try {
      return await put();
    } catch (error) {
      if (!(isRestError(error) && error.code === "PrincipalNotFound")) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return put();
}

/**
 * Namespace for role-assignment names. A grant's name is uuidv5(lower(scope)|principal|role), so a retried or
 * duplicated grant PUTs the same name and can never create a second assignment (Bicep's guid() pattern).
 */
const ASSIGNMENT_NAME_NAMESPACE = "5d7a3c1e-6f0b-4b7e-9a55-6761746568f5";

export function assignmentNameFor(scope: string, principalId: string, roleDefinitionId: string): string {
  return uuidv5(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleDefinitionId.toLowerCase()}`, ASSIGNMENT_NAME_NAMESPACE);
}

export type GrantPrincipalKind = "user" | "group" | "servicePrincipal" | "managedIdentity";

/** ARM wants the principal's type on every create: without it a principal created a moment ago fails to replicate. */
export const PRINCIPAL_TYPE: Record<GrantPrincipalKind, PrincipalType> = {
  user: "User",
  group: "Group",
  servicePrincipal: "ServicePrincipal",
  managedIdentity: "ServicePrincipal",
};

export interface GrantTarget {
  readonly id: string;
  readonly kind: GrantPrincipalKind;
  readonly displayName: string;
}

export interface GrantWorkspaceRolesInput {
  readonly workspaceId: string;
  readonly roleDefinitionId: string;
  readonly principals: readonly GrantTarget[];
  readonly description?: string;
  /** What wants the access (its holder): an admin's direct grant (the default), a group mapping or a request. */
  readonly holder?: HolderSpec;
  /**
   * Resuming a bulk grant that was cut short (a session that ended, a sign-in Azure asked for): the `attemptId`s of its
   * earlier attempts. A principal whose grant succeeded in one of them, as the intents recorded it, is reported done
   * and not sent to Azure again; the others are granted now.
   */
  readonly resumeOf?: readonly string[];
}

export type GrantStatus = "granted" | "already_granted" | "needs_approval" | "in_progress" | "failed";

export interface GrantResult {
  readonly principalId: string;
  readonly displayName: string;
  readonly status: GrantStatus;
  readonly message: string;
  /** ARM's x-ms-request-id, for support. */
  readonly reference?: string;
  /** For `already_granted`: the assignment existed before this grant (found in place, or held already). */
  readonly existedBefore?: boolean;
  /** Requests this direct grant made permanent (closed as superseded). */
  readonly superseded?: readonly string[];
  /** For `needs_approval`: the request that now holds the grant for two other approvers. */
  readonly requestId?: string;
  /**
   * For `failed`: Azure wants the person to sign in again with these claims (JSON, e.g. MFA) before it makes the change.
   * Nothing was changed; the browser signs in again with them and the same grant can be retried.
   */
  readonly claims?: string;
  /** Set on the Reader grant made on a project's hub beside the project grant: the hub's name. */
  readonly hubName?: string;
  /** The console request (attempt) that recorded this principal's grant; a resume names the attempts it continues. */
  readonly attemptId?: string;
}

export interface GrantOptions {
  readonly db?: Database;
}

/**
 * Grants one role on a workspace to each principal, independently: every principal gets its own intent, ARM call,
 * outcome and result, so a partial failure is reported per principal and never hidden or rolled into the others.
 * No database transaction is open while ARM is called.
 */
export async function grantWorkspaceRoles(context: DelegatedContext, input: GrantWorkspaceRolesInput, options: GrantOptions = {}): Promise<GrantResult[]> {
  const workspace = parseScope(input.workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(input.workspaceId);
  const identity: ArmIdentity = { kind: "delegated", caller: context.caller };
  const roleId = input.roleDefinitionId.toLowerCase();
  const db = options.db ?? (await getDatabase());
  // A privileged built-in role is known by its id: refused before any call to Azure (custom roles need their definition).
  await assertRoleGrantable(context, builtInRole(roleId), { scope: workspace.scope, consoleAction: "grantWorkspaceRoles" }, db);
  const definitions = await getRoleDefinitions(identity, workspace.scope);
  const role = definitions.get(roleId);
  if (!role) {
    throw new AppError({
      code: "invalid_input",
      message: `role definition ${roleId} not assignable at ${workspace.scope}`,
      userMessage: "That role does not exist or can't be assigned on this workspace. Pick a role from the list.",
    });
  }
  // Before any intent or ARM write: a role the operator has not allowed is never granted, whatever path asked for it.
  await assertRoleGrantable(context, role, { scope: workspace.scope, consoleAction: "grantWorkspaceRoles" }, db);
  const holder = input.holder ?? { kind: "direct" };
  // Decided before any intent or ARM write: a privileged role needs the stronger sign-in, whoever holds the grant.
  if (role.privileged && input.principals.length > 0) {
    await requireStepUp(
      context,
      {
        reason: "privileged_grant",
        consoleAction: GRANT_ACTION[holder.kind],
        change: `grant of ${role.name}`,
        target: { scope: workspace.scope, roleDefinitionId: roleId, roleName: role.name },
      },
      { db },
    );
  }
  // Only an admin's own direct grant is resumed; a mapping's or a request's grant always runs whole.
  const doneEarlier =
    holder.kind === "direct" ? await findDoneEarlier(db, context, workspace.scope, roleId, input.resumeOf ?? []) : new Map<string, ChangeIntent>();
  const results: GrantResult[] = [];
  // Sequential on purpose: ARM throttles role-assignment writes per subscription, and results stay in order.
  for (const principal of input.principals) {
    const earlier = doneEarlier.get(principal.id.toLowerCase());
    if (earlier) {
      results.push({
        principalId: principal.id.toLowerCase(),
        displayName: principal.displayName,
        status: "granted",
        message: `Granted ${role.name} in the earlier attempt; not sent to Azure again.`,
        attemptId: earlier.consoleRequestId!,
        ...(earlier.armRequestId ? { reference: earlier.armRequestId } : {}),
      });
      continue;
    }
    const result = await grantOne({
      context,
      identity,
      db,
      workspace: workspaceGrantScope(workspace),
      roleName: role.name,
      roleId,
      principal,
      description: input.description,
      holder,
    });
    results.push({ ...result, attemptId: context.requestId });
  }
  return results;
}

export interface GrantRoleOnScopeInput {
  /** Any ARM scope in a subscription: a workspace, a storage account, a key vault, a registry. */
  readonly scope: string;
  readonly roleDefinitionId: string;
  readonly principal: GrantTarget;
  readonly description?: string;
  readonly holder: HolderSpec;
}

export interface GrantRolesOnScopesOptions extends GrantOptions {
  /**
   * Writes the caller's own record of how grants settled (a bundle's part states) in the transaction that records
   * their outcomes, so the two commit together: once for the grants recorded together, or once per grant when each
   * is recorded on its own. Not called for a grant whose outcome is not recorded (it is then `in_progress`).
   */
  readonly onSettled?: SettledGrantsWriter;
}

/** How a grant settled, as recorded with its outcome: `message` only for a failure (the words the person sees). */
export interface SettledGrant {
  readonly status: "granted" | "already_granted" | "failed";
  readonly message?: string;
  readonly reference?: string;
}

/** Each settled grant with its input's position in the call. */
export type SettledGrantsWriter = (tx: DatabaseTransaction, settled: readonly { readonly index: number; readonly settled: SettledGrant }[]) => Promise<void>;

/**
 * One role for one principal on any scope in a subscription, with the same checks, intent, ownership and outcome as a
 * workspace grant: what a bundle's parts on the workspace's linked resources go through.
 */
export async function grantRoleOnScope(context: DelegatedContext, input: GrantRoleOnScopeInput, options: GrantOptions = {}): Promise<GrantResult> {
  const db = options.db ?? (await getDatabase());
  const result = await grantOne(await checkGrantOnScope(context, input, db, undefined));
  return { ...result, attemptId: context.requestId };
}

/**
 * Several such grants, each on its own access (a bundle's parts), each checked as `grantRoleOnScope` checks it, and
 * granted together: the intents of those that pass in one transaction, their ARM calls side by side, their outcomes
 * in one transaction. A result per input, in order: a grant whose check or recording throws is rejected on its own.
 * Two inputs must not name the same access (one would meet the other's pending intent).
 */
export async function grantRolesOnScopes(
  context: DelegatedContext,
  inputs: readonly GrantRoleOnScopeInput[],
  options: GrantRolesOnScopesOptions = {},
): Promise<PromiseSettledResult<GrantResult>[]> {
  const db = options.db ?? (await getDatabase());
  const { onSettled } = options;
  const checked = await Promise.allSettled(inputs.map((input, index) => checkGrantOnScope(context, input, db, onSettled && { write: onSettled, index })));
  const ready = checked.flatMap((check) => (check.status === "fulfilled" ? [check.value] : []));
  const granted = await grantSeveral(ready);
  let next = 0;
  return checked.map((check): PromiseSettledResult<GrantResult> => {
    if (check.status === "rejected") return check;
    const result = granted[next++]!;
    return result.status === "fulfilled" ? { status: "fulfilled", value: { ...result.value, attemptId: context.requestId } } : result;
  });
}

/** The checks before a grant on any scope: the scope, the role's definition there, the operator's rules, step-up. */
async function checkGrantOnScope(context: DelegatedContext, input: GrantRoleOnScopeInput, db: Database, settledAs: GrantOne["settledAs"]): Promise<GrantOne> {
  const subscriptionId = subscriptionOfScope(input.scope);
  if (!subscriptionId) {
    throw new AppError({
      code: "invalid_input",
      message: `scope ${input.scope} is not in a subscription`,
      userMessage: "That resource is not in an Azure subscription.",
    });
  }
  const identity: ArmIdentity = { kind: "delegated", caller: context.caller };
  const roleId = input.roleDefinitionId.toLowerCase();
  const consoleAction = GRANT_ACTION[input.holder.kind];
  await assertRoleGrantable(context, builtInRole(roleId), { scope: input.scope, consoleAction }, db);
  const definitions = await getRoleDefinitions(identity, input.scope);
  const role = definitions.get(roleId);
  if (!role) {
    throw new AppError({
      code: "invalid_input",
      message: `role definition ${roleId} not assignable at ${input.scope}`,
      userMessage: `That role does not exist or can't be assigned on ${resourceNameOfScope(input.scope)}.`,
    });
  }
  await assertRoleGrantable(context, role, { scope: input.scope, consoleAction }, db);
  if (role.privileged) {
    await requireStepUp(
      context,
      {
        reason: "privileged_grant",
        consoleAction,
        change: `grant of ${role.name}`,
        target: { scope: input.scope, roleDefinitionId: roleId, roleName: role.name },
      },
      { db },
    );
  }
  return {
    context,
    identity,
    db,
    workspace: { scope: input.scope, subscriptionId, name: resourceNameOfScope(input.scope) },
    roleName: role.name,
    roleId,
    principal: input.principal,
    description: input.description,
    holder: input.holder,
    ...(settledAs ? { settledAs } : {}),
  };
}

/** The principals whose grant succeeded in an earlier attempt of this bulk grant, by principal id (lower case). */
async function findDoneEarlier(
  db: Database,
  context: DelegatedContext,
  scope: string,
  roleDefinitionId: string,
  attempts: readonly string[],
): Promise<ReadonlyMap<string, ChangeIntent>> {
  if (attempts.length === 0) return new Map();
  const intents = await findSucceededGrants(db, { consoleRequestIds: attempts, scope, roleDefinitionId, requestedBy: context.actor, holderKind: "direct" });
  return new Map(intents.map((intent) => [intent.principalId.toLowerCase(), intent]));
}

/** Which operation a grant belongs to, by its holder, for the audit trail's `consoleAction`. */
const GRANT_ACTION: Record<HolderSpec["kind"], string> = {
  direct: "grantWorkspaceRoles",
  mapping: "createMapping",
  request: "approveAccessRequest",
  bundle: "grantBundle",
};

/** ARM's 409 names the existing assignment as 32 hex digits without dashes; older messages do not name it. */
export function existingAssignmentName(message: string): string | undefined {
  const hex = /existing role assignment is ([0-9a-f]{32})\b/i.exec(message)?.[1]?.toLowerCase();
  return hex ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : undefined;
}

function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

/** Where one grant lands: a workspace, or (a bundle's part) any resource in a subscription. */
interface GrantScope {
  readonly scope: string;
  readonly subscriptionId: string;
  /** For messages: the workspace's or resource's name. */
  readonly name: string;
}

function workspaceGrantScope(workspace: ParsedScope): GrantScope {
  return { scope: workspace.scope, subscriptionId: workspace.subscriptionId!, name: workspace.workspaceName ?? workspace.scope };
}

interface GrantOne {
  readonly context: DelegatedContext;
  readonly identity: ArmIdentity;
  readonly db: Database;
  readonly workspace: GrantScope;
  readonly roleName: string;
  readonly roleId: string;
  readonly principal: GrantTarget;
  readonly description: string | undefined;
  readonly holder: HolderSpec;
  /** Where the caller records how this grant settled: its writer, and this grant's position in the caller's inputs. */
  readonly settledAs?: { readonly write: SettledGrantsWriter; readonly index: number };
}

/** What the grant found in ARM: the assignment that carries the access, and whether this grant's PUT created it. */
interface Carrier {
  readonly assignmentName: string;
  readonly created: boolean;
}

/** Where a grant stands once ARM answered (or did not): what its outcome records, or its result when none is recorded. */
type ArmStep =
  | { readonly kind: "granted"; readonly carrier: Carrier; readonly outcome: ChangeOutcome; readonly armRequestId?: string }
  | { readonly kind: "refused"; readonly failure: ArmFailure; readonly outcome: ChangeOutcome; readonly armRequestId?: string }
  | { readonly kind: "unanswered"; readonly result: GrantResult };

/** An answered grant on its way to its recorded outcome, and what recording it learned (the holder's effect on requests). */
interface Settling {
  readonly grant: GrantOne;
  readonly step: AnsweredStep;
  hold?: HoldResult;
}

type AnsweredStep = Exclude<ArmStep, { kind: "unanswered" }>;

function baseOf(grant: GrantOne) {
  return { principalId: grant.principal.id.toLowerCase(), displayName: grant.principal.displayName };
}

function intentOf(grant: GrantOne): ChangeIntentInput {
  const principalId = grant.principal.id.toLowerCase();
  const ownership: IntentOwnership = { effect: "hold", holder: grant.holder };
  return {
    kind: "grant",
    scope: grant.workspace.scope,
    principalId,
    principalType: PRINCIPAL_TYPE[grant.principal.kind],
    roleDefinitionId: grant.roleId,
    roleName: grant.roleName,
    assignmentName: assignmentNameFor(grant.workspace.scope, principalId, grant.roleId),
    requestedBy: grant.context.actor,
    consoleRequestId: grant.context.requestId,
    ownership,
    ...(grant.description ? { reason: grant.description } : {}),
  };
}

/** The intent in a transaction of its own; without it Azure is not asked (a change the trail cannot show is never made). */
async function startGrant(grant: GrantOne): Promise<{ readonly intentId: number } | { readonly result: GrantResult }> {
  try {
    const intentId = await startChange(grant.db, intentOf(grant));
    if (intentId === "in_progress") return { result: { ...baseOf(grant), status: "in_progress", message: CHANGE_IN_PROGRESS } };
    return { intentId };
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    logDatabaseFault("grant intent not recorded", error, grant.context.requestId);
    return { result: { ...baseOf(grant), status: "failed", message: INTENT_NOT_RECORDED } };
  }
}

/**
 * The grant in ARM, after its intent. Whether the assignment existed is learned by **reading it** first: ARM answers
 * 201 to a PUT whether or not the assignment already existed, so the PUT's status cannot tell.
 */
async function grantInArm(grant: GrantOne): Promise<ArmStep> {
  const { context, identity, workspace, roleName, roleId, principal, description } = grant;
  const principalId = principal.id.toLowerCase();
  const assignmentName = assignmentNameFor(workspace.scope, principalId, roleId);
  const client = authorizationClient(identity, workspace.subscriptionId);
  let armRequestId: string | undefined;
  const onResponse = (response: { headers: { get(name: string): string | undefined } }) =>
    void (armRequestId = response.headers.get("x-ms-request-id") ?? armRequestId);
  let carrier: Carrier | undefined;
  try {
    try {
      await client.roleAssignments.get(workspace.scope, assignmentName, { onResponse });
      carrier = { assignmentName, created: false };
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (!carrier) {
      try {
        await whileReplicating(() =>
          client.roleAssignments.create(
            workspace.scope,
            assignmentName,
            {
              roleDefinitionId: `/subscriptions/${workspace.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`,
              principalId,
              principalType: PRINCIPAL_TYPE[principal.kind],
              ...(description ? { description } : {}),
            },
            { onResponse },
          ),
        );
        carrier = { assignmentName, created: true };
      } catch (error) {
        // Matched on the code, never the message: ARM rewords its messages (azure-cli #32027).
        if (!(isRestError(error) && error.code === "RoleAssignmentExists")) throw error;
        const named = existingAssignmentName(error.message) ?? (await findEquivalentAssignment(identity, workspace, principalId, roleId));
        carrier = { assignmentName: named ?? assignmentName, created: false };
      }
    }
    const outcome: ChangeOutcome = { status: "succeeded", alreadyInDesiredState: !carrier.created, ...(armRequestId ? { armRequestId } : {}) };
    return { kind: "granted", carrier, outcome, ...(armRequestId ? { armRequestId } : {}) };
  } catch (error) {
    const failure = roleChangeFailure(error, { actingAs: context.person.userPrincipalName, scopeName: workspace.name, roleName });
    armRequestId = failure.requestId ?? armRequestId;
    if (failure.httpStatus === undefined && !(error instanceof AppError)) {
      // No answer (timeout, connection lost): the grant may or may not have happened. The intent stays pending and
      // the reconciler settles it against ARM; claiming either outcome here could be false.
      return {
        kind: "unanswered",
        result: {
          ...baseOf(grant),
          status: "in_progress",
          message: "Azure did not answer in time. Gatehouse will check whether the grant happened; refresh in a minute.",
          ...(armRequestId ? { reference: armRequestId } : {}),
        },
      };
    }
    return { kind: "refused", failure, outcome: failedOutcome(failure, armRequestId), ...(armRequestId ? { armRequestId } : {}) };
  }
}

/**
 * What the outcomes' transaction writes for answered grants (one, or a bundle's parts together): for a failure, only
 * the caller's record of it; for a success, the holder on the assignment that carries the access (learning which
 * requests it supersedes) and the caller's record. The holders of all of them are written together. If that
 * transaction fails the intents stay pending, carrying their holders, and the reconciler records both once the
 * database answers again: nothing is lost.
 */
function settleEffects(settling: readonly Settling[], now: Date): OutcomesEffects {
  return async (tx, intents) => {
    const granted = settling.flatMap((entry, index) => (entry.step.kind === "granted" ? [{ entry, step: entry.step, intent: intents[index]! }] : []));
    const holds = await holdAssignments(
      tx,
      granted.map(({ entry: { grant }, step, intent }) => ({
        access: {
          scope: grant.workspace.scope,
          principalId: grant.principal.id.toLowerCase(),
          principalType: PRINCIPAL_TYPE[grant.principal.kind],
          roleDefinitionId: grant.roleId,
          roleName: grant.roleName,
        },
        assignmentName: step.carrier.assignmentName,
        created: step.carrier.created,
        holder: grant.holder,
        grantedBy: intent.requestedBy,
        now,
        correlation: { consoleRequestId: grant.context.requestId, ...(step.armRequestId ? { armRequestId: step.armRequestId } : {}) },
      })),
    );
    granted.forEach(({ entry }, index) => (entry.hold = holds[index]));
    // One call per writer: the grants of one call share theirs.
    const records = new Map<SettledGrantsWriter, { index: number; settled: SettledGrant }[]>();
    for (const { grant, step } of settling) {
      if (!grant.settledAs) continue;
      const reference = step.armRequestId ? { reference: step.armRequestId } : {};
      const settled: SettledGrant =
        step.kind === "refused"
          ? { status: "failed", message: step.failure.userMessage, ...reference }
          : { status: step.carrier.created ? "granted" : "already_granted", ...reference };
      const { write, index } = grant.settledAs;
      records.set(write, [...(records.get(write) ?? []), { index, settled }]);
    }
    for (const [write, settled] of records) await write(tx, settled);
    return settling.map((entry) => entry.hold?.events ?? []);
  };
}

/** The result once the outcome is recorded: what the person reads about this principal. */
function settledResult({ grant, step, hold }: Settling): GrantResult {
  const base = baseOf(grant);
  const reference = step.armRequestId ? { reference: step.armRequestId } : {};
  if (step.kind === "refused") {
    return { ...base, status: "failed", message: step.failure.userMessage, ...reference, ...(step.failure.claims ? { claims: step.failure.claims } : {}) };
  }
  const { roleName } = grant;
  const superseded = hold?.superseded ?? [];
  const supersededText =
    superseded.length > 0
      ? ` This makes it permanent: request ${superseded.map((id) => id.slice(0, 8)).join(", ")} no longer expires and is closed as superseded.`
      : "";
  if (step.carrier.created) {
    return {
      ...base,
      status: "granted",
      message: `Granted ${roleName}. It may take up to 10 minutes to take effect.${supersededText}`,
      ...reference,
      superseded,
    };
  }
  const where =
    step.carrier.assignmentName === assignmentNameFor(grant.workspace.scope, base.principalId, grant.roleId)
      ? "through an assignment Gatehouse made earlier"
      : "through an assignment made outside Gatehouse, which Gatehouse will never remove";
  return {
    ...base,
    status: "already_granted",
    message: `Already holds ${roleName} here ${where}; nothing changed in Azure.${supersededText}`,
    existedBefore: true,
    superseded,
    ...reference,
  };
}

/** The result when the database would not take the outcome: ARM's answer is recorded later by the reconciler. */
function outcomeNotRecorded(grant: GrantOne, step: AnsweredStep, error: unknown): GrantResult {
  logDatabaseFault("grant outcome not recorded", error, grant.context.requestId);
  // For a success the admin is told it is being checked, never that it failed.
  return { ...baseOf(grant), status: "in_progress", message: OUTCOME_NOT_RECORDED, ...(step.armRequestId ? { reference: step.armRequestId } : {}) };
}

/** The outcome in a transaction of its own. */
async function settleGrant(grant: GrantOne, intentId: number, step: AnsweredStep): Promise<GrantResult> {
  // One time for the outcome and the holder it records, as they are one change.
  const now = new Date();
  const settling: Settling = { grant, step };
  try {
    await recordChangeOutcomes(grant.db, [{ intentId, outcome: step.outcome }], now, settleEffects([settling], now));
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    return outcomeNotRecorded(grant, step, error);
  }
  return settledResult(settling);
}

/**
 * One principal: the intent (with the holder it adds), then ARM, then the outcome with the holder, in that order and
 * with no transaction open during the ARM calls.
 */
async function grantOne(grant: GrantOne): Promise<GrantResult> {
  const started = await startGrant(grant);
  if ("result" in started) return started.result;
  const step = await grantInArm(grant);
  if (step.kind === "unanswered") return step.result;
  return settleGrant(grant, started.intentId, step);
}

/**
 * Several grants at once, each on its own access (a bundle's parts): the same intent, ARM calls and outcome as one
 * grant each, with the intents recorded in one transaction before any ARM call, the ARM calls side by side, and the
 * outcomes recorded in one transaction once every call has answered. Both transactions are all or none; when either
 * fails, each grant records its own as `grantOne` would, so one grant's refusal (a pending change, a closed
 * intent, a database fault) is its own and never another's.
 */
async function grantSeveral(grants: readonly GrantOne[]): Promise<PromiseSettledResult<GrantResult>[]> {
  if (grants.length <= 1) return Promise.allSettled(grants.map(grantOne));
  const { db, context } = grants[0]!;
  let intentIds: readonly number[] | undefined;
  try {
    intentIds = (await db.transaction((tx) => recordChangeIntents(tx, grants.map(intentOf)))).map((intent) => intent.id);
  } catch (error) {
    log("info", "workspaces", "recording the grants' intents together failed; recording each on its own", {
      requestId: context.requestId,
      error: describeError(error),
    });
  }
  if (!intentIds) return Promise.allSettled(grants.map(grantOne));
  const ids = intentIds;
  // A grant whose ARM step throws is that grant's failure alone; its intent stays pending for the reconciler.
  const steps = await Promise.allSettled(grants.map(grantInArm));
  const now = new Date();
  const answered = grants.flatMap((grant, index) => {
    const step = steps[index]!;
    return step.status === "rejected" || step.value.kind === "unanswered" ? [] : [{ index, settling: { grant, step: step.value } }];
  });
  let together = false;
  try {
    await recordChangeOutcomes(
      db,
      answered.map(({ index, settling }) => ({ intentId: ids[index]!, outcome: settling.step.outcome })),
      now,
      settleEffects(
        answered.map(({ settling }) => settling),
        now,
      ),
    );
    together = true;
  } catch (error) {
    log("info", "workspaces", "recording the grants' outcomes together failed; recording each on its own", {
      requestId: context.requestId,
      error: describeError(error),
    });
  }
  return Promise.allSettled(
    grants.map(async (grant, index) => {
      const step = steps[index]!;
      if (step.status === "rejected") throw step.reason;
      if (step.value.kind === "unanswered") return step.value.result;
      const { settling } = answered.find((entry) => entry.index === index)!;
      return together ? settledResult(settling) : settleGrant(grant, ids[index]!, settling.step);
    }),
  );
}

/** The name of the assignment that gives `principal` the role at exactly this scope, when ARM did not name it. */
async function findEquivalentAssignment(identity: ArmIdentity, workspace: GrantScope, principalId: string, roleId: string): Promise<string | undefined> {
  try {
    for await (const assignment of authorizationClient(identity, workspace.subscriptionId).roleAssignments.listForScope(workspace.scope, {
      filter: `principalId eq '${principalId}'`,
    })) {
      const sameScope = (assignment.scope ?? "").toLowerCase() === workspace.scope.toLowerCase();
      if (sameScope && (assignment.roleDefinitionId ?? "").toLowerCase().endsWith(`/${roleId}`)) return assignment.name?.toLowerCase();
    }
  } catch {
    // The equivalent assignment exists (ARM said so); without its name it is still recorded as found in place.
  }
  return undefined;
}

/** The recorded outcome of a change ARM refused or failed: its code, status and message for the audit trail. */
export function failedOutcome(failure: ArmFailure, armRequestId: string | undefined): ChangeOutcome {
  return {
    status: "failed",
    errorCode: failure.code,
    ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}),
    message: failure.internalMessage.slice(0, 1000),
    ...(armRequestId ? { armRequestId } : {}),
  };
}

export const CHANGE_IN_PROGRESS = "A change to this assignment is already in progress. Refresh in a moment.";
export const INTENT_NOT_RECORDED = "Gatehouse could not record this change, so it did not ask Azure to make it. Try again in a minute.";
export const OUTCOME_NOT_RECORDED = "Gatehouse could not record Azure's answer yet. It will check with Azure and record it; refresh in a few minutes.";

/** A change whose intent or outcome the database would not take: logged with the driver's detail, never shown. */
export function logDatabaseFault(message: string, error: unknown, requestId: string): void {
  log("warn", "workspaces", message, { requestId, error: databaseUnavailable(error).message });
}

/**
 * Records the intent to change an assignment (with its `*_requested` event) in a transaction of its own, before ARM is
 * called. While another change to the same assignment is pending the answer is `in_progress`, not a second intent.
 */
export async function startChange(db: Database, input: ChangeIntentInput): Promise<number | "in_progress"> {
  try {
    return (await db.transaction((tx) => recordChangeIntent(tx, input))).id;
  } catch (error) {
    if (error instanceof AppError && error.code === "conflict") return "in_progress";
    throw error;
  }
}
