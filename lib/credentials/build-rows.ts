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
import type { DirectoryInventory, InventoryApplication, InventoryCredential, InventoryServicePrincipal } from "./inventory";

export interface BuiltSnapshot {
  readonly rows: CredentialRow[];
  readonly identities: IdentityDetails[];
  readonly counts: Record<Bucket, number>;
}

/** Rows and identities of a snapshot, stored together (all of them, or a part while a refresh goes on). */
export type SnapshotPart = Pick<BuiltSnapshot, "rows" | "identities">;

function mergeOwners(...lists: readonly (readonly CredentialOwner[])[]): CredentialOwner[] {
  const byId = new Map<string, CredentialOwner>();
  for (const owner of lists.flat()) if (!byId.has(owner.id.toLowerCase())) byId.set(owner.id.toLowerCase(), owner);
  return [...byId.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/** What one identity is built from: its names and ids as the drawer shows them, and what Graph and ARM said of it. */
interface IdentityInput extends Pick<
  IdentityDetails,
  "identityKey" | "displayName" | "appId" | "applicationObjectId" | "servicePrincipalId" | "isManagedIdentity"
> {
  readonly federated: readonly FederatedCredentialSummary[];
  readonly unreadableFederated: number;
  readonly federatedUnread?: "forbidden" | "failed" | null;
  readonly owners: CredentialOwner[];
  readonly appCredentials: readonly InventoryCredential[];
  readonly spCredentials: readonly InventoryCredential[];
}

/**
 * Turns the inventory into dashboard rows, one identity at a time: one row per password or key credential (on the
 * application or on the service principal), one per secretless identity (federated credentials only, or a managed
 * identity). An application and its service principal form one identity (key `app:<appId>`); its workspace roles are
 * those of the service principal. A refresh adds each identity as soon as Graph has answered for it, so most rows are
 * stored while the last calls are still on their way; `take` hands over what was added since it was last called.
 */
export class SnapshotBuilder {
  private readonly rows: CredentialRow[] = [];
  private readonly identities: IdentityDetails[] = [];
  private taken = { rows: 0, identities: 0 };
  private readonly counts = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<Bucket, number>;

  constructor(
    private readonly rolesByPrincipal: ReadonlyMap<string, readonly WorkspaceRole[]>,
    private readonly now: Date,
    private readonly windows: Windows,
  ) {}

  /** An application with its service principal in this tenant, if it has one. */
  addApplication(app: InventoryApplication, sp: InventoryServicePrincipal | undefined): void {
    this.addIdentity({
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

  /**
   * A service principal without an application in this tenant: a managed identity, or a multi-tenant or first-party
   * app's that carries credentials of its own. Others have nothing to show and are skipped.
   */
  addServicePrincipal(sp: InventoryServicePrincipal): void {
    if (!sp.managedIdentity && sp.credentials.length === 0) return;
    this.addIdentity({
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

  /** Rows not yet taken. */
  get pendingRows(): number {
    return this.rows.length - this.taken.rows;
  }

  /** The rows and identities added since the last call (in the order they were added). */
  take(): SnapshotPart {
    const part = { rows: this.rows.slice(this.taken.rows), identities: this.identities.slice(this.taken.identities) };
    this.taken = { rows: this.rows.length, identities: this.identities.length };
    return part;
  }

  /** Everything added, rows by risk (then expiry, then name). */
  result(): BuiltSnapshot {
    const rows = [...this.rows].sort(
      (a, b) => b.risk - a.risk || (a.endDateTime ?? "9").localeCompare(b.endDateTime ?? "9") || a.identityName.localeCompare(b.identityName),
    );
    return { rows, identities: [...this.identities], counts: { ...this.counts } };
  }

  private addIdentity(input: IdentityInput): void {
    const { now, windows } = this;
    const roles = input.servicePrincipalId ? [...(this.rolesByPrincipal.get(input.servicePrincipalId.toLowerCase()) ?? [])] : [];
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
    this.rows.push(...identityRows);
    for (const row of identityRows) this.counts[row.bucket] += 1;
    this.identities.push({
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
  }
}

/** The whole inventory at once (see `SnapshotBuilder`). */
export function buildSnapshot(
  directory: Pick<DirectoryInventory, "applications" | "servicePrincipals">,
  rolesByPrincipal: ReadonlyMap<string, readonly WorkspaceRole[]>,
  now: Date,
  windows: Windows,
): BuiltSnapshot {
  const builder = new SnapshotBuilder(rolesByPrincipal, now, windows);
  const pairing = new ApplicationPairing(directory.applications, directory.servicePrincipals);
  for (const app of directory.applications) builder.addApplication(app, pairing.servicePrincipalOf(app));
  for (const sp of directory.servicePrincipals) if (!pairing.hasApplication(sp)) builder.addServicePrincipal(sp);
  return builder.result();
}

/**
 * Which service principal belongs to which application of this tenant (by appId), by their indexes in the directory's
 * lists. Two service principals with one appId do not occur in a tenant; were they listed, the last would win.
 */
export class ApplicationPairing {
  private readonly servicePrincipalIndex: Map<string, number>;
  private readonly applicationIndex: Map<string, number>;

  constructor(
    readonly applications: readonly InventoryApplication[],
    readonly servicePrincipals: readonly InventoryServicePrincipal[],
  ) {
    this.servicePrincipalIndex = new Map(servicePrincipals.map((sp, index) => [sp.appId.toLowerCase(), index]));
    this.applicationIndex = new Map(applications.map((app, index) => [app.appId.toLowerCase(), index]));
  }

  /** The index of the application's service principal, when it has one in this tenant. */
  servicePrincipalIndexOf(app: InventoryApplication): number | undefined {
    return this.servicePrincipalIndex.get(app.appId.toLowerCase());
  }

  servicePrincipalOf(app: InventoryApplication): InventoryServicePrincipal | undefined {
    const index = this.servicePrincipalIndexOf(app);
    return index === undefined ? undefined : this.servicePrincipals[index];
  }

  /** The index of the application the service principal belongs to, when it is one of this tenant's. */
  applicationIndexOf(sp: InventoryServicePrincipal): number | undefined {
    return this.applicationIndex.get(sp.appId.toLowerCase());
  }

  hasApplication(sp: InventoryServicePrincipal): boolean {
    return this.applicationIndexOf(sp) !== undefined;
  }
}
