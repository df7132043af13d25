/**
 * `GET /oauth2PermissionGrants` — tenant-wide delegated consents — with the one filter a consent check needs,
 * `clientId eq '{service principal id}'` (https://learn.microsoft.com/graph/api/oauth2permissiongrant-list).
 * Needs DelegatedPermissionGrant.Read(Write).All or Directory.Read(Write).All.
 */
import type { SandboxRequest, SandboxResponse } from "../../contract";
import type { Tenant } from "../../tenant/tenant";
import { respondWithPlainCollection } from "../odata";
import { denyUnlessPermitted, type PermissionRequirement } from "../permissions";
import { graphError } from "../responses";

const READ_GRANTS: PermissionRequirement = {
  delegated: ["DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
  application: ["DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
};
const PROPERTIES = ["id", "clientId", "consentType", "principalId", "resourceId", "scope"];

export function listPermissionGrants(tenant: Tenant, request: SandboxRequest): SandboxResponse {
  const denied = denyUnlessPermitted(request, READ_GRANTS);
  if (denied) return denied;
  const filter = request.query.get("$filter");
  let clientId: string | undefined;
  if (filter !== null) {
    clientId = /^\s*clientId\s+eq\s+'([^']+)'\s*$/i.exec(filter)?.[1];
    if (clientId === undefined) {
      return graphError(request, 400, "Request_UnsupportedQuery", "The Gatehouse sandbox filters oauth2PermissionGrants by clientId eq '…' only.");
    }
  }
  const grants = [...tenant.oauth2PermissionGrants.values()]
    .filter((grant) => clientId === undefined || grant.clientId.toLowerCase() === clientId.toLowerCase())
    .map((grant) => ({
      id: grant.id,
      clientId: grant.clientId,
      consentType: "AllPrincipals",
      principalId: null,
      resourceId: grant.resourceId,
      scope: grant.scopes.join(" "),
    }));
  // The filter stays in the next link: every page is of the same filtered list.
  return respondWithPlainCollection(request, grants, "oauth2PermissionGrants", PROPERTIES, ["$filter"]);
}
