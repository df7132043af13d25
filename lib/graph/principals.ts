import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import { delegatedGraphClient, graphError } from "./client";
import { DirectoryObjectPage, type DirectoryObjectWire, PRINCIPAL_SELECT } from "./schemas";

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

/** A directory object as Gatehouse shows it; undefined for kinds it does not handle (devices, contacts, …). */
export function toPrincipal(object: DirectoryObjectWire, type = object["@odata.type"]?.replace("#microsoft.graph.", "")): DirectoryPrincipal | undefined {
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
 * any number of principals, where one lookup per principal would take thousands. On any Graph client: the person's
 * (`delegatedGraphClient`) or the console's own (`appGraphClient`). `map` turns Graph's object into what the caller
 * keeps (by default a `DirectoryPrincipal`).
 */
export async function lookupPrincipals<T = DirectoryPrincipal>(
  client: Client,
  ids: Iterable<string>,
  map: (object: DirectoryObjectWire) => (T & { readonly id: string }) | undefined = toPrincipal as (
    object: DirectoryObjectWire,
  ) => (T & { readonly id: string }) | undefined,
): Promise<{ readonly found: ReadonlyMap<string, T>; readonly complete: boolean; readonly failureMessage?: string }> {
  const unique = [...new Set([...ids].map((id) => id.toLowerCase()))];
  if (unique.length === 0) return { found: new Map(), complete: true };
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += GET_BY_IDS_LIMIT) chunks.push(unique.slice(start, start + GET_BY_IDS_LIMIT));
  try {
    const pages = await Promise.all(
      chunks.map(async (chunk) =>
        DirectoryObjectPage.parse(
          await client
            .api("/directoryObjects/getByIds")
            .select(PRINCIPAL_SELECT)
            .post({ ids: chunk, types: ["user", "group", "servicePrincipal"] }),
        ),
      ),
    );
    const found = new Map<string, T>();
    for (const object of pages.flatMap((page) => page.value)) {
      const mapped = map(object);
      if (mapped) found.set(mapped.id.toLowerCase(), mapped);
    }
    return { found, complete: true };
  } catch (error) {
    return { found: new Map(), complete: false, failureMessage: graphError(error).userMessage };
  }
}

/** `lookupPrincipals` as the signed-in person. */
export function resolvePrincipals(caller: DelegatedCaller, ids: Iterable<string>): Promise<PrincipalLookup> {
  return lookupPrincipals(delegatedGraphClient(caller), ids);
}
