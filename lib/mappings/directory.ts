import "server-only";

import { type Client, ResponseType } from "@microsoft/microsoft-graph-client";

import { graphError } from "@/lib/graph/client";
import { type DirectoryPrincipal, lookupPrincipals, toPrincipal } from "@/lib/graph/principals";
import { DirectoryObjectPage, PRINCIPAL_SELECT } from "@/lib/graph/schemas";
import { log } from "@/lib/log";

/**
 * Directory reads the mappings feature needs, on any Graph client: the signed-in person's (`delegatedGraphClient`)
 * or the console's own (`appGraphClient`, for the scheduled drift check).
 */

export { lookupPrincipals };

/**
 * Every user that is a member of the group, directly or through nested groups (lower-case ids). The cast is an
 * advanced query: Graph refuses it without `ConsistencyLevel: eventual` and `$count=true`, on every page.
 */
export async function transitiveUserIds(client: Client, groupId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let request: string | undefined = `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$count=true&$select=id&$top=999`;
  for (let page = 0; request !== undefined && page < 500; page++) {
    const body = DirectoryObjectPage.parse(await client.api(request).header("ConsistencyLevel", "eventual").get());
    for (const item of body.value) ids.add(item.id.toLowerCase());
    request = body["@odata.nextLink"];
  }
  return ids;
}

/** The group's transitive member count (`$count` needs `ConsistencyLevel: eventual`); null when it can't be read. */
export async function transitiveMemberCount(client: Client, groupId: string): Promise<number | null> {
  try {
    const text: unknown = await client
      .api(`/groups/${encodeURIComponent(groupId)}/transitiveMembers/$count`)
      .header("ConsistencyLevel", "eventual")
      .responseType(ResponseType.TEXT)
      .get();
    const count = Number(String(text).trim());
    return Number.isFinite(count) ? count : null;
  } catch (error) {
    // The count is shown beside the mapping ("members unknown" when null); the page still works without it.
    log("warn", "graph", "group member count unavailable", { groupId, problem: graphError(error).message });
    return null;
  }
}

export const MEMBER_PREVIEW_SIZE = 50;

/** The first 50 transitive members of a group, optionally those whose name starts with a search term. */
export async function previewMembers(
  client: Client,
  groupId: string,
  search: string | undefined,
): Promise<{ members: DirectoryPrincipal[]; total: number | null }> {
  const term = search?.trim().replace(/["\\]/g, " ");
  try {
    let request = client
      .api(`/groups/${encodeURIComponent(groupId)}/transitiveMembers`)
      .header("ConsistencyLevel", "eventual")
      .select(PRINCIPAL_SELECT)
      .top(MEMBER_PREVIEW_SIZE);
    if (term) request = request.search(`"displayName:${term}"`);
    const [page, total] = await Promise.all([request.get().then((body: unknown) => DirectoryObjectPage.parse(body)), transitiveMemberCount(client, groupId)]);
    const members = page.value.flatMap((object) => {
      const principal = toPrincipal(object);
      return principal ? [principal] : [];
    });
    return { members, total };
  } catch (error) {
    throw graphError(error);
  }
}
