import "server-only";

import type { AccessRequestRow } from "./schema";

/** What every audit event about an access request names as its target: the request, its scope, principal and role. */
export function requestAuditTarget(request: AccessRequestRow) {
  return {
    requestId: request.id,
    scope: request.workspaceId,
    principalId: request.principalId,
    roleDefinitionId: request.roleDefinitionId,
    roleName: request.roleName,
  };
}
