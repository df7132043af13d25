/**
 * A user-assigned managed identity's federated credentials, which Azure keeps on the ARM resource, not in Graph:
 * `GET …/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}/federatedIdentityCredentials` (REST spec
 * Microsoft.ManagedIdentity 2023-01-31, example FederatedIdentityCredentialList.json). The identities themselves are the
 * tenant's managed-identity service principals, found by the ARM id in their `alternativeNames`.
 */
import type { SandboxResponse } from "../contract";
import { type ArmContext, denyUnlessAuthorized } from "./context";
import { armPage } from "./paging";
import { isResponse, resolveOrError } from "./resources";
import { ARM_MESSAGES, armError, armJson } from "./responses";

/** 2023-01-31 is the stable version; 2025-01-31-preview adds `claimsMatchingExpression` (@azure/arm-msi). */
export const MANAGED_IDENTITY_API_VERSIONS = ["2023-01-31", "2025-01-31-preview"];
// Reader's `*/read` covers it: the console's identity needs no more than Reader on the identity.
const FEDERATED_CREDENTIALS_READ = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read";
const IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities";

export function listUserAssignedIdentityFederatedCredentials(
  context: ArmContext,
  subscriptionId: string,
  resourceGroup: string,
  name: string,
): SandboxResponse {
  const rgResolved = resolveOrError(context, `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`);
  if (isResponse(rgResolved)) return rgResolved;
  const identityId = `${rgResolved.scope}/providers/${IDENTITY_TYPE}/${name}`;
  // ARM authorizes before it looks the resource up.
  const denied = denyUnlessAuthorized(context, FEDERATED_CREDENTIALS_READ, identityId);
  if (denied) return denied;
  const identity = context.tenant.userAssignedIdentity(identityId);
  if (!identity) return armError(context, 404, "ResourceNotFound", ARM_MESSAGES.resourceNotFound(IDENTITY_TYPE, name, resourceGroup));
  const preview = context.request.query.get("api-version") !== "2023-01-31";
  // The spec example writes the id with `resourcegroups` in lower case.
  const base = `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroup}/providers/${IDENTITY_TYPE}/${name}/federatedIdentityCredentials`;
  const rows = (identity.armFederatedIdentityCredentials ?? []).map((credential) => ({
    id: `${base}/${credential.name}`,
    name: credential.name,
    type: `${IDENTITY_TYPE}/federatedIdentityCredentials`,
    properties: {
      issuer: credential.issuer,
      ...(credential.subject !== null ? { subject: credential.subject } : {}),
      audiences: credential.audiences,
      ...(preview && credential.claimsMatchingExpression ? { claimsMatchingExpression: credential.claimsMatchingExpression } : {}),
    },
  }));
  const page = armPage(context.request, rows);
  if (!page) return armError(context, 400, "InvalidSkipToken", "The skip token is not valid.");
  return armJson(context, 200, page);
}
