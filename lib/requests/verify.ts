import "server-only";

import { z } from "zod";

import { armGet } from "@/lib/arm/client";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { appGraphClient, graphError } from "@/lib/graph/client";
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
}

export const FLAG_LABELS: Record<PrincipalFlag, string> = {
  guest: "Guest user",
  external: "External account",
  other_tenant_app: "App from another organisation",
};

const DirectoryObject = z.object({
  "@odata.type": z.string(),
  id: z.string(),
  displayName: z.string().nullable().optional(),
  userPrincipalName: z.string().nullable().optional(),
  userType: z.string().nullable().optional(),
  mail: z.string().nullable().optional(),
  appId: z.string().nullable().optional(),
  servicePrincipalType: z.string().nullable().optional(),
  appOwnerOrganizationId: z.string().nullable().optional(),
});

function toVerified(object: z.infer<typeof DirectoryObject>, tenantId: string): VerifiedPrincipal | undefined {
  const type = object["@odata.type"].replace("#microsoft.graph.", "");
  const displayName = object.displayName ?? object.id;
  const id = object.id.toLowerCase();
  if (type === "user") {
    const flags: PrincipalFlag[] = [];
    if (object.userType === "Guest") flags.push("guest");
    // B2B accounts carry #EXT# in their UPN whether or not they are typed Guest.
    if ((object.userPrincipalName ?? "").includes("#EXT#")) flags.push("external");
    return { id, kind: "user", displayName, secondaryId: object.userPrincipalName ?? null, flags };
  }
  if (type === "group") return { id, kind: "group", displayName, secondaryId: object.mail ?? null, flags: [] };
  if (type === "servicePrincipal") {
    const owner = object.appOwnerOrganizationId?.toLowerCase();
    const flags: PrincipalFlag[] = owner && owner !== tenantId.toLowerCase() ? ["other_tenant_app"] : [];
    return { id, kind: object.servicePrincipalType === "ManagedIdentity" ? "managedIdentity" : "servicePrincipal", displayName, secondaryId: object.appId ?? null, flags };
  }
  return undefined;
}

/** Resolves principals by object id (getByIds, as the console). Missing ids are absent from the map. */
export async function verifyPrincipals(ids: readonly string[]): Promise<Map<string, VerifiedPrincipal>> {
  const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
  const found = new Map<string, VerifiedPrincipal>();
  if (unique.length === 0) return found;
  let page: unknown;
  try {
    page = await appGraphClient()
      .api("/directoryObjects/getByIds")
      .select(["id", "displayName", "userPrincipalName", "userType", "mail", "appId", "servicePrincipalType", "appOwnerOrganizationId"])
      .post({ ids: unique, types: ["user", "group", "servicePrincipal"] });
  } catch (error) {
    throw graphError(error);
  }
  const tenantId = getConfig().identity.tenantId;
  for (const object of z.object({ value: z.array(DirectoryObject) }).parse(page).value) {
    const principal = toVerified(object, tenantId);
    if (principal) found.set(principal.id, principal);
  }
  return found;
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
}

/** Reads the workspace from ARM as the console; `undefined` when ARM says it does not exist. */
export async function verifyWorkspace(workspaceId: string): Promise<VerifiedWorkspace | undefined> {
  const scope = parseScope(workspaceId);
  if (scope?.level !== "workspace") return undefined;
  try {
    const workspace = WorkspaceWire.parse(await armGet({ kind: "app" }, scope.scope, WORKSPACES_API_VERSION));
    return { id: scope.scope, name: workspace.name, friendlyName: workspace.properties?.friendlyName ?? null };
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return undefined;
    throw error;
  }
}
