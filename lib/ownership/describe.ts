import "server-only";

import { inArray } from "drizzle-orm";

import type { AuditActor } from "@/lib/audit";
import type { Database, DatabaseTransaction } from "@/lib/db";
import { bundleGrants } from "@/lib/bundles/schema";
import { groupMappings } from "@/lib/mappings/schema";
import { accessRequests } from "@/lib/requests/schema";
import type { AssignmentFate, Holder } from "./holders";
import type { HolderKind } from "./schema";

/** A holder as an admin reads it (serialisable: it reaches the browser). */
export interface HolderView {
  readonly id: number;
  readonly kind: HolderKind;
  /** "Direct grant by admin@…", "Mapping: DS - Fraud", "Request 1a2b3c4d for Jo Bloggs, until 12 Dec 2026 17:00 UTC". */
  readonly label: string;
  /** Where to see it: the request's or mappings page, when there is one. */
  readonly href: string | null;
  readonly expiresAt: string | null;
  /** The assignment existed before this holder arrived. */
  readonly preExisting: boolean;
}

function who(actor: AuditActor): string {
  if (actor.kind === "user") return actor.userPrincipalName || actor.displayName;
  if (actor.kind === "system") return "Gatehouse";
  return "an unknown admin (recorded before holders were kept)";
}

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

export function formatUtc(date: Date): string {
  return `${dateTime.format(date)} UTC`;
}

/** Words for holders, with the names of their mappings and requests read from the database in two queries. */
export async function describeHolders(db: Database | DatabaseTransaction, holders: readonly Holder[]): Promise<HolderView[]> {
  const mappingIds = holders.flatMap((holder) => (holder.mappingId ? [holder.mappingId] : []));
  const requestIds = holders.flatMap((holder) => (holder.requestId ? [holder.requestId] : []));
  const bundleIds = holders.flatMap((holder) => (holder.bundleGrantId ? [holder.bundleGrantId] : []));
  const [mappings, requests, bundles] = await Promise.all([
    mappingIds.length
      ? db
          .select({ id: groupMappings.id, group: groupMappings.groupDisplayName, scope: groupMappings.scope })
          .from(groupMappings)
          .where(inArray(groupMappings.id, mappingIds))
      : [],
    requestIds.length
      ? db
          .select({ id: accessRequests.id, principal: accessRequests.principalDisplayName, status: accessRequests.status })
          .from(accessRequests)
          .where(inArray(accessRequests.id, requestIds))
      : [],
    bundleIds.length
      ? db
          .select({ id: bundleGrants.id, name: bundleGrants.bundleName, principal: bundleGrants.principalDisplayName, requestId: bundleGrants.requestId })
          .from(bundleGrants)
          .where(inArray(bundleGrants.id, bundleIds))
      : [],
  ]);
  const bundleById = new Map(bundles.map((bundle) => [bundle.id, bundle]));
  const mappingById = new Map(mappings.map((mapping) => [mapping.id, mapping]));
  const requestById = new Map(requests.map((request) => [request.id, request]));
  return holders.map((holder) => {
    const expiresAt = holder.expiresAt ? holder.expiresAt.toISOString() : null;
    const base = { id: holder.id, kind: holder.kind, expiresAt, preExisting: holder.preExisting };
    switch (holder.kind) {
      case "direct":
        return { ...base, label: `Direct grant by ${who(holder.grantedBy)}`, href: null };
      case "mapping": {
        const mapping = holder.mappingId ? mappingById.get(holder.mappingId) : undefined;
        return {
          ...base,
          label: mapping ? `Mapping of group ${mapping.group}` : "A group mapping that no longer exists",
          href: mapping ? `/mappings?workspace=${encodeURIComponent(mapping.scope)}` : null,
        };
      }
      case "request": {
        const request = holder.requestId ? requestById.get(holder.requestId) : undefined;
        const until = holder.expiresAt ? `, until ${formatUtc(holder.expiresAt)}` : ", permanently";
        return {
          ...base,
          label: `Request ${holder.requestId?.slice(0, 8) ?? "?"}${request ? ` for ${request.principal}` : ""}${until}`,
          href: holder.requestId ? `/requests/${holder.requestId}` : null,
        };
      }
      case "bundle": {
        const bundle = holder.bundleGrantId ? bundleById.get(holder.bundleGrantId) : undefined;
        const until = holder.expiresAt ? `, until ${formatUtc(holder.expiresAt)}` : "";
        return {
          ...base,
          label: bundle
            ? `Bundle "${bundle.name}" for ${bundle.principal}${bundle.requestId ? ` (request ${bundle.requestId.slice(0, 8)})` : ` granted by ${who(holder.grantedBy)}`}${until}`
            : "An access bundle",
          href: bundle?.requestId ? `/requests/${bundle.requestId}` : null,
        };
      }
    }
  });
}

/** Why an assignment stays after a holder left, in one sentence ("still held by …"). */
export function keptBecause(fate: AssignmentFate, remaining: readonly HolderView[]): string {
  switch (fate) {
    case "kept_other_holders":
      return `The assignment stays: it is still held by ${remaining.map((holder) => holder.label.charAt(0).toLowerCase() + holder.label.slice(1)).join("; ")}.`;
    case "kept_not_created_by_gatehouse":
      return "The assignment stays: it existed before Gatehouse granted this access, and Gatehouse never removes access it did not create.";
    case "kept_by_admin":
      return "The assignment stays, as the admin chose; it is now held as a direct grant.";
    case "already_removed":
      return "The assignment was already gone from Azure.";
    case "removed":
      return "The assignment was removed.";
  }
}
