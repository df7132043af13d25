/**
 * `POST …/{id}/checkMemberGroups` (users, groups, service principals, `/me`, `/directoryObjects/{id}`): which of up to
 * 20 given groups the object is a member of, **transitively**. Microsoft Graph v1.0 reference, "directoryObject:
 * checkMemberGroups": "This function is transitive. You can check up to a maximum of 20 groups per request."
 * The answer is `Collection(Edm.String)` holding the ids that match, in no particular order.
 */
import type { SandboxRequest, SandboxResponse } from "../../contract";
import { isGuid } from "../../tenant/prng";
import type { Tenant } from "../../tenant/tenant";
import { contextUrl } from "../odata";
import { graphError, graphJson } from "../responses";

const MAX_GROUP_IDS = 20;

export function checkMemberGroups(tenant: Tenant, request: SandboxRequest, objectId: string): SandboxResponse {
  const body = request.body as { groupIds?: unknown } | undefined;
  const groupIds = body?.groupIds;
  if (!Array.isArray(groupIds) || !groupIds.every((id): id is string => typeof id === "string")) {
    return graphError(request, 400, "Request_BadRequest", "The request body must contain 'groupIds', an array of group object ids.");
  }
  if (groupIds.length === 0 || groupIds.length > MAX_GROUP_IDS) {
    return graphError(request, 400, "Request_BadRequest", `The number of group ids must be between 1 and ${MAX_GROUP_IDS}.`);
  }
  const invalid = groupIds.find((id) => !isGuid(id));
  if (invalid !== undefined) return graphError(request, 400, "Request_BadRequest", `Invalid object identifier '${invalid}'.`);
  const memberOf = new Set(tenant.transitiveGroupIds(objectId).map((id) => id.toLowerCase()));
  const value = [...new Set(groupIds.map((id) => id.toLowerCase()))].filter((id) => memberOf.has(id));
  return graphJson(request, 200, { "@odata.context": contextUrl(request, "Collection(Edm.String)", undefined), value });
}
