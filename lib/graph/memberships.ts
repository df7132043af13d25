import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";

import { graphError } from "./client";

/** "You can check up to a maximum of 20 groups per request" (Graph, directoryObject: checkMemberGroups). */
const GROUPS_PER_CHECK = 20;

/**
 * Which of `groupIds` a directory object — a user, group or service principal, or `"me"` for the signed-in person — is
 * a member of, transitively: Graph's `checkMemberGroups`, the one exact membership test (no paging, no nesting
 * limit). Asked 20 ids at a time; ids come back lower-case. Throws Graph's failure as an `AppError`.
 */
export async function memberGroupsAmong(client: Client, objectId: string, groupIds: readonly string[]): Promise<Set<string>> {
  const path = objectId === "me" ? "/me/checkMemberGroups" : `/directoryObjects/${objectId}/checkMemberGroups`;
  const candidates = [...new Set(groupIds.map((id) => id.toLowerCase()))];
  const members = new Set<string>();
  try {
    for (let start = 0; start < candidates.length; start += GROUPS_PER_CHECK) {
      const page = (await client.api(path).post({ groupIds: candidates.slice(start, start + GROUPS_PER_CHECK) })) as { value?: string[] };
      for (const id of page.value ?? []) members.add(id.toLowerCase());
    }
  } catch (error) {
    throw graphError(error);
  }
  return members;
}
