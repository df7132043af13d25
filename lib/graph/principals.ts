import "server-only";

import { z } from "zod";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import { delegatedGraphClient, graphError } from "./client";

/** What Gatehouse shows about a user, group, service principal or managed identity. */
export type PrincipalKind = "user" | "group" | "servicePrincipal" | "managedIdentity";

export interface DirectoryPrincipal {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly displayName: string;
  /** UPN for users, app id for service principals and managed identities, mail for groups when set. */
  readonly secondaryId: string | null;
}

/** getByIds accepts at most 1,000 ids per call (Graph's documented limit). */
export const GET_BY_IDS_LIMIT = 1000;

const DirectoryObject = z.object({
  "@odata.type": z.string(),
  id: z.string(),
  displayName: z.string().nullable().optional(),
  userPrincipalName: z.string().nullable().optional(),
  appId: z.string().nullable().optional(),
  servicePrincipalType: z.string().nullable().optional(),
  mail: z.string().nullable().optional(),
});
const GetByIdsResponse = z.object({ value: z.array(DirectoryObject) });

export function toPrincipal(object: z.infer<typeof DirectoryObject>): DirectoryPrincipal | undefined {
  const type = object["@odata.type"].replace("#microsoft.graph.", "");
  const displayName = object.displayName ?? object.id;
  if (type === "user") return { id: object.id, kind: "user", displayName, secondaryId: object.userPrincipalName ?? null };
  if (type === "group") return { id: object.id, kind: "group", displayName, secondaryId: object.mail ?? null };
  if (type === "servicePrincipal") {
    const kind = object.servicePrincipalType === "ManagedIdentity" ? "managedIdentity" : "servicePrincipal";
    return { id: object.id, kind, displayName, secondaryId: object.appId ?? null };
  }
  return undefined;
}

export interface PrincipalLookup {
  /** Every id that exists in the directory. An id missing here was deleted ("Identity not found"). */
  readonly found: ReadonlyMap<string, DirectoryPrincipal>;
  /** False when Graph could not be asked: missing ids are then unknown, not deleted. */
  readonly complete: boolean;
  readonly failureMessage?: string;
}

/**
 * Resolves object ids with `directoryObjects/getByIds`, 1,000 per call, all calls in parallel: one round trip for
 * any number of principals, where one lookup per principal would take thousands.
 */
export async function resolvePrincipals(caller: DelegatedCaller, ids: Iterable<string>): Promise<PrincipalLookup> {
  const unique = [...new Set([...ids].map((id) => id.toLowerCase()))];
  if (unique.length === 0) return { found: new Map(), complete: true };
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += GET_BY_IDS_LIMIT) chunks.push(unique.slice(start, start + GET_BY_IDS_LIMIT));
  const client = delegatedGraphClient(caller);
  try {
    const pages = await Promise.all(
      chunks.map(async (chunk) =>
        GetByIdsResponse.parse(
          await client
            .api("/directoryObjects/getByIds")
            .select(["id", "displayName", "userPrincipalName", "appId", "servicePrincipalType", "mail"])
            .post({ ids: chunk, types: ["user", "group", "servicePrincipal"] }),
        ),
      ),
    );
    const found = new Map<string, DirectoryPrincipal>();
    for (const object of pages.flatMap((page) => page.value)) {
      const principal = toPrincipal(object);
      if (principal) found.set(principal.id.toLowerCase(), principal);
    }
    return { found, complete: true };
  } catch (error) {
    return { found: new Map(), complete: false, failureMessage: graphError(error).userMessage };
  }
}
