import "server-only";

import { randomUUID } from "node:crypto";

import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";

import { recordAuditEvent } from "@/lib/audit";
import type { DelegatedContext } from "@/lib/auth/caller";
import { type Database, getDatabase } from "@/lib/db";
import { type AppError, refusal } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import { parseScope } from "@/lib/shared/arm-scope";
import { assertRoleGrantable } from "@/lib/workspaces/grantable-roles";
import { azureRequestDirectory, type RequestDirectory } from "./directory";
import { withDeltaSummary } from "./delta-summary";
import { notifyApproversOfArrival } from "./notify";
import { DURATION_PRESETS, type DurationPreset, durationsFor, getRequestPolicy, PRIVILEGED_APPROVERS, type RequestPolicy, routeFor } from "./policy";
import { requestClock } from "./clock";
import { accessRequests, type AccessRequestRow } from "./schema";
import type { VerifiedPrincipal } from "./verify";

export const PRINCIPAL_KINDS = ["user", "group", "servicePrincipal", "managedIdentity"] as const;

/** The form's fields, validated on the server (the browser's checks are only a convenience). */
export const submitRequestSchema = z
  .strictObject({
    workspaceId: z
      .string()
      .trim()
      .min(1, { error: "Choose a workspace" })
      .max(512)
      .refine((value) => parseScope(value)?.level === "workspace", { error: "Choose a workspace from the list" }),
    /** Optional: if sent, it must be the workspace's name in Azure (what approvers see is always read from ARM). */
    workspaceName: z.string().trim().max(256).optional(),
    /** The role asked for; for a bundle, leave it out (the bundle's workspace role is used). */
    roleDefinitionId: z.string().trim().toLowerCase().optional(),
    /** An access bundle from the policy instead of a single role. */
    bundleId: z
      .string()
      .trim()
      .max(64)
      .optional()
      .transform((value) => (value ? value : undefined)),
    principal: z.strictObject(
      {
        id: z.uuid({ error: "Choose who the access is for" }),
        kind: z.enum(PRINCIPAL_KINDS),
        /** Must match the directory's name for the id; approvers see the directory's facts, never this text. */
        displayName: z.string().trim().min(1).max(256),
      },
      { error: "Choose who the access is for" },
    ),
    justification: z
      .string()
      .trim()
      .min(10, { error: "Explain why in at least 10 characters" })
      .max(1000, { error: "Keep the justification under 1,000 characters" }),
    duration: z.enum(Object.keys(DURATION_PRESETS) as [DurationPreset, ...DurationPreset[]], { error: "Choose a duration" }),
    ticket: z
      .string()
      .trim()
      .max(100, { error: "A ticket reference is at most 100 characters" })
      .regex(/^[\w.:#/-]*$/, { error: "Use letters, digits and - _ . : # / only" })
      .optional()
      .transform((value) => (value ? value : undefined)),
    /** Ask to extend this granted request (same workspace, role and principal). */
    extendsRequestId: z.uuid().optional(),
  })
  // Run even when other fields failed (`when`), so a form missing its role says so next to the other problems.
  .refine((input) => Boolean(input.bundleId) || Boolean(input.roleDefinitionId), { path: ["roleDefinitionId"], message: "Choose a role", when: () => true })
  .refine((input) => !(input.bundleId && input.roleDefinitionId), { path: ["bundleId"], message: "Choose a role or a bundle, not both" });
export type SubmitRequestInput = z.output<typeof submitRequestSchema>;

/** A filed request; refusals are thrown as `AppError`s naming the form field they are about. */
export interface SubmitResult {
  readonly request: AccessRequestRow;
}

/** `invalid_input` for an answer the policy or the directory does not accept, `conflict` for access or a request that already exists. */
function refused(code: "invalid_input" | "conflict", field: string, userMessage: string): AppError {
  return refusal(code, `${field} refused`, userMessage, field);
}

export interface SubmitOptions {
  readonly db?: Database;
  readonly policy?: RequestPolicy;
  readonly now?: Date;
  readonly notify?: boolean;
  /** Where facts about principals and workspaces come from: ARM and Graph, or a stand-in in state-machine tests. */
  readonly directory?: RequestDirectory;
}

/**
 * Files a request: checks it against the policy, resolves the workspace in ARM and the principal in Graph (refusing
 * any mismatch with what the form sent), refuses duplicates and access the principal already has, then writes it
 * with `request.submitted` in one transaction. The unique index on pending requests catches two identical
 * submissions racing each other.
 */
export async function submitAccessRequest(context: DelegatedContext, input: SubmitRequestInput, options: SubmitOptions = {}): Promise<SubmitResult> {
  const policy = options.policy ?? getRequestPolicy();
  const db = options.db ?? (await getDatabase());
  const bundle = input.bundleId ? policy.bundles.find((candidate) => candidate.id === input.bundleId) : undefined;
  if (input.bundleId && !bundle) throw refused("invalid_input", "bundleId", "This bundle cannot be requested. Choose one from the list.");
  if (bundle && input.extendsRequestId) {
    throw refused("invalid_input", "extendsRequestId", "A bundle cannot be extended yet; ask for the bundle again when it ends.");
  }
  // A bundle is asked for with its workspace role's columns, and the bundle's own limits.
  const role = bundle
    ? { roleDefinitionId: bundle.workspaceRole.roleDefinitionId, name: bundle.workspaceRole.name, maxDuration: bundle.maxDuration, approvers: bundle.approvers }
    : policy.roles.find((candidate) => candidate.roleDefinitionId === input.roleDefinitionId);
  if (!role) throw refused("invalid_input", "roleDefinitionId", "This role cannot be requested. Choose one from the list.");
  const allowed = durationsFor(policy, role);
  if (!allowed.includes(input.duration)) {
    throw refused(
      "invalid_input",
      "duration",
      `${bundle ? `The ${bundle.name} bundle` : role.name} can be requested for at most ${role.maxDuration === "permanent" ? "any duration" : role.maxDuration}.`,
    );
  }
  const workspace = parseScope(input.workspaceId)!;
  const workspaceKey = workspace.scope.toLowerCase();
  const principalId = input.principal.id.toLowerCase();
  const same = and(
    eq(accessRequests.workspaceKey, workspaceKey),
    eq(accessRequests.principalId, principalId),
    eq(accessRequests.roleDefinitionId, role.roleDefinitionId),
  );

  let extended: AccessRequestRow | undefined;
  if (input.extendsRequestId) {
    [extended] = await db.select().from(accessRequests).where(eq(accessRequests.id, input.extendsRequestId));
    if (
      !extended ||
      extended.status !== "granted" ||
      extended.workspaceKey !== workspaceKey ||
      extended.principalId !== principalId ||
      extended.roleDefinitionId !== role.roleDefinitionId
    ) {
      throw refused("invalid_input", "extendsRequestId", "Only granted, time-bound access can be extended, for the same workspace, role and person.");
    }
    if (extended.expiresAt === null) throw refused("invalid_input", "extendsRequestId", "This access is permanent; there is nothing to extend.");
  } else {
    const [active] = await db
      .select()
      .from(accessRequests)
      .where(and(same, inArray(accessRequests.status, ["approved", "granted", "expiring", "expiry_failed"])));
    if (active) {
      throw refused(
        "conflict",
        "principal",
        `${active.principalDisplayName} already has ${role.name} on this workspace through request ${active.id.slice(0, 8)}${active.expiresAt ? "; ask for an extension there instead" : ""}.`,
      );
    }
  }
  const [pending] = await db
    .select({ id: accessRequests.id })
    .from(accessRequests)
    .where(and(same, eq(accessRequests.status, "pending")));
  if (pending) {
    throw refused("conflict", "principal", `A request for ${role.name} on this workspace for ${input.principal.displayName} is already waiting for approval.`);
  }

  const directory = options.directory ?? azureRequestDirectory;
  const verified = await directory.verifyTargets(input);
  if (!verified.ok) throw refused("invalid_input", verified.field, verified.message);
  const now = options.now ?? (await requestClock());
  const durationMinutes = DURATION_PRESETS[input.duration];

  // A bundle is more than its workspace role: holding that role does not cover the bundle's other parts.
  if (!extended && !bundle) {
    let coverage;
    try {
      coverage = await directory.findCoverage({
        workspaceId: workspace.scope,
        principalId,
        principalName: verified.principal.displayName,
        roleDefinitionId: role.roleDefinitionId,
        wantedUntil: durationMinutes === null ? null : new Date(now.getTime() + durationMinutes * 60_000),
        db,
      });
    } catch (error) {
      // Checked again, failing closed, when an admin approves: an outage here must not stop people asking.
      log("warn", "requests", "could not check existing access at submission", { error: describeError(error) });
    }
    if (coverage) throw refused("conflict", "principal", `Nothing to request: ${coverage.explanation}`);
  }

  let privileged = true;
  let readFromArm = false;
  try {
    privileged = await directory.roleIsPrivileged(workspace.scope, role.roleDefinitionId);
    readFromArm = true;
  } catch (error) {
    // Failing closed: two approvers until ARM says otherwise (the approval re-checks, and never lowers the count).
    log("warn", "requests", "could not read the role definition at submission", { error: describeError(error) });
  }
  // A privileged custom role the operator has not allowed would be refused at approval: say so now. (Built-in ones
  // cannot be in the policy at all; the approval checks again, failing closed, when ARM could not say here.)
  await assertRoleGrantable(
    context,
    { id: role.roleDefinitionId, name: role.name, changesAccess: readFromArm && privileged },
    { scope: workspace.scope, principalId, consoleAction: "submitAccessRequest" },
    db,
  );

  // Who decides is fixed now, from the workspace as ARM describes it (name and tags), not from anything the form sent.
  const route = routeFor(policy, {
    workspaceName: verified.workspaceName,
    workspaceTags: verified.workspaceTags,
    roleDefinitionId: role.roleDefinitionId,
    bundleId: bundle?.id,
  });
  return fileRequest(db, context, {
    workspace: { id: workspace.scope, key: workspaceKey, name: verified.workspaceName },
    role: { roleDefinitionId: role.roleDefinitionId, name: role.name },
    routeId: route?.id ?? null,
    ...(bundle ? { bundle: { id: bundle.id, name: bundle.name } } : {}),
    principal: verified.principal,
    justification: input.justification,
    ticket: input.ticket ?? null,
    durationMinutes,
    // A two-step route's business approval comes on top of the admins' approvals.
    approvalsRequired: Math.max(role.approvers, privileged ? PRIVILEGED_APPROVERS : 1) + (route?.flow === "business-then-admin" ? 1 : 0),
    extendsRequestId: extended?.id ?? null,
    origin: "form",
    createsMapping: false,
    pendingUntil: new Date(now.getTime() + policy.pendingLifetimeHours * 3_600_000),
    now,
    notify: options.notify !== false,
  });
}

export interface RequestDraft {
  readonly workspace: { readonly id: string; readonly key: string; readonly name: string };
  readonly role: { readonly roleDefinitionId: string; readonly name: string };
  /** A bundle request: the role columns hold its workspace role. */
  readonly bundle?: { readonly id: string; readonly name: string };
  /** The policy route that decides who may approve (null: Console.Admin holders). */
  readonly routeId: string | null;
  readonly principal: VerifiedPrincipal;
  readonly justification: string;
  readonly ticket: string | null;
  readonly durationMinutes: number | null;
  readonly approvalsRequired: number;
  readonly extendsRequestId: string | null;
  readonly origin: "form" | "self_grant";
  readonly createsMapping: boolean;
  readonly pendingUntil: Date;
  readonly now: Date;
  readonly notify: boolean;
}

/** Writes a request built from verified facts, with `request.submitted`, and tells the approvers. */
export async function fileRequest(db: Database, context: DelegatedContext, draft: RequestDraft): Promise<SubmitResult> {
  const id = randomUUID();
  const row: typeof accessRequests.$inferInsert = {
    id,
    workspaceId: draft.workspace.id,
    workspaceKey: draft.workspace.key,
    workspaceName: draft.workspace.name,
    roleDefinitionId: draft.role.roleDefinitionId,
    roleName: draft.role.name,
    bundleId: draft.bundle?.id ?? null,
    bundleName: draft.bundle?.name ?? null,
    routeId: draft.routeId,
    principalId: draft.principal.id,
    principalKind: draft.principal.kind,
    principalDisplayName: draft.principal.displayName,
    principalSecondaryId: draft.principal.secondaryId,
    principalFlags: [...draft.principal.flags],
    principalVerifiedAt: draft.now,
    requesterObjectId: context.person.objectId.toLowerCase(),
    requesterTenantId: context.person.tenantId.toLowerCase(),
    requesterName: context.person.displayName,
    requesterUpn: context.person.userPrincipalName,
    justification: draft.justification,
    ticket: draft.ticket,
    durationMinutes: draft.durationMinutes,
    status: "pending",
    approvalsRequired: draft.approvalsRequired,
    extendsRequestId: draft.extendsRequestId,
    origin: draft.origin,
    createsMapping: draft.createsMapping,
    createdAt: draft.now,
    pendingUntil: draft.pendingUntil,
    updatedAt: draft.now,
  };
  let inserted: AccessRequestRow;
  try {
    inserted = await db.transaction(async (tx) => {
      const [created] = await tx.insert(accessRequests).values(row).returning();
      await recordAuditEvent(tx, {
        action: "request.submitted",
        outcome: "succeeded",
        actor: context.actor,
        target: {
          requestId: id,
          scope: draft.workspace.id,
          principalId: draft.principal.id,
          roleDefinitionId: draft.role.roleDefinitionId,
          roleName: draft.role.name,
        },
        reason: draft.justification,
        correlation: { consoleRequestId: context.requestId },
        details: {
          ...(draft.durationMinutes === null ? {} : { durationMinutes: draft.durationMinutes }),
          origin: draft.origin,
          ...(draft.routeId ? { routeId: draft.routeId } : {}),
          principalDisplayName: draft.principal.displayName.slice(0, 256),
        },
        occurredAt: draft.now,
      });
      return created!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw refused(
        "conflict",
        "principal",
        `A request for ${draft.role.name} on this workspace for ${draft.principal.displayName} is already waiting for approval.`,
      );
    }
    throw error;
  }
  if (draft.notify) await notifyApproversOfArrival(await withDeltaSummary(db, context, inserted), { db });
  return { request: inserted };
}

export function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
