import "server-only";

import type { OperationVerb } from "./expand-role";

/**
 * Short English names for what a group of operations lets someone do, for an approver reading a request. Keyed by
 * resource type (lower case, with its namespace); a type not listed is named from its last segment.
 */
interface ResourceWords {
  readonly noun: string;
  /** Replaces "create and change {noun}" where that reads badly. */
  readonly write?: string;
  /** What reading its secrets is called. */
  readonly secrets?: string;
  /** Replaces "read {noun}". */
  readonly read?: string;
}

const ML = "microsoft.machinelearningservices";
const WORDS: Record<string, ResourceWords> = {
  [ML]: { noun: "Machine Learning subscription settings" },
  [`${ML}/workspaces`]: { noun: "the workspace", write: "change workspace settings", secrets: "read the workspace's keys and storage keys" },
  [`${ML}/workspaces/computes`]: { noun: "compute", secrets: "read compute secrets" },
  [`${ML}/workspaces/connections`]: { noun: "connections", secrets: "read connection secrets" },
  [`${ML}/workspaces/datastores`]: { noun: "datastores", secrets: "read datastore secrets" },
  [`${ML}/workspaces/metadata/secrets`]: { noun: "workspace secrets", secrets: "read workspace secrets" },
  [`${ML}/workspaces/environments`]: { noun: "environments", secrets: "read environment secrets" },
  [`${ML}/workspaces/jobs`]: { noun: "jobs" },
  [`${ML}/workspaces/models`]: { noun: "models" },
  [`${ML}/workspaces/data`]: { noun: "data assets" },
  [`${ML}/workspaces/codes`]: { noun: "code assets" },
  [`${ML}/workspaces/components`]: { noun: "components" },
  [`${ML}/workspaces/onlineendpoints`]: { noun: "online endpoints", secrets: "read online endpoint keys" },
  [`${ML}/workspaces/batchendpoints`]: { noun: "batch endpoints", secrets: "read batch endpoint keys" },
  [`${ML}/workspaces/serverlessendpoints`]: { noun: "serverless endpoints", secrets: "read serverless endpoint keys" },
  [`${ML}/workspaces/endpoints`]: { noun: "endpoints", secrets: "read endpoint keys" },
  [`${ML}/workspaces/notebooks/vm`]: { noun: "notebook VMs" },
  [`${ML}/workspaces/notebooks/storage`]: { noun: "notebook files" },
  [`${ML}/workspaces/hubs`]: { noun: "hubs" },
  [`${ML}/workspaces/featurestores`]: { noun: "feature stores" },
  [`${ML}/workspaces/experiments/runs`]: { noun: "experiment runs" },
  [`${ML}/registries`]: { noun: "model registries" },
  [`${ML}/registries/assets`]: { noun: "registry assets" },
  "microsoft.storage/storageaccounts": { noun: "storage accounts", secrets: "read storage account keys" },
  "microsoft.storage/storageaccounts/blobservices": { noun: "blob service settings" },
  "microsoft.storage/storageaccounts/blobservices/containers": { noun: "blob containers" },
  "microsoft.storage/storageaccounts/blobservices/containers/blobs": { noun: "blobs" },
  "microsoft.storage/storageaccounts/fileservices/fileshares/files": { noun: "files in file shares" },
  "microsoft.keyvault/vaults": { noun: "key vaults" },
  "microsoft.keyvault/vaults/secrets": {
    noun: "Key Vault secrets",
    secrets: "read Key Vault secret values",
    read: "read Key Vault secret names and properties",
  },
  "microsoft.containerregistry/registries": { noun: "container registries", secrets: "read container registry credentials" },
  "microsoft.containerregistry/registries/pull": { noun: "images", read: "pull images" },
  "microsoft.containerregistry/registries/push": { noun: "images", write: "push images" },
};

/** `privateEndpointConnections` → "private endpoint connections". */
function words(segment: string): string {
  return segment
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_-]/g, " ")
    .toLowerCase();
}

function wordsFor(resourceType: string): ResourceWords {
  const known = WORDS[resourceType.toLowerCase()];
  if (known) return known;
  const segments = resourceType.split("/");
  return { noun: segments.length > 1 ? words(segments.at(-1) ?? resourceType) : `${resourceType} settings` };
}

/** The action's own name in words: `…/computes/listNodes/action` → "list nodes". */
function actionWords(operation: string): string {
  const segments = operation.split("/");
  return words(segments.at(-1)?.toLowerCase() === "action" ? (segments.at(-2) ?? "") : (segments.at(-1) ?? ""));
}

export function groupLabel(resourceType: string, verb: OperationVerb, readsSecrets: boolean, operations: readonly string[]): string {
  const resource = wordsFor(resourceType);
  if (readsSecrets) return resource.secrets ?? `read secrets of ${resource.noun}`;
  if (verb === "read") return resource.read ?? `read ${resource.noun}`;
  if (verb === "write") return resource.write ?? `create and change ${resource.noun}`;
  if (verb === "delete") return `delete ${resource.noun}`;
  const named = [...new Set(operations.map(actionWords))].sort();
  return `${named.join(", ")} (${resource.noun})`;
}
