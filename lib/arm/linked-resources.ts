import "server-only";

import { z } from "zod";

import { armError, armGet, type ArmIdentity } from "@/lib/arm/client";
import { AppError } from "@/lib/errors";
import { parseResourceId, parseScope, type ParsedResourceId } from "@/lib/shared/arm-scope";
import { WORKSPACES_API_VERSION } from "@/lib/workspaces/list-workspaces";

/**
 * What an AML workspace stands on: the storage account, key vault, container registry and Application Insights
 * component its properties name, read as the caller, and AML registries. A link may point at nothing (the resource was
 * deleted; the workspace keeps its id), live in another resource group or subscription, or be hidden from the caller;
 * each link says which, and the workspace's other links are still read.
 */

export type WorkspaceLinkKind = "storageAccount" | "keyVault" | "containerRegistry" | "applicationInsights";

export const WORKSPACE_LINK_KINDS: readonly WorkspaceLinkKind[] = ["storageAccount", "keyVault", "containerRegistry", "applicationInsights"];

/** The provider type of each link, and the api-version Gatehouse reads it with (stable versions of the public REST specs). */
const LINK_TYPES: Record<WorkspaceLinkKind | "amlRegistry", { readonly type: string; readonly apiVersion: string }> = {
  storageAccount: { type: "Microsoft.Storage/storageAccounts", apiVersion: "2023-05-01" },
  keyVault: { type: "Microsoft.KeyVault/vaults", apiVersion: "2023-07-01" },
  containerRegistry: { type: "Microsoft.ContainerRegistry/registries", apiVersion: "2023-07-01" },
  applicationInsights: { type: "microsoft.insights/components", apiVersion: "2020-02-02" },
  amlRegistry: { type: "Microsoft.MachineLearningServices/registries", apiVersion: "2024-10-01" },
};

/**
 * Which kind of resource a bundle part may land on an id names (a workspace's linked resource of one of the types
 * above, or an AML registry), with the id parsed; undefined for any other id.
 */
export function linkedResourceOf(id: string): { readonly kind: WorkspaceLinkKind | "amlRegistry"; readonly resource: ParsedResourceId } | undefined {
  const parsed = parseResourceId(id);
  if (!parsed) return undefined;
  const kind = (Object.keys(LINK_TYPES) as (WorkspaceLinkKind | "amlRegistry")[]).find((candidate) => isType(parsed, LINK_TYPES[candidate].type));
  return kind ? { kind, resource: parsed } : undefined;
}

/** Where the linked resource is, from its id. */
export interface LinkedResourceLocation {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

/**
 * One link, read: `exists` when ARM answered with the resource (with `keyVaultUsesRbac` for a key vault: whether its
 * data plane is authorized by Azure RBAC, `properties.enableRbacAuthorization`, so that a role assignment means
 * anything there). Otherwise why not: ARM found nothing at the id (`not_found`), the caller may not read it
 * (`forbidden`), or the workspace names none, or no id Gatehouse can read (`no_link`).
 */
export type LinkedResourceRead =
  | (LinkedResourceLocation & { readonly exists: true; readonly keyVaultUsesRbac?: boolean })
  | (LinkedResourceLocation & { readonly exists: false; readonly unreadable: "not_found" | "forbidden" })
  | { readonly exists: false; readonly unreadable: "no_link"; readonly id: string | null };

export interface LinkedResources {
  readonly workspaceId: string;
  readonly links: Readonly<Record<WorkspaceLinkKind, LinkedResourceRead>>;
}

const workspaceWire = z.object({
  id: z.string(),
  properties: z.object({
    storageAccount: z.string().nullish(),
    keyVault: z.string().nullish(),
    containerRegistry: z.string().nullish(),
    applicationInsights: z.string().nullish(),
  }),
});

const resourceWire = z.object({ id: z.string(), name: z.string(), location: z.string().optional() });
const keyVaultWire = resourceWire.extend({ properties: z.object({ enableRbacAuthorization: z.boolean().nullish() }) });
const amlRegistryWire = resourceWire.extend({
  location: z.string(),
  properties: z.object({ regionDetails: z.array(z.object({ location: z.string() })).nullish() }).optional(),
});

function invalidId(kind: string, id: string): AppError {
  return new AppError({
    code: "invalid_input",
    message: `Not ${kind} id: ${id.slice(0, 300)}`,
    userMessage: `That is not the Azure resource id of ${kind}.`,
  });
}

function unexpectedAnswer(what: string, error: z.ZodError): AppError {
  return new AppError({
    code: "upstream_failed",
    message: `Azure Resource Manager answered ${what} in an unexpected shape: ${error.message}`,
    userMessage: "Azure Resource Manager answered in a shape Gatehouse does not understand.",
  });
}

function isType(parsed: ParsedResourceId, type: string): boolean {
  return `${parsed.namespace}/${parsed.type}`.toLowerCase() === type.toLowerCase();
}

function locationOf(parsed: ParsedResourceId): LinkedResourceLocation {
  return { id: parsed.id, subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name };
}

/** GET of one resource; a 404 or 403 is an answer about the link, anything else fails the whole read. */
async function readResource(identity: ArmIdentity, parsed: ParsedResourceId, apiVersion: string): Promise<{ body: unknown } | "not_found" | "forbidden"> {
  try {
    return { body: await armGet(identity, parsed.id, apiVersion) };
  } catch (error) {
    const failure = armError(error);
    if (failure.code === "not_found") return "not_found";
    if (failure.code === "upstream_forbidden") return "forbidden";
    throw failure;
  }
}

async function readLink(identity: ArmIdentity, kind: WorkspaceLinkKind, id: string | null | undefined): Promise<LinkedResourceRead> {
  if (!id) return { exists: false, unreadable: "no_link", id: null };
  const parsed = parseResourceId(id);
  // A workspace names each link by its full id; one Gatehouse cannot read (or of another type) is no link to follow.
  if (!parsed || !isType(parsed, LINK_TYPES[kind].type)) return { exists: false, unreadable: "no_link", id };
  const answer = await readResource(identity, parsed, LINK_TYPES[kind].apiVersion);
  if (answer === "not_found" || answer === "forbidden") return { ...locationOf(parsed), exists: false, unreadable: answer };
  if (kind !== "keyVault") {
    const resource = resourceWire.safeParse(answer.body);
    if (!resource.success) throw unexpectedAnswer(LINK_TYPES[kind].type, resource.error);
    return { ...locationOf(parsed), exists: true };
  }
  const vault = keyVaultWire.safeParse(answer.body);
  if (!vault.success) throw unexpectedAnswer(LINK_TYPES.keyVault.type, vault.error);
  // Absent means false: a vault created before the property existed uses access policies.
  return { ...locationOf(parsed), exists: true, keyVaultUsesRbac: vault.data.properties.enableRbacAuthorization === true };
}

/**
 * Reads a workspace (at the api-version the console reads workspaces with) and then each resource it links to, as
 * `identity`. The workspace must be readable: its refusal or absence is thrown as ARM's (the one error model); the
 * links' are reported per link.
 */
export async function readLinkedResources(
  identity: ArmIdentity,
  workspaceId: string,
  options: {
    /** Told the ids the workspace links to as soon as the workspace is read, while the links are being read. */
    readonly onLinkIds?: (ids: readonly string[]) => void;
  } = {},
): Promise<LinkedResources> {
  const scope = parseScope(workspaceId);
  if (scope?.level !== "workspace") throw invalidId("an AML workspace", workspaceId);
  let body: unknown;
  try {
    body = await armGet(identity, scope.scope, WORKSPACES_API_VERSION);
  } catch (error) {
    throw armError(error);
  }
  const workspace = workspaceWire.safeParse(body);
  if (!workspace.success) throw unexpectedAnswer("a workspace", workspace.error);
  const properties = workspace.data.properties;
  options.onLinkIds?.(
    WORKSPACE_LINK_KINDS.flatMap((kind) => {
      const parsed = parseResourceId(properties[kind] ?? "");
      return parsed && isType(parsed, LINK_TYPES[kind].type) ? [parsed.id] : [];
    }),
  );
  const reads = await Promise.all(WORKSPACE_LINK_KINDS.map((kind) => readLink(identity, kind, properties[kind])));
  const links = Object.fromEntries(WORKSPACE_LINK_KINDS.map((kind, index) => [kind, reads[index]!])) as Record<WorkspaceLinkKind, LinkedResourceRead>;
  return { workspaceId: workspace.data.id, links };
}

/** An AML registry, read: where it is and the regions it replicates to, or why it could not be read. */
export type AmlRegistryRead =
  | (LinkedResourceLocation & { readonly exists: true; readonly location: string; readonly regions: readonly string[] })
  | (LinkedResourceLocation & { readonly exists: false; readonly unreadable: "not_found" | "forbidden" });

/** Reads one AML registry (`Microsoft.MachineLearningServices/registries`) as `identity`. */
export async function readAmlRegistry(identity: ArmIdentity, id: string): Promise<AmlRegistryRead> {
  const parsed = parseResourceId(id);
  if (!parsed || !isType(parsed, LINK_TYPES.amlRegistry.type)) throw invalidId("an AML registry", id);
  const answer = await readResource(identity, parsed, LINK_TYPES.amlRegistry.apiVersion);
  if (answer === "not_found" || answer === "forbidden") return { ...locationOf(parsed), exists: false, unreadable: answer };
  const registry = amlRegistryWire.safeParse(answer.body);
  if (!registry.success) throw unexpectedAnswer(LINK_TYPES.amlRegistry.type, registry.error);
  const regions = registry.data.properties?.regionDetails?.map((region) => region.location) ?? [registry.data.location];
  return { ...locationOf(parsed), name: registry.data.name, exists: true, location: registry.data.location, regions };
}
