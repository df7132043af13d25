/**
 * `GET /providers/Microsoft.Authorization/providerOperations/{namespace}` and the list without a namespace
 * (ProviderOperationsMetadata_Get / _List): the operations a resource provider defines, which a console expands role
 * wildcards against. The catalogue is recorded from public pages into `data/provider-operations/` (see its README);
 * it is tenant-wide metadata, so any signed-in caller may read it, as in Azure.
 */
import type { SandboxResponse } from "../contract";
import containerRegistry from "./data/provider-operations/Microsoft.ContainerRegistry.json" with { type: "json" };
import keyVault from "./data/provider-operations/Microsoft.KeyVault.json" with { type: "json" };
import machineLearningServices from "./data/provider-operations/Microsoft.MachineLearningServices.json" with { type: "json" };
import storage from "./data/provider-operations/Microsoft.Storage.json" with { type: "json" };
import type { ArmContext } from "./context";
import { armError, armJson } from "./responses";

/** Microsoft.Authorization api-versions that define providerOperations in the public REST specs. */
export const PROVIDER_OPERATIONS_API_VERSIONS = ["2015-07-01", "2018-01-01-preview", "2022-04-01"];

interface ProviderOperationsMetadata {
  readonly name: string;
  readonly resourceTypes: readonly unknown[];
  readonly [field: string]: unknown;
}

const CATALOGUE: readonly ProviderOperationsMetadata[] = [machineLearningServices, storage, keyVault, containerRegistry];

/** `$expand` defaults to `resourceTypes` in the REST spec; any other value leaves the per-type operations out. */
function render(context: ArmContext, metadata: ProviderOperationsMetadata): Record<string, unknown> {
  const expand = context.request.query.get("$expand");
  if (expand === null || expand.toLowerCase() === "resourcetypes") return { ...metadata };
  const { resourceTypes: _omitted, ...rest } = metadata;
  return rest;
}

export function getProviderOperations(context: ArmContext, namespace: string): SandboxResponse {
  const metadata = CATALOGUE.find((entry) => entry.name.toLowerCase() === namespace.toLowerCase());
  // Refused as an invalid namespace, the code and message ARM gives another API for an unknown namespace
  // (JulianHayward/Azure-MG-Sub-Governance-Reporting#52: "The resource namespace 'mailjet.email' is invalid."); that
  // providerOperations answers the same is unverified.
  if (!metadata) return armError(context, 400, "InvalidResourceNamespace", `The resource namespace '${namespace}' is invalid.`);
  return armJson(context, 200, render(context, metadata));
}

export function listProviderOperations(context: ArmContext): SandboxResponse {
  return armJson(context, 200, { value: CATALOGUE.map((metadata) => render(context, metadata)) });
}
