import "server-only";

import { type AmlRegistryRead, type LinkedResourceRead, readAmlRegistry, readLinkedResources } from "@/lib/arm/linked-resources";
import { parseScope, resourceNameOfScope } from "@/lib/shared/arm-scope";
import { invalidWorkspace } from "@/lib/workspaces/get-workspace-access";
import { type BundleFactSources, defaultBundleFactSources, type WorkspaceLinks } from "./plan";
import type { LinkedResourceFact } from "./resolve";

/** What ARM said about a link, as a bundle plan reads it. */
function toFact(read: LinkedResourceRead | AmlRegistryRead): LinkedResourceFact {
  if (read.exists) {
    return {
      state: "found",
      id: read.id,
      subscriptionId: read.subscriptionId,
      name: read.name,
      ...("keyVaultUsesRbac" in read && read.keyVaultUsesRbac !== undefined ? { keyVaultUsesRbac: read.keyVaultUsesRbac } : {}),
    };
  }
  if (read.unreadable === "no_link") {
    return read.id
      ? {
          state: "unreadable",
          id: read.id,
          name: resourceNameOfScope(read.id),
          reason: "the workspace names it with an id that is not a resource of the expected type",
        }
      : { state: "none" };
  }
  if (read.unreadable === "not_found") return { state: "missing", id: read.id, name: read.name };
  return { state: "unreadable", id: read.id, name: read.name, reason: "Azure did not let you read it" };
}

/** A workspace's links, read from ARM as the caller. */
async function readLinks(...[identity, workspaceId, onLinkIds]: Parameters<BundleFactSources["readLinks"]>): Promise<WorkspaceLinks> {
  const workspace = parseScope(workspaceId);
  if (workspace?.level !== "workspace") throw invalidWorkspace(workspaceId);
  const { links } = await readLinkedResources(identity, workspace.scope, onLinkIds ? { onLinkIds } : {});
  return {
    workspace: { id: workspace.scope, name: workspace.workspaceName!, subscriptionId: workspace.subscriptionId! },
    linked: {
      storageAccount: toFact(links.storageAccount),
      keyVault: toFact(links.keyVault),
      containerRegistry: toFact(links.containerRegistry),
      applicationInsights: toFact(links.applicationInsights),
    },
  };
}

/** The facts a bundle plan reads, from ARM as the signed-in admin. */
export const azureBundleSources: BundleFactSources = defaultBundleFactSources(readLinks, async (identity, id) => toFact(await readAmlRegistry(identity, id)));
