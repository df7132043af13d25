import "server-only";

import { type Client, GraphError } from "@microsoft/microsoft-graph-client";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import { delegatedGraphClient, graphError } from "./client";
import { DirectoryObjectPage, type DirectoryObjectWire, PRINCIPAL_SELECT } from "./schemas";

/** What Gatehouse shows about a user, group, service principal or managed identity: the kinds it can grant roles to. */
export type PrincipalKind = "user" | "group" | "servicePrincipal" | "managedIdentity";

export interface DirectoryPrincipal {
  readonly id: string;
  readonly kind: PrincipalKind;
  readonly displayName: string;
  /** UPN for users, app id for service principals and managed identities, mail for groups when set. */
  readonly secondaryId: string | null;
}

/**
 * An object in a Cloud Solution Provider partner's tenant that holds roles here (a GDAP/AOBO group, ARM principal
 * type `ForeignGroup`): Graph knows it only as a `directoryObjectPartnerReference`. It is managed by the partner,
 * never deleted from this directory, and never a grant target.
 */
export interface PartnerPrincipal {
  readonly id: string;
  readonly kind: "partner";
  readonly displayName: string;
  /** The partner's tenant id. */
  readonly secondaryId: string | null;
}

/** A principal as the directory lookup resolved it: one of this tenant's, or a partner's reference. */
export type ResolvedPrincipal = DirectoryPrincipal | PartnerPrincipal;

/**
 * What `getByIds` is asked for. Without `directoryObjectPartnerReference` Graph leaves CSP partner references out
 * ("If not specified, the default is directoryObject, which contains all of the resource types defined in the
 * directory, except for references to a Cloud Solution Provider partner organization", directoryobject-getbyids),
 * and a partner's group would look deleted.
 */
export const GET_BY_IDS_TYPES = ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"] as const;

/** getByIds accepts at most 1,000 ids per call (Graph's documented limit). */
export const GET_BY_IDS_LIMIT = 1000;

/**
 * A directory object as Gatehouse shows it and grants to; undefined for kinds it does not handle (devices, contacts,
 * partner references: see `toResolvedPrincipal`).
 */
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

/** `toPrincipal`, and a CSP partner reference as a `PartnerPrincipal`: what lists of role assignments show. */
export function toResolvedPrincipal(object: DirectoryObjectWire): ResolvedPrincipal | undefined {
  const type = object["@odata.type"]?.replace("#microsoft.graph.", "");
  if (type === "directoryObjectPartnerReference") {
    return { id: object.id, kind: "partner", displayName: object.displayName ?? object.id, secondaryId: object.externalPartnerTenantId ?? null };
  }
  return toPrincipal(object, type);
}

export interface PrincipalLookup<T = DirectoryPrincipal> {
  /**
   * Every id the directory returned (with `assignedPrincipalResolver`, partner references too). An id missing here is
   * deleted or not replicated yet: a list of role assignments calls it "Identity not found" only once the assignment
   * is older than the replication window.
   */
  readonly found: ReadonlyMap<string, T>;
  /** False when Graph could not be asked: missing ids are then unknown, not deleted. */
  readonly complete: boolean;
  readonly failureMessage?: string;
}

/** What a lookup keeps of a directory object (by default a `DirectoryPrincipal`); undefined leaves it out. */
export type PrincipalMapper<T> = (object: DirectoryObjectWire) => (T & { readonly id: string }) | undefined;

/**
 * Resolves object ids with `directoryObjects/getByIds`, 1,000 per call, all calls in parallel: one round trip for
 * any number of principals, where one lookup per principal would take thousands. On any Graph client: the person's
 * (`delegatedGraphClient`) or the console's own (`appGraphClient`). `map` turns Graph's object into what the caller
 * keeps (by default a `DirectoryPrincipal`).
 */
export async function lookupPrincipals<T = DirectoryPrincipal>(
  client: Client,
  ids: Iterable<string>,
  map: PrincipalMapper<T> = toPrincipal as PrincipalMapper<T>,
): Promise<PrincipalLookup<T>> {
  const unique = [...new Set([...ids].map((id) => id.toLowerCase()))];
  if (unique.length === 0) return { found: new Map(), complete: true };
  const chunks: string[][] = [];
  for (let start = 0; start < unique.length; start += GET_BY_IDS_LIMIT) chunks.push(unique.slice(start, start + GET_BY_IDS_LIMIT));
  try {
    const pages = await Promise.all(
      chunks.map(async (chunk) =>
        DirectoryObjectPage.parse(await client.api("/directoryObjects/getByIds").select(PRINCIPAL_SELECT).post({ ids: chunk, types: GET_BY_IDS_TYPES })),
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

/** `lookupPrincipals` as the signed-in person: principals Gatehouse can grant to. */
export function resolvePrincipals(caller: DelegatedCaller, ids: Iterable<string>): Promise<PrincipalLookup> {
  return lookupPrincipals(delegatedGraphClient(caller), ids);
}

/** Principals looked up as their ids arrive: `add` starts a lookup of the ids not asked for yet, `settled` waits for all. */
export interface PrincipalResolver<T> {
  add(ids: Iterable<string>): void;
  /** One lookup of every id added: incomplete (with the first failure's message) when any of its calls failed. */
  settled(): Promise<PrincipalLookup<T>>;
}

/**
 * `lookupPrincipals` in steps, for a list read page by page: each page's principals are looked up while the next page
 * is read, so only the last page's new principals wait for Graph after the list ends. Each id is asked for once;
 * the calls are at most one per step plus one per 1,000 ids.
 */
export function principalResolver<T>(client: Client, map: PrincipalMapper<T>): PrincipalResolver<T> {
  const asked = new Set<string>();
  const lookups: Promise<PrincipalLookup<T>>[] = [];
  return {
    add(ids) {
      const fresh: string[] = [];
      for (const id of ids) {
        const key = id.toLowerCase();
        if (asked.has(key)) continue;
        asked.add(key);
        fresh.push(key);
      }
      if (fresh.length > 0) lookups.push(lookupPrincipals(client, fresh, map));
    },
    async settled() {
      const results = await Promise.all(lookups);
      if (results.length === 1) return results[0]!;
      const found = new Map<string, T>();
      for (const result of results) for (const [id, principal] of result.found) found.set(id, principal);
      const failure = results.find((result) => !result.complete);
      return failure ? { found, complete: false, failureMessage: failure.failureMessage } : { found, complete: true };
    },
  };
}

/** `principalResolver` as the signed-in person, for lists of role assignments: partner references included. */
export function assignedPrincipalResolver(caller: DelegatedCaller): PrincipalResolver<ResolvedPrincipal> {
  return principalResolver<ResolvedPrincipal>(delegatedGraphClient(caller), toResolvedPrincipal);
}

/** What a read of one object by id says now: still deleted, there after all, or unknown (Graph failed). */
export type DirectoryRecheck = "deleted" | "exists" | "unknown";

const RECHECK_CONCURRENCY = 8;

/**
 * Reads each id on its own (`GET /directoryObjects/{id}`) before anything is removed as orphaned: `getByIds` is one
 * eventually consistent read of many objects, and a principal it left out (a replica behind, a partner reference
 * it was not asked for) may be there when read by id. Only a 404 counts as deleted; any other failure is unknown.
 */
export async function recheckDeleted(client: Client, ids: Iterable<string>): Promise<ReadonlyMap<string, DirectoryRecheck>> {
  const queue = [...new Set([...ids].map((id) => id.toLowerCase()))];
  const results = new Map<string, DirectoryRecheck>();
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await client
          .api(`/directoryObjects/${encodeURIComponent(id)}`)
          .select(["id"])
          .get();
        results.set(id, "exists");
      } catch (error) {
        results.set(id, error instanceof GraphError && error.statusCode === 404 ? "deleted" : "unknown");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RECHECK_CONCURRENCY, queue.length) }, worker));
  return results;
}
