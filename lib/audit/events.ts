import "server-only";

/**
 * The audit event catalogue: every action Gatehouse records, with who may have done it, what it targets, which
 * outcomes it can have and the allow-listed details it carries.
 *
 * ⚠️ Stored events outlive the code that wrote them. Changing an event's shape (renaming or removing a field,
 * narrowing a type, renaming an action) needs a migration or a compatibility plan for the rows already stored: the
 * audit page, the export and the hash chain all read old rows as they were written. Adding an optional field or a
 * new action is safe.
 *
 * Details are projections through allow-lists (strict objects: an unknown key is refused), never tokens, secrets or
 * whole Graph/ARM objects. Every string is length-capped and refused if it looks like a JWT.
 */
import { z } from "zod";

import { BUNDLE_GRANT_STATUSES, BUNDLE_PART_STATES } from "@/lib/bundles/schema";
import { TOKEN_SHAPED } from "@/lib/shared/patterns";

/** A string that is short enough to store and is not a token. */
function safeText(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine((value) => !TOKEN_SHAPED.test(value), { message: "must not contain a token" });
}

const guid = z.guid();
const isoDateTime = z.iso.datetime({ offset: true });
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const AUDIT_OUTCOMES = ["succeeded", "failed", "denied"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const PRINCIPAL_TYPES = ["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/** The session a person acted in, as the session store recorded it (its bounds: lib/auth/session-store.ts). */
export const auditSessionOriginSchema = z.strictObject({ id: guid, clientAddress: safeText(64), userAgent: safeText(256) });
export type AuditSessionOrigin = z.infer<typeof auditSessionOriginSchema>;

/** Who did it: a signed-in person, the console's own identity (unattended jobs), or an unidentified caller. */
export const auditActorSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("user"),
    tenantId: guid,
    objectId: guid,
    // For display only; the tenant and object ids identify the person.
    displayName: safeText(256),
    userPrincipalName: safeText(256),
    // Where: the console session the action ran in (its row id, never the cookie) and the client address and user
    // agent that session recorded. Optional only for events and intents stored before it existed.
    session: auditSessionOriginSchema.optional(),
  }),
  // `job`: which scheduled job (or the reconciler) did it. Scheduled work has no session; a job run an admin started
  // from the console names the session it was started in.
  z.strictObject({
    kind: z.literal("system"),
    appId: guid,
    tenantId: guid.optional(),
    job: safeText(64).min(1).optional(),
    session: auditSessionOriginSchema.optional(),
  }),
  // A caller whose token was refused: who they are is exactly what could not be established.
  z.strictObject({ kind: z.literal("anonymous") }),
]);
export type AuditActor = z.infer<typeof auditActorSchema>;

const scope = safeText(1024).regex(/^\//, "an ARM scope starts with /");
const roleDefinitionId = safeText(512).min(1);

const optionalTargetSchema = z.strictObject({
  scope: scope.optional(),
  principalId: safeText(128).min(1).optional(),
  principalType: z.enum(PRINCIPAL_TYPES).optional(),
  roleDefinitionId: roleDefinitionId.optional(),
  roleName: safeText(256).optional(),
  requestId: safeText(128).min(1).optional(),
});
export type AuditTarget = z.infer<typeof optionalTargetSchema>;

/** A role assignment is always named by its scope, principal and role. */
const roleAssignmentTargetSchema = optionalTargetSchema.required({
  scope: true,
  principalId: true,
  principalType: true,
  roleDefinitionId: true,
});

const requestTargetSchema = optionalTargetSchema.required({ requestId: true });

export const auditCorrelationSchema = z.strictObject({
  /** Gatehouse's id for the server action or job run. */
  consoleRequestId: safeText(128).optional(),
  /** ARM's `x-ms-request-id`. */
  armRequestId: safeText(128).optional(),
  /** Microsoft Graph's `request-id`. */
  graphRequestId: safeText(128).optional(),
});
export type AuditCorrelation = z.infer<typeof auditCorrelationSchema>;

// ---- Detail projections -------------------------------------------------------------------------------------------

const intentId = z.number().int().positive();
const assignmentName = guid;
const changeKind = z.enum(["grant", "revoke"]);
const armFailure = {
  httpStatus: z.number().int().min(100).max(599).optional(),
  /** ARM's error message, for support; its `code` is the event's error code. */
  message: safeText(1000).optional(),
};

const mappingProjection = z.strictObject({
  groupId: guid,
  groupDisplayName: safeText(256).optional(),
  scope,
  roleDefinitionId,
  roleName: safeText(256).optional(),
});

const REQUEST_STATUSES = [
  "pending",
  "approved",
  "active",
  "denied",
  "cancelled",
  "expired",
  "lapsed",
  "failed",
  "expiry_failed",
  "covered",
  "superseded",
  "revoked",
] as const;

const holderKind = z.enum(["direct", "mapping", "request", "bundle"]);
/** Which holder: its row id, kind and what it refers to. */
const holderReference = {
  holderId: z.number().int().positive(),
  holderKind,
  mappingId: safeText(64).optional(),
  requestId: safeText(128).optional(),
  bundleGrantId: safeText(128).optional(),
};
const requestTransition = { from: z.enum(REQUEST_STATUSES), to: z.enum(REQUEST_STATUSES) };

// ---- Events -------------------------------------------------------------------------------------------------------

type Outcomes = readonly [AuditOutcome, ...AuditOutcome[]];

function auditEventSchema<Action extends string, const AllowedOutcomes extends Outcomes, Target extends z.ZodType, Details extends z.ZodType>(
  action: Action,
  outcomes: AllowedOutcomes,
  target: Target,
  details: Details,
) {
  return z.strictObject({
    action: z.literal(action),
    outcome: z.enum(outcomes),
    /** Required when the outcome is `failed`: ARM/Graph's error code or Gatehouse's own. */
    errorCode: safeText(128).min(1).optional(),
    actor: auditActorSchema,
    target,
    /** The person's justification, or why the console refused. */
    reason: safeText(2000).optional(),
    correlation: auditCorrelationSchema.optional(),
    details,
    /** Defaults to the moment of recording. */
    occurredAt: z.date().optional(),
  });
}

export const auditEventInputSchema = z
  .discriminatedUnion("action", [
    // An admin asked for a role assignment; written with the intent, before the ARM call.
    auditEventSchema("role_assignment.grant_requested", ["succeeded"], roleAssignmentTargetSchema, z.strictObject({ intentId, assignmentName })),
    // ARM created the assignment (or an equivalent one already existed).
    auditEventSchema(
      "role_assignment.granted",
      ["succeeded"],
      roleAssignmentTargetSchema,
      z.strictObject({ intentId, assignmentName, alreadyExisted: z.boolean() }),
    ),
    // ARM refused or failed to create the assignment.
    auditEventSchema("role_assignment.grant_failed", ["failed"], roleAssignmentTargetSchema, z.strictObject({ intentId, assignmentName, ...armFailure })),
    // An admin asked to remove a role assignment; written with the intent, before the ARM call.
    auditEventSchema("role_assignment.revoke_requested", ["succeeded"], roleAssignmentTargetSchema, z.strictObject({ intentId, assignmentName })),
    // ARM removed the assignment (or it was already gone).
    auditEventSchema(
      "role_assignment.revoked",
      ["succeeded"],
      roleAssignmentTargetSchema,
      z.strictObject({ intentId, assignmentName, wasAbsent: z.boolean() }),
    ),
    // ARM refused or failed to remove the assignment.
    auditEventSchema("role_assignment.revoke_failed", ["failed"], roleAssignmentTargetSchema, z.strictObject({ intentId, assignmentName, ...armFailure })),
    // A change left pending (crash between the ARM call and its outcome) was settled by looking at ARM.
    auditEventSchema(
      "role_assignment.reconciled",
      ["succeeded", "failed"],
      roleAssignmentTargetSchema,
      z.strictObject({
        intentId,
        assignmentName,
        kind: changeKind,
        observed: z.enum(["present", "absent"]),
        resolvedState: z.enum(["succeeded", "failed"]),
      }),
    ),
    // A group → role mapping was added.
    auditEventSchema("mapping.created", ["succeeded"], optionalTargetSchema, z.strictObject({ mappingId: safeText(64).min(1), after: mappingProjection })),
    // An access bundle's grant changed as a unit (granting, granted, partial, ending, ended): its parts' own
    // assignment events carry each role; this one says what the bundle as a whole became, with counts per part state.
    auditEventSchema(
      "bundle.changed",
      ["succeeded", "failed"],
      optionalTargetSchema,
      z.strictObject({
        bundleGrantId: safeText(128).min(1),
        bundleId: safeText(64).min(1),
        from: z.enum(BUNDLE_GRANT_STATUSES).optional(),
        to: z.enum(BUNDLE_GRANT_STATUSES),
        parts: z.partialRecord(z.enum(BUNDLE_PART_STATES), z.number().int().min(0)),
      }),
    ),
    // A group → role mapping was removed.
    auditEventSchema("mapping.deleted", ["succeeded"], optionalTargetSchema, z.strictObject({ mappingId: safeText(64).min(1), before: mappingProjection })),
    // Mappings were imported in bulk; counts only, the created ones have their own events.
    auditEventSchema(
      "mapping.imported",
      ["succeeded", "failed"],
      optionalTargetSchema,
      z.strictObject({
        created: z.number().int().nonnegative(),
        unchanged: z.number().int().nonnegative(),
        rejected: z.number().int().nonnegative(),
        sourceName: safeText(256).optional(),
      }),
    ),
    // The mapping reconciler applied one change (it also leaves an intent and its outcome).
    auditEventSchema(
      "reconcile.item_applied",
      ["succeeded"],
      optionalTargetSchema,
      z.strictObject({ change: changeKind, intentId: intentId.optional(), mappingId: safeText(64).optional() }),
    ),
    // The mapping reconciler could not apply one change; the rest of the run went on.
    auditEventSchema(
      "reconcile.item_failed",
      ["failed"],
      optionalTargetSchema,
      z.strictObject({
        change: changeKind,
        intentId: intentId.optional(),
        mappingId: safeText(64).optional(),
        message: safeText(1000).optional(),
      }),
    ),
    // Someone asked for access; the justification is the event's reason.
    auditEventSchema(
      "request.submitted",
      ["succeeded"],
      requestTargetSchema,
      z.strictObject({
        durationMinutes: z.number().int().positive().max(525_600).optional(),
        /** `self_grant`: an admin's own privileged grant, held for two other approvers. */
        origin: z.enum(["form", "self_grant"]).optional(),
        /** The principal as Microsoft Graph named it at submission. */
        principalDisplayName: safeText(256).optional(),
        /** The request policy's approver route that decides who may approve (absent: Console.Admin holders). */
        routeId: safeText(64).optional(),
      }),
    ),
    // An approver approved a request.
    auditEventSchema("request.approved", ["succeeded"], requestTargetSchema, z.strictObject({ ...requestTransition, expiresAt: isoDateTime.optional() })),
    // An approver denied a request.
    auditEventSchema("request.denied", ["succeeded"], requestTargetSchema, z.strictObject(requestTransition)),
    // The requester withdrew a request.
    auditEventSchema("request.cancelled", ["succeeded"], requestTargetSchema, z.strictObject(requestTransition)),
    // Time-bound access ended and was removed.
    auditEventSchema(
      "request.expired",
      ["succeeded", "failed"],
      requestTargetSchema,
      z.strictObject({
        ...requestTransition,
        intentId: intentId.optional(),
        /** Whether the assignment was removed or kept because something else still holds it (or held it first). */
        assignment: z.enum(["removed", "kept_other_holders", "kept_not_created_by_gatehouse", "already_removed"]).optional(),
      }),
    ),
    // A pending request was closed without a grant: not decided in time, or no longer grantable as filed.
    auditEventSchema(
      "request.lapsed",
      ["succeeded"],
      requestTargetSchema,
      z.strictObject({
        ...requestTransition,
        /** Why, when not simply the deadline: the policy changed, or the principal or requester is gone or lost their role. */
        cause: z
          .enum(["deadline", "policy_changed", "principal_deleted", "principal_disabled", "requester_deleted", "requester_disabled", "requester_lost_role"])
          .optional(),
      }),
    ),
    // An approved request could not be carried out (the grant failed).
    auditEventSchema("request.failed", ["failed"], requestTargetSchema, z.strictObject({ ...requestTransition, intentId: intentId.optional() })),
    // Something in Gatehouse now wants this assignment to exist (a direct grant, a mapping, a request, a bundle).
    auditEventSchema(
      "assignment.holder_added",
      ["succeeded"],
      roleAssignmentTargetSchema,
      z.strictObject({
        ...holderReference,
        assignmentName,
        expiresAt: isoDateTime.optional(),
        /** The assignment existed before this holder arrived: releasing the holder never removes it. */
        preExisting: z.boolean(),
      }),
    ),
    // A holder let go of the assignment; whether the assignment stays, and why.
    auditEventSchema(
      "assignment.holder_released",
      ["succeeded"],
      roleAssignmentTargetSchema,
      z.strictObject({
        ...holderReference,
        assignmentName,
        /** What happens to the assignment: removed with this release, or kept (and the reason). */
        assignment: z.enum(["removed", "kept_other_holders", "kept_not_created_by_gatehouse", "kept_by_admin", "already_removed"]),
        remainingHolders: z.number().int().nonnegative(),
      }),
    ),
    // A change whose outcome ARM would not show for too long (e.g. 403 on the console's read) was closed as unknown.
    auditEventSchema(
      "role_assignment.outcome_unknown",
      ["failed"],
      roleAssignmentTargetSchema,
      z.strictObject({ intentId, assignmentName, kind: changeKind, pendingSince: isoDateTime }),
    ),
    // The principal already held the requested role (or one that includes it): the request ends with no grant.
    auditEventSchema("request.covered", ["succeeded"], requestTargetSchema, z.strictObject({ ...requestTransition, coveredBy: safeText(1000) })),
    // Expiry could not remove the access (it stays until a retry succeeds); admins are told once.
    auditEventSchema(
      "request.expiry_failed",
      ["failed"],
      requestTargetSchema,
      z.strictObject({ ...requestTransition, attempts: z.number().int().positive(), nextAttemptAt: isoDateTime, intentId: intentId.optional() }),
    ),
    // An admin removed the assignment before the request's end; the request ends early.
    auditEventSchema("request.revoked", ["succeeded"], requestTargetSchema, z.strictObject(requestTransition)),
    // An admin made the same access permanent with a direct grant; the request's expiry no longer applies.
    auditEventSchema("request.superseded", ["succeeded"], requestTargetSchema, z.strictObject(requestTransition)),
    // The console's own credential was renewed; only its thumbprint and expiry, never the secret.
    auditEventSchema(
      "credentials.refreshed",
      ["succeeded", "failed"],
      optionalTargetSchema,
      z.strictObject({
        credentialKind: z.enum(["certificate", "secret", "federated"]),
        thumbprint: z
          .string()
          .regex(/^[0-9A-Fa-f]{40}$|^[0-9A-Fa-f]{64}$/)
          .optional(),
        expiresAt: isoDateTime.optional(),
      }),
    ),
    // The console refused an action: no session, a missing console role, a cross-site call, …
    auditEventSchema(
      "authz.denied",
      ["denied"],
      optionalTargetSchema,
      z.strictObject({
        consoleAction: safeText(64).min(1),
        deniedBecause: z.enum([
          "no_session",
          "console_role_missing",
          "cross_origin",
          "self_approval",
          /** The person is not among those who may decide this request (its approver route, or Console.Admin). */
          "not_routed_approver",
          "not_requester",
          "out_of_scope",
          "rate_limited",
          "not_session_owner",
          "role_not_grantable",
          "step_up_required",
        ]),
      }),
    ),
    // Refusals of unidentified callers (rejected tokens, calls without a session) from one source address in one
    // minute, counted instead of chained one by one (lib/security/refusal-tally.ts). `source` "other" adds up the
    // sources beyond the first 100 of a minute, and a reason "other" the reasons beyond the first 32.
    auditEventSchema(
      "security.refusals_counted",
      ["denied"],
      optionalTargetSchema,
      z.strictObject({
        source: safeText(64).min(1),
        minute: isoDateTime,
        count: z.number().int().positive(),
        reasons: z
          .array(z.strictObject({ reason: safeText(120).min(1), count: z.number().int().positive() }))
          .min(1)
          .max(32),
      }),
    ),
    // A presented token failed validation; at most a hash of its id is kept, never the token. Written one by one until
    // rejections were counted per source and minute (security.refusals_counted); kept for the rows already stored.
    auditEventSchema(
      "auth.token_rejected",
      ["denied"],
      optionalTargetSchema,
      z.strictObject({
        rejection: safeText(64).min(1),
        via: z.enum(["session-cookie", "sign-in", "bearer"]),
        tokenIdSha256: sha256Hex.optional(),
      }),
    ),
    // A person signed in to the console. `sessionExpiresAt`: when the token handed over ends (the session itself is
    // renewed with new tokens until its idle or absolute end); `sessionId`: the server-side session it started.
    auditEventSchema(
      "auth.signed_in",
      ["succeeded"],
      optionalTargetSchema,
      z.strictObject({ roles: z.array(safeText(64)).max(20), sessionExpiresAt: isoDateTime, sessionId: guid.optional() }),
    ),
    // A person signed out (their session ended on the server at once).
    auditEventSchema("auth.signed_out", ["succeeded"], optionalTargetSchema, z.strictObject({ sessionId: guid.optional() })),
    // A session was ended by someone other than its sign-out: its owner or an admin from the account page, or another
    // person signing in on the same browser. The target is the session's person.
    auditEventSchema(
      "auth.session_ended",
      ["succeeded"],
      optionalTargetSchema.required({ principalId: true }),
      z.strictObject({
        sessionId: guid,
        reason: z.enum(["ended_by_owner", "ended_by_admin", "replaced"]),
        sessionUserPrincipalName: safeText(256),
        sessionCreatedAt: isoDateTime,
      }),
    ),
    // Events moved out of the database into an archive file by the database owner (`npm run audit:archive`): which
    // range, the hash the chain in the database now starts from, and the file's SHA-256.
    auditEventSchema(
      "audit.archived",
      ["succeeded"],
      optionalTargetSchema,
      z.strictObject({
        firstEventId: z.number().int().positive(),
        lastEventId: z.number().int().positive(),
        eventCount: z.number().int().positive(),
        lastHash: safeText(64).regex(/^[0-9a-f]{64}$/),
        fileSha256: safeText(64).regex(/^[0-9a-f]{64}$/),
        archivedBy: safeText(128),
      }),
    ),
    // An approval that is not yet the last one (a privileged request's first of two, or a two-step route's business
    // approval); the request stays pending for the next approver.
    auditEventSchema(
      "request.approval_recorded",
      ["succeeded"],
      requestTargetSchema,
      z.strictObject({
        approvalsRequired: z.number().int().min(2).max(6),
        approvalsGiven: z.number().int().min(1).max(6),
        /** On a `business-then-admin` route: which step this approval was. */
        step: z.enum(["business", "admin"]).optional(),
      }),
    ),
    // An approved request's grant was made in ARM; time-bound access ends at expiresAt.
    auditEventSchema(
      "request.granted",
      ["succeeded"],
      requestTargetSchema,
      z.strictObject({ ...requestTransition, expiresAt: isoDateTime.optional(), alreadyExisted: z.boolean() }),
    ),
    // A granted request was superseded by its approved extension, which now carries the expiry.
    auditEventSchema(
      "request.extended",
      ["succeeded"],
      requestTargetSchema,
      z.strictObject({ extendedBy: safeText(128).min(1), expiresAt: isoDateTime.optional() }),
    ),
    // Credentials dashboard: someone asked for a fresh inventory snapshot (the run itself is read-only in Azure).
    auditEventSchema(
      "credential_inventory.refresh_requested",
      ["succeeded"],
      optionalTargetSchema,
      z.strictObject({ snapshotId: z.number().int().positive() }),
    ),
    // An inventory snapshot finished (manual or scheduled), with its size and the upstream calls it took.
    auditEventSchema(
      "credential_inventory.refreshed",
      ["succeeded", "failed"],
      optionalTargetSchema,
      z.strictObject({
        snapshotId: z.number().int().positive(),
        trigger: z.enum(["manual", "scheduled"]),
        credentials: z.number().int().nonnegative().optional(),
        graphCalls: z.number().int().nonnegative().optional(),
        armCalls: z.number().int().nonnegative().optional(),
      }),
    ),
    // Owners were told about credentials entering an expiry window (at most once per credential per window).
    auditEventSchema(
      "credential_inventory.owners_notified",
      ["succeeded", "failed"],
      optionalTargetSchema,
      z.strictObject({
        snapshotId: z.number().int().positive(),
        credentials: z.number().int().nonnegative(),
        recipients: z.number().int().nonnegative(),
        /** Outbox rows queued (mails + webhook post); delivery and its retries are the outbox's. */
        queued: z.number().int().nonnegative().optional(),
        /** Written by runs before notifications went through the outbox in bulk. */
        failed: z.number().int().nonnegative().optional(),
      }),
    ),
  ])
  .superRefine((event, context) => {
    if (event.outcome === "failed" && event.errorCode === undefined) {
      context.addIssue({ code: "custom", path: ["errorCode"], message: "a failed event needs an error code" });
    }
    if (event.outcome === "succeeded" && event.errorCode !== undefined) {
      context.addIssue({ code: "custom", path: ["errorCode"], message: "a succeeded event has no error code" });
    }
  });

/** One event as its writer describes it; validated by `recordAuditEvent`. */
export type AuditEventInput = z.input<typeof auditEventInputSchema>;
export type ValidAuditEvent = z.output<typeof auditEventInputSchema>;
export type AuditAction = AuditEventInput["action"];

/** The details an action carries, e.g. `AuditDetails<"role_assignment.granted">`. */
export type AuditDetails<Action extends AuditAction> = Extract<AuditEventInput, { action: Action }>["details"];

/** Every action, in catalogue order (for filters and the test that walks the catalogue). */
export const AUDIT_ACTIONS = auditEventInputSchema.options.map((option) => option.shape.action.value) as [AuditAction, ...AuditAction[]];

/** Thrown when code tries to record an event that does not match the catalogue: a bug, never user input. */
export class InvalidAuditEventError extends Error {
  constructor(readonly issues: readonly string[]) {
    // Paths and messages only: zod's messages never repeat the offending value, which may be a token.
    super(`Invalid audit event: ${issues.join("; ")}`);
    this.name = "InvalidAuditEventError";
  }
}

/** Validates an event against the catalogue; throws `InvalidAuditEventError` naming each problem. */
export function parseAuditEvent(event: unknown): ValidAuditEvent {
  const parsed = auditEventInputSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidAuditEventError(parsed.error.issues.map((issue) => `${issue.path.map(String).join(".") || "(event)"}: ${issue.message}`));
  }
  return parsed.data;
}
