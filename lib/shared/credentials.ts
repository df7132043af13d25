/**
 * The credentials dashboard's shapes, shared by the server (snapshot, CSV) and the browser (table, chart, drawer).
 * Never a secret value: only key id, display name and dates (not even Graph's
 * `hint`, the secret's first characters).
 */

/** Classification buckets, in order of urgency. `secretless` is the goal state (federated credential or managed identity). */
export const BUCKETS = ["expired", "within1", "within2", "within3", "longLived", "healthy", "secretless"] as const;
export type Bucket = (typeof BUCKETS)[number];

export type Windows = readonly [number, number, number];

export function bucketLabel(bucket: Bucket, windows: Windows): string {
  switch (bucket) {
    case "expired":
      return "Expired";
    case "within1":
      return `Expires within ${windows[0]} days`;
    case "within2":
      return `Expires within ${windows[1]} days`;
    case "within3":
      return `Expires within ${windows[2]} days`;
    case "longLived":
      return "Long-lived (> 2 years)";
    case "healthy":
      return "Healthy";
    case "secretless":
      return "Secretless";
  }
}

/** Where a credential lives. Credentials on the service-principal object are invisible in the App registrations blade. */
export type ObjectType = "application" | "servicePrincipal" | "managedIdentity";
export const OBJECT_TYPE_LABELS: Record<ObjectType, string> = {
  application: "Application",
  servicePrincipal: "Service principal",
  managedIdentity: "Managed identity",
};

/**
 * `samlSigning`: a SAML token-signing certificate on a service principal (its Sign key, with the Verify key and the
 * password that opens the PFX folded in). It signs the tokens Entra sends to the application; nobody signs in with it.
 */
export type CredentialKind = "secret" | "certificate" | "samlSigning" | "federated" | "managedIdentity";
export const CREDENTIAL_KIND_LABELS: Record<CredentialKind, string> = {
  secret: "Client secret",
  certificate: "Certificate",
  samlSigning: "SAML signing certificate",
  federated: "Federated credential",
  managedIdentity: "Managed identity",
};

/**
 * A federated identity credential as the drawer shows it. A flexible one has no subject: it matches a claims
 * expression instead, which Graph v1.0 does not return (absent then).
 */
export interface FederatedCredentialSummary {
  readonly name: string;
  readonly issuer: string;
  readonly subject: string | null;
  readonly claimsMatchingExpression?: string | null;
}

export interface CredentialOwner {
  readonly id: string;
  readonly displayName: string;
  /** Mail or UPN when Graph has one (used for notifications). */
  readonly mail: string | null;
}

export interface WorkspaceRole {
  readonly workspace: string;
  readonly workspaceScope: string;
  readonly roleId: string;
  readonly roleName: string;
  readonly privileged: boolean;
  /** Scope of the assignment (the workspace itself or an ancestor). */
  readonly assignmentScope: string;
  /** The group the role is assigned to, when the identity holds it as a (transitive) member; absent when direct. */
  readonly viaGroup?: string;
}

/** One row of the dashboard: a password or key credential, or a secretless identity. */
export interface CredentialRow {
  /** Stable within a snapshot: `<objectType>:<objectId>:<keyId>` or `<objectType>:<objectId>:secretless`. */
  readonly id: string;
  readonly identityKey: string;
  readonly identityName: string;
  readonly appId: string;
  readonly objectType: ObjectType;
  readonly objectId: string;
  readonly kind: CredentialKind;
  readonly keyId: string | null;
  readonly credentialName: string | null;
  readonly startDateTime: string | null;
  readonly endDateTime: string | null;
  readonly bucket: Bucket;
  /** Higher is worse: `riskRank` in `lib/credentials/classify.ts` computes it. */
  readonly risk: number;
  readonly owners: readonly CredentialOwner[];
  readonly roles: readonly WorkspaceRole[];
}

/** Everything the drawer shows about one identity (application + its service principal, or a managed identity). */
export interface IdentityDetails {
  readonly identityKey: string;
  readonly displayName: string;
  readonly appId: string;
  readonly applicationObjectId: string | null;
  readonly servicePrincipalId: string | null;
  readonly isManagedIdentity: boolean;
  readonly federatedCredentials: readonly FederatedCredentialSummary[];
  /** Federated credentials Graph listed that could not be read (an unexpected shape); absent in older snapshots. */
  readonly unreadableFederatedCredentials?: number;
  /**
   * A user-assigned managed identity whose federated credentials (on its ARM resource) could not be read at all:
   * `forbidden` when the console's identity lacks Reader on it. Absent when they were read.
   */
  readonly federatedCredentialsUnread?: "forbidden" | "failed";
  readonly owners: readonly CredentialOwner[];
  readonly roles: readonly WorkspaceRole[];
  readonly rows: readonly CredentialRow[];
  readonly recommendation: string;
}

export interface SnapshotSummary {
  readonly id: number;
  readonly status: "running" | "complete" | "failed";
  readonly trigger: "manual" | "scheduled";
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** The time credentials were classified against ("as of"). */
  readonly asOf: string;
  readonly windows: Windows;
  readonly counts: Readonly<Record<Bucket, number>>;
  readonly progress: { readonly phase: string; readonly done: number; readonly total: number };
  readonly graphCalls: number;
  readonly armCalls: number;
  readonly warnings: readonly string[];
  readonly errorMessage: string | null;
}
