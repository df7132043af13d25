/** Test-data builders for audit tests: valid defaults with unique values, overridable per test. */
import { randomUUID } from "node:crypto";

import type { AuditActor, AuditEventInput } from "@/lib/audit/events";
import type { ChangeIntentInput } from "@/lib/audit/intents";

export const WORKSPACE_SCOPE =
  "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-research";
export const READER_ROLE_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";

export function makeUserActor(overrides: Partial<Extract<AuditActor, { kind: "user" }>> = {}): AuditActor {
  return {
    kind: "user",
    tenantId: "11111111-1111-4111-8111-111111111111",
    objectId: randomUUID(),
    displayName: "Alice Admin",
    userPrincipalName: "alice@contoso.example",
    ...overrides,
  };
}

export const SYSTEM_ACTOR: AuditActor = { kind: "system", appId: "22222222-2222-4222-8222-222222222222" };

/** A `mapping.created` event (simple, no intent), with overrides merged in. */
export function makeMappingCreatedEvent(overrides: Partial<Extract<AuditEventInput, { action: "mapping.created" }>> = {}): AuditEventInput {
  return {
    action: "mapping.created",
    outcome: "succeeded",
    actor: makeUserActor(),
    target: { scope: WORKSPACE_SCOPE, roleDefinitionId: READER_ROLE_ID },
    correlation: { consoleRequestId: randomUUID() },
    details: {
      mappingId: randomUUID(),
      after: { groupId: randomUUID(), groupDisplayName: "ML Researchers", scope: WORKSPACE_SCOPE, roleDefinitionId: READER_ROLE_ID },
    },
    ...overrides,
  };
}

/** An `authz.denied` event for the given actor. */
export function makeDeniedEvent(actor: AuditActor, overrides: Partial<Extract<AuditEventInput, { action: "authz.denied" }>> = {}): AuditEventInput {
  return {
    action: "authz.denied",
    outcome: "denied",
    errorCode: "forbidden",
    actor,
    target: { scope: WORKSPACE_SCOPE },
    reason: "console role missing",
    details: { consoleAction: "workspace.grant", deniedBecause: "console_role_missing" },
    ...overrides,
  };
}

export function makeGrantIntent(overrides: Partial<ChangeIntentInput> = {}): ChangeIntentInput {
  return {
    kind: "grant",
    scope: WORKSPACE_SCOPE,
    principalId: randomUUID(),
    principalType: "User",
    roleDefinitionId: READER_ROLE_ID,
    roleName: "Reader",
    assignmentName: randomUUID(),
    requestedBy: makeUserActor(),
    consoleRequestId: randomUUID(),
    reason: "Needs to read experiment results",
    ...overrides,
  };
}
