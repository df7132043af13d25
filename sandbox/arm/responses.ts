import type { SandboxRequest, SandboxResponse } from "../contract";

export type ArmOperationType = "reads" | "writes" | "deletes";

/** Per-request context every ARM response needs: its request, and the rate-limit headers computed for it. */
export interface ArmResponseContext {
  readonly request: SandboxRequest;
  readonly rateLimitHeaders: Readonly<Record<string, string>>;
}

export function armOperationType(method: string): ArmOperationType {
  const upper = method.toUpperCase();
  if (upper === "DELETE") return "deletes";
  if (upper === "GET" || upper === "HEAD") return "reads";
  return "writes";
}

function armHeaders(context: ArmResponseContext, withBody: boolean): Record<string, string> {
  const { request } = context;
  return {
    ...(withBody ? { "content-type": "application/json; charset=utf-8" } : {}),
    "cache-control": "no-cache",
    pragma: "no-cache",
    expires: "-1",
    "x-content-type-options": "nosniff",
    "x-ms-request-id": request.requestId,
    "x-ms-correlation-request-id": request.headers["x-ms-correlation-request-id"] ?? request.requestId,
    ...(request.headers["x-ms-client-request-id"] ? { "x-ms-client-request-id": request.headers["x-ms-client-request-id"] } : {}),
    ...context.rateLimitHeaders,
  };
}

export function armJson(context: ArmResponseContext, status: number, body: unknown): SandboxResponse {
  return { status, headers: armHeaders(context, true), body };
}

export function armEmpty(context: ArmResponseContext, status: number): SandboxResponse {
  return { status, headers: armHeaders(context, false) };
}

/** ARM's error envelope: `{error:{code,message}}` (the Authorization RP sends only code and message). */
export function armError(context: ArmResponseContext, status: number, code: string, message: string): SandboxResponse {
  return armJson(context, status, { error: { code, message } });
}

export const ARM_MESSAGES = {
  missingApiVersion: "The api-version query parameter (?api-version=) is required for all requests.",
  authorizationFailed: (client: string, objectId: string, action: string, scope: string) =>
    `The client '${client}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  subscriptionNotFound: (subscriptionId: string) => `The subscription '${subscriptionId}' could not be found.`,
  resourceGroupNotFound: (name: string) => `Resource group '${name}' could not be found.`,
  resourceNotFound: (type: string, name: string, resourceGroup: string) =>
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  roleAssignmentExists: (existingName: string) =>
    `The role assignment already exists. The ID of the existing role assignment is ${existingName.replace(/-/g, "")}.`,
  roleAssignmentUpdateNotPermitted: "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
  principalNotFound: (principalId: string, tenantId: string) =>
    `Principal ${principalId.replace(/-/g, "")} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
  invalidRoleAssignmentId: (name: string) => `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
  invalidPrincipalId: (principalId: string) => `The Principal ID '${principalId}' is not valid. Principal ID must be a GUID.`,
  roleAssignmentLimitExceeded: "No more role assignments can be created.",
  roleAssignmentNotFound: (name: string) => `The role assignment '${name}' is not found.`,
  roleDefinitionDoesNotExist: (id: string) => `The specified role definition with ID '${id}' does not exist.`,
} as const;
