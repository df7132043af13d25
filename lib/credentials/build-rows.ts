import "server-only";

import {
  BUCKETS,
  type Bucket,
  type CredentialOwner,
  type CredentialRow,
  type FederatedCredentialSummary,
  type IdentityDetails,
  type Windows,
  type WorkspaceRole,
} from "@/lib/shared/credentials";
import { classifyCredential, recommendation, riskRank } from "./classify";
import type { DirectoryInventory, InventoryCredential } from "./inventory";

export interface BuiltSnapshot {
  readonly rows: CredentialRow[];
  readonly identities: IdentityDetails[];
  readonly counts: Record<Bucket, number>;
}

function mergeOwners(...lists: readonly (readonly CredentialOwner[])[]): CredentialOwner[] {
  const byId = new Map<string, CredentialOwner>();
  for (const owner of lists.flat()) if (!byId.has(owner.id.toLowerCase())) byId.set(owner.id.toLowerCase(), owner);
  return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/**
 * Turns the inventory into dashboard rows: one per password or key credential (on the application or on the service
 * principal), one per secretless identity (federated credentials only, or a managed identity). An application and
 * its service principal form one identity (key `app:<appId>`); its workspace roles are those of the service principal.
 */
export function buildSnapshot(
  directory: DirectoryInventory,
  rolesByPrincipal: ReadonlyMap<string, readonly WorkspaceRole[]>,
  now: Date,
  windows: Windows,
): BuiltSnapshot {
  const rows: CredentialRow[] = [];
  const identities: IdentityDetails[] = [];
  const spByAppId = new Map(directory.servicePrincipals.map((sp) => [sp.appId.toLowerCase(), sp]));
  const appIds = new Set(directory.applications.map((app) => app.appId.toLowerCase()));

  const addIdentity = (input: {
    identityKey: string;
    displayName: string;
    appId: string;
    applicationObjectId: string | null;
    servicePrincipalId: string | null;
    isManagedIdentity: boolean;
    federated: readonly FederatedCredentialSummary[];
    unreadableFederated: number;
    federatedUnread?: "forbidden" | "failed" | null;
    owners: CredentialOwner[];
    appCredentials: readonly InventoryCredential[];
    spCredentials: readonly InventoryCredential[];
  }) => {
    const roles = input.servicePrincipalId ? [...(rolesByPrincipal.get(input.servicePrincipalId.toLowerCase()) ?? [])] : [];
    const identityRows: CredentialRow[] = [];
    const push = (objectType: CredentialRow["objectType"], objectId: string, credential: InventoryCredential) => {
      const saml = credential.kind === "samlSigning";
      const bucket = classifyCredential(credential, now, windows, { longLived: !saml });
      identityRows.push({
        id: `${objectType}:${objectId}:${credential.keyId}`.toLowerCase(),
        identityKey: input.identityKey,
        identityName: input.displayName,
        appId: input.appId,
        objectType,
        objectId,
        kind: credential.kind,
        keyId: credential.keyId,
        credentialName: credential.displayName,
        startDateTime: credential.startDateTime,
        endDateTime: credential.endDateTime,
        bucket,
        // A SAML signing certificate's expiry breaks single sign-on; it unlocks none of the identity's roles.
        risk: riskRank(bucket, saml ? [] : roles),
        owners: input.owners,
        roles,
      });
    };
    if (input.applicationObjectId) for (const credential of input.appCredentials) push("application", input.applicationObjectId, credential);
    if (input.servicePrincipalId) for (const credential of input.spCredentials) push("servicePrincipal", input.servicePrincipalId, credential);
    const hasSecrets = identityRows.some((row) => row.kind !== "samlSigning");
    // Unreadable federated credentials still exist: the identity is listed rather than taken to have none.
    const federatedCount = input.federated.length + input.unreadableFederated;
    if (!hasSecrets && (input.isManagedIdentity || federatedCount > 0)) {
      const objectType = input.isManagedIdentity ? "managedIdentity" : "application";
      const objectId = (input.isManagedIdentity ? input.servicePrincipalId : input.applicationObjectId) ?? input.appId;
      identityRows.push({
        id: `${objectType}:${objectId}:secretless`.toLowerCase(),
        identityKey: input.identityKey,
        identityName: input.displayName,
        appId: input.appId,
        objectType,
        objectId,
        kind: input.isManagedIdentity ? "managedIdentity" : "federated",
        keyId: null,
        credentialName: input.isManagedIdentity
          ? null
          : [
              ...input.federated.map((credential) => credential.name),
              ...(input.unreadableFederated > 0 ? [`${input.unreadableFederated} unreadable`] : []),
            ].join(", "),
        startDateTime: null,
        endDateTime: null,
        bucket: "secretless",
        risk: 0,
        owners: input.owners,
        roles,
      });
    }
    if (identityRows.length === 0) return;
    const worstOf = (rows: readonly CredentialRow[]) => BUCKETS.find((bucket) => rows.some((row) => row.bucket === bucket));
    const samlRows = identityRows.filter((row) => row.kind === "samlSigning");
    rows.push(...identityRows);
    identities.push({
      identityKey: input.identityKey,
      displayName: input.displayName,
      appId: input.appId,
      applicationObjectId: input.applicationObjectId,
      servicePrincipalId: input.servicePrincipalId,
      isManagedIdentity: input.isManagedIdentity,
      federatedCredentials: input.federated,
      ...(input.unreadableFederated > 0 ? { unreadableFederatedCredentials: input.unreadableFederated } : {}),
      ...(input.federatedUnread ? { federatedCredentialsUnread: input.federatedUnread } : {}),
      owners: input.owners,
      roles,
      rows: identityRows,
      recommendation: recommendation({
        worst: worstOf(identityRows.filter((row) => row.kind !== "samlSigning")),
        isManagedIdentity: input.isManagedIdentity,
        hasFederated: input.federated.length > 0,
        hasSecrets,
        samlSigning: samlRows.length > 0 ? worstOf(samlRows) : undefined,
        unreadableFederated: input.unreadableFederated,
      }),
    });
  };

  for (const app of directory.applications) {
    const sp = spByAppId.get(app.appId.toLowerCase());
    addIdentity({
      identityKey: `app:${app.appId.toLowerCase()}`,
      displayName: app.displayName,
      appId: app.appId,
      applicationObjectId: app.id,
      servicePrincipalId: sp?.id ?? null,
      isManagedIdentity: false,
      federated: app.federated,
      unreadableFederated: app.unreadableFederated,
      owners: mergeOwners(app.owners, sp?.owners ?? []),
      appCredentials: app.credentials,
      spCredentials: sp?.credentials ?? [],
    });
  }
  // Service principals without an application in this tenant: managed identities, and multi-tenant or first-party
  // apps that carry credentials of their own on the service principal.
  for (const sp of directory.servicePrincipals) {
    if (appIds.has(sp.appId.toLowerCase())) continue;
    if (!sp.managedIdentity && sp.credentials.length === 0) continue;
    addIdentity({
      identityKey: `${sp.managedIdentity ? "mi" : "sp"}:${sp.id.toLowerCase()}`,
      displayName: sp.displayName,
      appId: sp.appId,
      applicationObjectId: null,
      servicePrincipalId: sp.id,
      isManagedIdentity: sp.managedIdentity,
      // A user-assigned managed identity's federated credentials, read from ARM (empty for the others).
      federated: sp.federated,
      unreadableFederated: sp.unreadableFederated,
      federatedUnread: sp.federatedUnread,
      owners: mergeOwners(sp.owners),
      appCredentials: [],
      spCredentials: sp.credentials,
    });
  }

  const counts = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<Bucket, number>;
  for (const row of rows) counts[row.bucket] += 1;
  rows.sort((a, b) => b.risk - a.risk || (a.endDateTime ?? "9").localeCompare(b.endDateTime ?? "9") || a.identityName.localeCompare(b.identityName));
  return { rows, identities, counts };
}
