import "server-only";

import { type Client, ResponseType } from "@microsoft/microsoft-graph-client";
import { z } from "zod";

import { graphError } from "@/lib/graph/client";
import { type DirectoryPrincipal, GET_BY_IDS_LIMIT, toPrincipal } from "@/lib/graph/principals";
import { log } from "@/lib/log";

/**
 * Directory reads the mappings feature needs, on any Graph client: the signed-in person's (`delegatedGraphClient`)
 * or the console's own (`appGraphClient`, for the scheduled drift check).
 */

const DirectoryObject = z.object({
  "@odata.type": z.string(),
  id: z.string(),
  displayName: z.string().nullable().optional(),
  userPrincipalName: z.string().nullable().optional(),
  appId: z.string().nullable().optional(),
  servicePrincipalType: z.string().nullable().optional(),
  mail: z.string().nullable().optional(),
});
const Page = z.object({ value: z.array(DirectoryObject), "@odata.nextLink": z.string().optional() });
const SELECT = ["id", "displayName", "userPrincipalName", "appId", "servicePrincipalType", "mail"];

export interface Lookup {
  readonly found: ReadonlyMap<string, DirectoryPrincipal>;
  readonly complete: boolean;
}

/** Resolves object ids (1,000 per getByIds call, in parallel); `complete: false` when Graph could not be asked. */
export async function lookupPrincipals(client: Client, ids: Iterable<string>): Promise<Lookup> {
  const unique = [...new Set([...ids].map((id) => id.toLowerCase()))];
  if (unique.length === 0) return { found: new Map(), complete: true };
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += GET_BY_IDS_LIMIT) chunks.push(unique.slice(start, start + GET_BY_IDS_LIMIT));
  try {
    const pages = await Promise.all(
      chunks.map(async (ids) => Page.parse(await client.api("/directoryObjects/getByIds").select(SELECT).post({ ids, types: ["user", "group", "servicePrincipal"] }))),
    );
    const found = new Map<string, DirectoryPrincipal>();
    for (const object of pages.flatMap((page) => page.value)) {
      const principal = toPrincipal(object);
      if (principal) found.set(principal.id.toLowerCase(), principal);
    }
    return { found, complete: true };
  } catch {
    return { found: new Map(), complete: false };
  }
}

/** Every user that is a member of the group, directly or through nested groups (lower-case ids). */
export async function transitiveUserIds(client: Client, groupId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let request: string | undefined = `/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user?$select=id&$top=999`;
  for (let page = 0; request !== undefined && page < 500; page++) {
    const body = Page.partial({ value: true }).extend({ value: z.array(z.object({ id: z.string() })) }).parse(await client.api(request).get());
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
export async function previewMembers(client: Client, groupId: string, search: string | undefined): Promise<{ members: DirectoryPrincipal[]; total: number | null }> {
  const term = search?.trim().replace(/["\\]/g, " ");
  try {
    let request = client
      .api(`/groups/${encodeURIComponent(groupId)}/transitiveMembers`)
      .header("ConsistencyLevel", "eventual")
      .select(SELECT)
      .top(MEMBER_PREVIEW_SIZE);
    if (term) request = request.search(`"displayName:${term}"`);
    const [page, total] = await Promise.all([request.get().then((body: unknown) => Page.parse(body)), transitiveMemberCount(client, groupId)]);
    const members = page.value.flatMap((object) => {
      const principal = toPrincipal(object);
      return principal ? [principal] : [];
    });
    return { members, total };
  } catch (error) {
    throw graphError(error);
  }
}
