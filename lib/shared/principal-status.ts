/**
 * Why a role assignment's principal is or is not in the directory lookup, and so whether Gatehouse may call it
 * orphaned. Only `not_found` is ever offered for "Clean up orphans" or planned as a drift revoke: a partner's group,
 * a principal type Graph cannot look up and an assignment made moments ago are not evidence of a deleted identity.
 */

export type PrincipalStatus =
  /** The directory returned it (a user, group, service principal or managed identity of this tenant). */
  | "resolved"
  /** A Cloud Solution Provider partner's object (`directoryObjectPartnerReference`, ARM `ForeignGroup`): managed by the partner. */
  | "partner"
  /** ARM recorded a type the lookup cannot resolve (`Device`, an unknown type): absent from the answer, not deleted. */
  | "not_resolvable"
  /** Not returned, but assigned within the replication window: the directory may not have replicated it yet. */
  | "recent"
  /** Not returned, a resolvable type, and assigned long enough ago: deleted ("Identity not found"). */
  | "not_found"
  /** The directory could not be asked: nothing is known. */
  | "unknown";

/**
 * ARM principal types the directory lookup resolves. `ForeignGroup` is a partner's group (Graph: a partner
 * reference); `Device` and types ARM may add later are not asked for. Azure's 2022-04-01 swagger lists User, Group,
 * ServicePrincipal, ForeignGroup and Device.
 */
const RESOLVABLE_TYPES = new Set(["user", "group", "serviceprincipal"]);

export interface PrincipalStatusInput {
  /** As the lookup answered: the principal, `null` when it was not returned, `undefined` when Graph was not asked. */
  readonly principal: { readonly kind: string } | null | undefined;
  /** As ARM recorded it on the assignment. */
  readonly principalType: string;
  readonly createdOn: string | null;
}

export function principalStatus(row: PrincipalStatusInput, now: number, replicationWindowMs: number): PrincipalStatus {
  if (row.principal === undefined) return "unknown";
  if (row.principal !== null) return row.principal.kind === "partner" ? "partner" : "resolved";
  const type = row.principalType.toLowerCase();
  if (type === "foreigngroup") return "partner";
  if (!RESOLVABLE_TYPES.has(type)) return "not_resolvable";
  // No creation time is no proof of age: treated as recent, so it is never removed on a guess.
  const created = row.createdOn ? Date.parse(row.createdOn) : Number.NaN;
  if (Number.isNaN(created) || now - created < replicationWindowMs) return "recent";
  return "not_found";
}

/** Why a row is not offered for clean-up, in the page's words; null for rows that are (or need no reason). */
export function notOfferedReason(status: PrincipalStatus, principalType: string): string | null {
  switch (status) {
    case "partner":
      return "Partner organisation's group — managed by the partner";
    case "not_resolvable":
      return `A ${principalType} principal: Microsoft Graph cannot look it up here, so Gatehouse cannot tell whether it still exists`;
    case "recent":
      return "Created moments ago; Entra may not have replicated it yet";
    default:
      return null;
  }
}
