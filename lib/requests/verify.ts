import "server-only";

import { armGet } from "@/lib/arm/client";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { appGraphClient } from "@/lib/graph/client";
import { lookupPrincipals } from "@/lib/graph/principals";
import type { DirectoryObjectWire } from "@/lib/graph/schemas";
import { parseScope } from "@/lib/shared/arm-scope";
import { WORKSPACES_API_VERSION, WorkspaceWire } from "@/lib/workspaces/list-workspaces";

/**
 * Facts about a request's principal and workspace, resolved by the server from Microsoft Graph and ARM as the console's
 * own identity (the person asking often has no Azure rights). Nothing the browser sent about them is shown to an
 * approver: only what these functions found.
 */

export type VerifiedKind = "user" | "group" | "servicePrincipal" | "managedIdentity";

/** What an approver should notice about a principal. */
export type PrincipalFlag = "guest" | "external" | "other_tenant_app";

export interface VerifiedPrincipal {
  readonly id: string;
  readonly kind: VerifiedKind;
  readonly displayName: string;
  /** UPN for users, app id for service principals and managed identities, mail for groups. */
  readonly secondaryId: string | null;
  readonly flags: readonly PrincipalFlag[];
  /**
   * The directory says the account is disabled (`accountEnabled: false`: it cannot sign in or get tokens) but not
   * deleted. Users and service principals only; absent when Graph did not say.
   */
  readonly disabled?: boolean;
}

export const FLAG_LABELS: Record<PrincipalFlag, string> = {
  guest: "Guest user",
  external: "External account",
  other_tenant_app: "App from another organisation",
};

function toVerified(object: DirectoryObjectWire, tenantId: string): VerifiedPrincipal | undefined {
  const type = object["@odata.type"]?.replace("#microsoft.graph.", "");
  const displayName = object.displayName ?? object.id;
  const id = object.id.toLowerCase();
  if (type === "user") {
    const flags: PrincipalFlag[] = [];
    if (object.userType === "Guest") flags.push("guest");
    // B2B accounts carry #EXT# in their UPN whether or not they are typed Guest.
    if ((object.userPrincipalName ?? "").includes("#EXT#")) flags.push("external");
    return {
      id,
      kind: "user",
      displayName,
      secondaryId: object.userPrincipalName ?? null,
      flags,
      ...(object.accountEnabled === false ? { disabled: true } : {}),
    };
  }
  if (type === "group") return { id, kind: "group", displayName, secondaryId: object.mail ?? null, flags: [] };
  if (type === "servicePrincipal") {
    const owner = object.appOwnerOrganizationId?.toLowerCase();
    const flags: PrincipalFlag[] = owner && owner !== tenantId.toLowerCase() ? ["other_tenant_app"] : [];
    return {
      id,
      kind: object.servicePrincipalType === "ManagedIdentity" ? "managedIdentity" : "servicePrincipal",
      displayName,
      secondaryId: object.appId ?? null,
      flags,
      ...(object.accountEnabled === false ? { disabled: true } : {}),
    };
  }
  return undefined;
}

/** Resolves principals by object id (getByIds, as the console). Missing ids are absent from the map. */
export async function verifyPrincipals(ids: readonly string[]): Promise<ReadonlyMap<string, VerifiedPrincipal>> {
  const tenantId = getConfig().identity.tenantId;
  const lookup = await lookupPrincipals(appGraphClient(), ids, (object) => toVerified(object, tenantId));
  if (!lookup.complete) {
    throw new AppError({ code: "upstream_unavailable", message: "getByIds failed", userMessage: lookup.failureMessage ?? "Microsoft Graph is unavailable." });
  }
  return lookup.found;
}

export async function verifyPrincipal(id: string): Promise<VerifiedPrincipal | undefined> {
  return (await verifyPrincipals([id])).get(id.toLowerCase());
}

/** The kinds a person picks and the kinds Graph reports mean the same thing (a managed identity is a service principal). */
export function sameKind(claimed: string, actual: VerifiedKind): boolean {
  const family = (kind: string) => (kind === "managedIdentity" ? "servicePrincipal" : kind);
  return family(claimed) === family(actual);
}

export interface VerifiedWorkspace {
  readonly id: string;
  readonly name: string;
  readonly friendlyName: string | null;
  /** The workspace's ARM tags (what approver routes may match on). */
  readonly tags: Readonly<Record<string, string>>;
}

/** Reads the workspace from ARM as the console; `undefined` when ARM says it does not exist. */
export async function verifyWorkspace(workspaceId: string): Promise<VerifiedWorkspace | undefined> {
  const scope = parseScope(workspaceId);
  if (scope?.level !== "workspace") return undefined;
  try {
    const workspace = WorkspaceWire.parse(await armGet({ kind: "app" }, scope.scope, WORKSPACES_API_VERSION));
    return { id: scope.scope, name: workspace.name, friendlyName: workspace.properties?.friendlyName ?? null, tags: workspace.tags ?? {} };
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return undefined;
    throw error;
  }
}
