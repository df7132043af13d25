import "server-only";

import { randomUUID } from "node:crypto";

import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";

import { type AuditActor, recordAuditEvent } from "@/lib/audit";
import { type Database, getDatabase } from "@/lib/db";
import { parseScope } from "@/lib/shared/arm-scope";
import { notifyApproversOfArrival } from "./notify";
import { DURATION_PRESETS, type DurationPreset, durationsFor, getRequestPolicy, type RequestPolicy } from "./policy";
import { requestClock } from "./clock";
import { accessRequests, type AccessRequestRow } from "./schema";

export const PRINCIPAL_KINDS = ["user", "group", "servicePrincipal", "managedIdentity"] as const;

/** The form's fields, validated on the server (the browser's checks are only a convenience). */
export const submitRequestSchema = z.strictObject({
  workspaceId: z
    .string()
    .trim()
    .min(1, { error: "Choose a workspace" })
    .max(512)
    .refine((value) => parseScope(value)?.level === "workspace", { error: "Choose a workspace from the list" }),
  workspaceName: z.string().trim().max(256).optional(),
  roleDefinitionId: z.string().trim().toLowerCase().min(1, { error: "Choose a role" }),
  principal: z.strictObject(
    {
      id: z.uuid({ error: "Choose who the access is for" }),
      kind: z.enum(PRINCIPAL_KINDS),
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
});
export type SubmitRequestInput = z.output<typeof submitRequestSchema>;

/** A signed-in person acting on requests. */
export interface RequestPerson {
  readonly tenantId: string;
  readonly objectId: string;
  readonly displayName: string;
  readonly userPrincipalName: string;
}

export interface RequestContext {
  readonly person: RequestPerson;
  readonly actor: AuditActor;
  readonly requestId: string;
}

export type SubmitResult =
  | { readonly ok: true; readonly request: AccessRequestRow }
  | { readonly ok: false; readonly message: string; readonly fieldErrors: Record<string, string[]> };

function refused(field: string, message: string): SubmitResult {
  return { ok: false, message, fieldErrors: { [field]: [message] } };
}

/**
 * Files a request: checks it against the policy and for duplicates, then writes it with `request.submitted` in one
 * transaction. The unique index on pending requests catches two identical submissions racing each other.
 */
export async function submitAccessRequest(
  context: RequestContext,
  input: SubmitRequestInput,
  options: { db?: Database; policy?: RequestPolicy; now?: Date; notify?: boolean } = {},
): Promise<SubmitResult> {
  const policy = options.policy ?? getRequestPolicy();
  const db = options.db ?? (await getDatabase());
  const role = policy.roles.find((candidate) => candidate.roleDefinitionId === input.roleDefinitionId);
  if (!role) return refused("roleDefinitionId", "This role cannot be requested. Choose one from the list.");
  const allowed = durationsFor(policy, role);
  if (!allowed.includes(input.duration)) {
    return refused("duration", `${role.name} can be requested for at most ${role.maxDuration === "permanent" ? "any duration" : role.maxDuration}.`);
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
    if (!extended || extended.status !== "granted" || extended.workspaceKey !== workspaceKey || extended.principalId !== principalId || extended.roleDefinitionId !== role.roleDefinitionId) {
      return refused("extendsRequestId", "Only granted, time-bound access can be extended, for the same workspace, role and person.");
    }
    if (extended.expiresAt === null) return refused("extendsRequestId", "This access is permanent; there is nothing to extend.");
  } else {
    const [active] = await db.select().from(accessRequests).where(and(same, inArray(accessRequests.status, ["approved", "granted", "expiring"])));
    if (active) {
      return refused(
        "principal",
        `${input.principal.displayName} already has ${role.name} on this workspace through request ${active.id.slice(0, 8)}${active.expiresAt ? "; ask for an extension there instead" : ""}.`,
      );
    }
  }
  const [pending] = await db.select({ id: accessRequests.id }).from(accessRequests).where(and(same, eq(accessRequests.status, "pending")));
  if (pending) {
    return refused("principal", `A request for ${role.name} on this workspace for ${input.principal.displayName} is already waiting for approval.`);
  }

  const now = options.now ?? (await requestClock());
  const durationMinutes = DURATION_PRESETS[input.duration];
  const id = randomUUID();
  const row: typeof accessRequests.$inferInsert = {
    id,
    workspaceId: workspace.scope,
    workspaceKey,
    workspaceName: input.workspaceName || workspace.workspaceName || workspace.scope,
    roleDefinitionId: role.roleDefinitionId,
    roleName: role.name,
    principalId,
    principalKind: input.principal.kind,
    principalDisplayName: input.principal.displayName,
    requesterObjectId: context.person.objectId.toLowerCase(),
    requesterTenantId: context.person.tenantId.toLowerCase(),
    requesterName: context.person.displayName,
    requesterUpn: context.person.userPrincipalName,
    justification: input.justification,
    ticket: input.ticket ?? null,
    durationMinutes,
    status: "pending",
    approvalsRequired: role.approvers,
    extendsRequestId: extended?.id ?? null,
    createdAt: now,
    pendingUntil: new Date(now.getTime() + policy.pendingLifetimeHours * 3_600_000),
    updatedAt: now,
  };
  let inserted: AccessRequestRow;
  try {
    inserted = await db.transaction(async (tx) => {
      const [created] = await tx.insert(accessRequests).values(row).returning();
      await recordAuditEvent(tx, {
        action: "request.submitted",
        outcome: "succeeded",
        actor: context.actor,
        target: { requestId: id, scope: workspace.scope, principalId, roleDefinitionId: role.roleDefinitionId, roleName: role.name },
        reason: input.justification,
        correlation: { consoleRequestId: context.requestId },
        details: durationMinutes === null ? {} : { durationMinutes },
        occurredAt: now,
      });
      return created!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      return refused("principal", `A request for ${role.name} on this workspace for ${input.principal.displayName} is already waiting for approval.`);
    }
    throw error;
  }
  if (options.notify !== false) await notifyApproversOfArrival(inserted);
  return { ok: true, request: inserted };
}

export function isUniqueViolation(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: unknown }).code === "23505") return true;
  }
  return false;
}
