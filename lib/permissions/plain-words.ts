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
  /** Replaces "delete {noun}". */
  readonly delete?: string;
  /** What each action (`…/{name}/action`, lower case) lets someone do, replacing "{name} ({noun})". */
  readonly actions?: Readonly<Record<string, string>>;
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
  // The companion roles of bundles land on these (sandbox/arm/data/provider-operations/ lists what they reach); a data
  // role's words say where the data is, as an approver reads them beside a part on that resource.
  "microsoft.storage/storageaccounts": {
    noun: "the storage account",
    secrets: "read the storage account's access keys",
    write: "change storage account settings",
    actions: { regeneratekey: "regenerate the storage account's access keys" },
  },
  "microsoft.storage/storageaccounts/blobservices": {
    noun: "blob service settings",
    actions: { generateuserdelegationkey: "get user delegation keys (to sign SAS links to blobs)" },
  },
  "microsoft.storage/storageaccounts/blobservices/containers": { noun: "blob containers" },
  "microsoft.storage/storageaccounts/blobservices/containers/blobs": {
    noun: "blobs",
    read: "read blobs in the storage account",
    write: "write blobs in the storage account",
    delete: "delete blobs in the storage account",
    actions: { add: "append to blobs", move: "move and rename blobs" },
  },
  "microsoft.storage/storageaccounts/fileservices/fileshares/files": {
    noun: "files in file shares",
    read: "read files in the storage account's file shares",
    write: "write files in the storage account's file shares",
    delete: "delete files in the storage account's file shares",
    actions: {
      modifypermissions: "change files' and folders' permissions (ACLs)",
      actassuperuser: "act as a superuser on file shares (read and write whatever the ACLs say)",
    },
  },
  "microsoft.keyvault/vaults": { noun: "the key vault", write: "change key vault settings" },
  "microsoft.keyvault/vaults/secrets": {
    noun: "Key Vault secrets",
    secrets: "read Key Vault secret values",
    read: "read Key Vault secret names and properties",
    actions: { readmetadata: "read Key Vault secret names and properties", setsecret: "set Key Vault secret values" },
  },
  "microsoft.containerregistry/registries": {
    noun: "the container registry",
    secrets: "read container registry credentials",
    write: "change container registry settings",
  },
  "microsoft.containerregistry/registries/pull": { noun: "images", read: "pull images" },
  "microsoft.containerregistry/registries/push": { noun: "images", write: "push images" },
  "microsoft.containerregistry/registries/artifacts": { noun: "images and artifacts", delete: "delete images and artifacts" },
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

/** The action's own name: `…/computes/listNodes/action` → "listNodes" (its words: "list nodes"). */
function actionName(operation: string): string {
  const segments = operation.split("/");
  return segments.at(-1)?.toLowerCase() === "action" ? (segments.at(-2) ?? "") : (segments.at(-1) ?? "");
}

export function groupLabel(resourceType: string, verb: OperationVerb, readsSecrets: boolean, operations: readonly string[]): string {
  const resource = wordsFor(resourceType);
  if (readsSecrets) return resource.secrets ?? `read secrets of ${resource.noun}`;
  if (verb === "read") return resource.read ?? `read ${resource.noun}`;
  if (verb === "write") return resource.write ?? `create and change ${resource.noun}`;
  if (verb === "delete") return resource.delete ?? `delete ${resource.noun}`;
  const names = [...new Set(operations.map(actionName))];
  const phrases = names.map((name) => resource.actions?.[name.toLowerCase()]);
  if (phrases.every((phrase) => phrase !== undefined)) return [...new Set(phrases)].sort().join(", ");
  return `${names.map(words).sort().join(", ")} (${resource.noun})`;
}
