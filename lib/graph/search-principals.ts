import "server-only";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import { delegatedGraphClient, graphError } from "./client";
import { type DirectoryPrincipal, type PrincipalKind, resolvePrincipals, toPrincipal } from "./principals";
import { DirectoryObjectPage } from "./schemas";
import { GUID } from "@/lib/shared/patterns";

const RESULTS_PER_KIND = 8;

const COLLECTIONS = {
  user: {
    path: "/users",
    type: "#microsoft.graph.user",
    select: ["id", "displayName", "userPrincipalName", "mail"],
    fields: ["displayName", "userPrincipalName", "mail"],
  },
  group: { path: "/groups", type: "#microsoft.graph.group", select: ["id", "displayName", "mail"], fields: ["displayName", "mail"] },
  servicePrincipal: {
    path: "/servicePrincipals",
    type: "#microsoft.graph.servicePrincipal",
    select: ["id", "displayName", "appId", "servicePrincipalType"],
    fields: ["displayName"],
  },
} as const;

export type SearchableKind = keyof typeof COLLECTIONS;

/**
 * Finds users, groups, service principals and managed identities by name (Graph `$search`, which needs
 * `ConsistencyLevel: eventual`), or by object id when the query is a GUID. One call per kind, in parallel.
 */
export async function searchPrincipals(caller: DelegatedCaller, query: string, kinds: readonly SearchableKind[]): Promise<DirectoryPrincipal[]> {
  const trimmed = query.trim();
  if (GUID.test(trimmed)) {
    const lookup = await resolvePrincipals(caller, [trimmed]);
    const searchableKind = (kind: PrincipalKind): SearchableKind => (kind === "managedIdentity" ? "servicePrincipal" : kind);
    return [...lookup.found.values()].filter((principal) => kinds.includes(searchableKind(principal.kind)));
  }
  // Graph's $search syntax: quoted "property:term" clauses; a quote inside the term would end the clause early.
  const term = trimmed.replace(/["\\]/g, " ");
  const client = delegatedGraphClient(caller);
  try {
    const pages = await Promise.all(
      kinds.map(async (kind) => {
        const collection = COLLECTIONS[kind];
        const search = collection.fields.map((field) => `"${field}:${term}"`).join(" OR ");
        const page = DirectoryObjectPage.parse(
          await client
            .api(collection.path)
            .header("ConsistencyLevel", "eventual")
            .search(search)
            .select([...collection.select])
            .top(RESULTS_PER_KIND)
            .get(),
        );
        return page.value.flatMap((item) => {
          const principal = toPrincipal({ ...item, "@odata.type": collection.type });
          return principal ? [principal] : [];
        });
      }),
    );
    return pages.flat();
  } catch (error) {
    throw graphError(error);
  }
}

export type { DirectoryPrincipal, PrincipalKind };
