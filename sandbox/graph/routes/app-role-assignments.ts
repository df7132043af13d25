/** `servicePrincipals/{id}/appRoleAssignedTo` and `{users|groups|servicePrincipals}/{id}/appRoleAssignments`. */
import type { SandboxRequest, SandboxResponse } from "../../contract";
import type { AppRoleAssignmentRecord, DirectoryObjectRecord } from "../../tenant/model";
import type { Tenant } from "../../tenant/tenant";
import type { GraphObject } from "../entities";
import { respondWithPlainCollection } from "../odata";

const PROPERTIES = [
  "id",
  "deletedDateTime",
  "appRoleId",
  "createdDateTime",
  "principalDisplayName",
  "principalId",
  "principalType",
  "resourceDisplayName",
  "resourceId",
];

function render(tenant: Tenant, assignment: AppRoleAssignmentRecord): GraphObject {
  const principal = tenant.getDirectoryObject(assignment.principalId);
  const resource = tenant.servicePrincipals.get(assignment.resourceId.toLowerCase());
  return {
    id: assignment.id,
    deletedDateTime: null,
    appRoleId: assignment.appRoleId,
    createdDateTime: assignment.createdDateTime,
    principalDisplayName: principal?.displayName ?? null,
    principalId: assignment.principalId,
    principalType: assignment.principalType,
    resourceDisplayName: resource?.displayName ?? null,
    resourceId: assignment.resourceId,
  };
}

export function appRoleAssignedTo(tenant: Tenant, request: SandboxRequest, resourceId: string): SandboxResponse {
  const items = [...tenant.appRoleAssignments.values()].filter((a) => a.resourceId.toLowerCase() === resourceId.toLowerCase());
  return respondWithPlainCollection(
    request,
    items.map((a) => render(tenant, a)),
    `servicePrincipals('${resourceId}')/appRoleAssignedTo`,
    PROPERTIES,
  );
}

export function appRoleAssignmentsOf(tenant: Tenant, request: SandboxRequest, principal: DirectoryObjectRecord, setName: string): SandboxResponse {
  const items = [...tenant.appRoleAssignments.values()].filter((a) => a.principalId.toLowerCase() === principal.id.toLowerCase());
  return respondWithPlainCollection(
    request,
    items.map((a) => render(tenant, a)),
    `${setName}('${principal.id}')/appRoleAssignments`,
    PROPERTIES,
  );
}
