/**
 * The tenant's records. They are plain JSON-serialisable objects so a snapshot is just the records.
 * Graph and ARM handlers render them into each API's wire shape; nothing here is wire-shaped on purpose.
 */

export const TENANT_DOMAIN = "contosoml.onmicrosoft.com";
/** Microsoft's own tenant: owner organisation of first-party service principals (Graph, ARM). */
export const MICROSOFT_SERVICES_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

export interface UserRecord {
  readonly kind: "user";
  readonly id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  jobTitle: string | null;
  department: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  preferredLanguage: string | null;
  accountEnabled: boolean;
  userType: "Member" | "Guest";
  createdDateTime: string;
  /** Sandbox only: the sign-in password. Never rendered by Graph. */
  password: string;
}

export interface GroupRecord {
  readonly kind: "group";
  readonly id: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  mail: string | null;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  isAssignableToRole: boolean | null;
  visibility: string | null;
  createdDateTime: string;
  /** Direct members: users, groups and service principals, by object id. */
  memberIds: string[];
  ownerIds: string[];
}

export interface PasswordCredentialRecord {
  readonly keyId: string;
  displayName: string | null;
  /** First three characters of the secret, as Graph shows. */
  hint: string;
  /** Sandbox only: the secret, so seeded apps can authenticate. Graph renders `secretText: null`. */
  secretText: string;
  startDateTime: string;
  endDateTime: string;
  /**
   * Set on the password twin of a SAML token-signing certificate only: `addTokenSigningCertificate` gives the
   * password, the Sign key and the Verify key the same value (the certificate's thumbprint).
   */
  customKeyIdentifier?: string;
}

export interface KeyCredentialRecord {
  readonly keyId: string;
  displayName: string | null;
  type: "AsymmetricX509Cert" | "Symmetric" | "X509CertAndPassword";
  usage: "Verify" | "Sign";
  startDateTime: string;
  endDateTime: string;
  /** The SHA-1 thumbprint in upper-case hex, as Graph shows for uploaded certificates. */
  customKeyIdentifier: string;
  /** base64url SHA-1 / SHA-256 thumbprints, as in a client assertion's `x5t` / `x5t#S256`. */
  thumbprintSha1: string;
  thumbprintSha256: string;
  /** Present only for certificates whose key pair exists (registered by the launcher); seeded ones have none. */
  publicKeyPem: string | null;
}

export interface FederatedIdentityCredentialRecord {
  readonly id: string;
  name: string;
  issuer: string;
  /** Null on a flexible credential, which matches `claimsMatchingExpression` instead (the two are mutually exclusive). */
  subject: string | null;
  description: string | null;
  audiences: string[];
  /** A flexible credential's expression (beta `federatedIdentityExpression`); absent or null on an ordinary one. */
  claimsMatchingExpression?: { value: string; languageVersion: number } | null;
}

export interface AppRoleRecord {
  readonly id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: ("User" | "Application")[];
  isEnabled: boolean;
  origin: "Application" | "ServicePrincipal";
}

export interface PermissionScopeRecord {
  readonly id: string;
  value: string;
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName: string | null;
  userConsentDescription: string | null;
  type: "User" | "Admin";
  isEnabled: boolean;
}

export interface RequiredResourceAccessRecord {
  resourceAppId: string;
  resourceAccess: { id: string; type: "Scope" | "Role" }[];
}

export interface ApplicationRecord {
  readonly kind: "application";
  readonly id: string;
  readonly appId: string;
  displayName: string;
  description: string | null;
  notes: string | null;
  createdDateTime: string;
  signInAudience: string;
  publisherDomain: string;
  identifierUris: string[];
  spaRedirectUris: string[];
  webRedirectUris: string[];
  publicClientRedirectUris: string[];
  tags: string[];
  appRoles: AppRoleRecord[];
  oauth2PermissionScopes: PermissionScopeRecord[];
  requiredResourceAccess: RequiredResourceAccessRecord[];
  passwordCredentials: PasswordCredentialRecord[];
  keyCredentials: KeyCredentialRecord[];
  federatedIdentityCredentials: FederatedIdentityCredentialRecord[];
  ownerIds: string[];
  /** `api.requestedAccessTokenVersion`; absent on seeded apps (rendered as 2), null on new ones until set. */
  requestedAccessTokenVersion?: 1 | 2 | null;
  /** `api.preAuthorizedApplications`: clients that need no consent for these scope ids. Absent = none. */
  preAuthorizedApplications?: PreAuthorizedApplicationRecord[];
}

/**
 * An app registration as `POST /applications` creates one: single-tenant in this directory, nothing configured, no
 * credentials and no owners. `fields` names it and sets whatever else the caller configures.
 */
export function newApplication(
  fields: Pick<ApplicationRecord, "id" | "appId" | "displayName" | "createdDateTime"> & Partial<Omit<ApplicationRecord, "kind">>,
): ApplicationRecord {
  return {
    kind: "application",
    description: null,
    notes: null,
    signInAudience: "AzureADMyOrg",
    publisherDomain: TENANT_DOMAIN,
    identifierUris: [],
    spaRedirectUris: [],
    webRedirectUris: [],
    publicClientRedirectUris: [],
    tags: [],
    appRoles: [],
    oauth2PermissionScopes: [],
    requiredResourceAccess: [],
    passwordCredentials: [],
    keyCredentials: [],
    federatedIdentityCredentials: [],
    ownerIds: [],
    ...fields,
  };
}

export interface PreAuthorizedApplicationRecord {
  appId: string;
  delegatedPermissionIds: string[];
}

export type ServicePrincipalType = "Application" | "ManagedIdentity" | "Legacy" | "SocialIdp";

export interface ServicePrincipalRecord {
  readonly kind: "servicePrincipal";
  readonly id: string;
  readonly appId: string;
  displayName: string;
  appDisplayName: string | null;
  appDescription: string | null;
  description: string | null;
  servicePrincipalType: ServicePrincipalType;
  appOwnerOrganizationId: string | null;
  accountEnabled: boolean;
  appRoleAssignmentRequired: boolean;
  createdDateTime: string;
  servicePrincipalNames: string[];
  /** For managed identities: `isExplicit=True|False` and the ARM id of the identity or its resource. */
  alternativeNames: string[];
  replyUrls: string[];
  tags: string[];
  signInAudience: string | null;
  appRoles: AppRoleRecord[];
  oauth2PermissionScopes: PermissionScopeRecord[];
  /** Credentials added to the service-principal object itself (invisible in "App registrations"). */
  passwordCredentials: PasswordCredentialRecord[];
  keyCredentials: KeyCredentialRecord[];
  ownerIds: string[];
  /** `saml` on a SAML single sign-on enterprise app; absent = null. */
  preferredSingleSignOnMode?: "saml" | "password" | "notSupported" | "oidc" | null;
  /** The thumbprint (customKeyIdentifier) of the active SAML token-signing certificate; absent = null. */
  preferredTokenSigningKeyThumbprint?: string | null;
  /**
   * A user-assigned managed identity's federated credentials. Azure keeps them on the ARM resource
   * (`Microsoft.ManagedIdentity/userAssignedIdentities/{name}/federatedIdentityCredentials`), not in Graph, so only the
   * ARM emulation serves them. Absent = none.
   */
  armFederatedIdentityCredentials?: FederatedIdentityCredentialRecord[];
}

export type DirectoryObjectRecord = UserRecord | GroupRecord | ServicePrincipalRecord | ApplicationRecord;

/**
 * A reference to an object in a Cloud Solution Provider partner's tenant (a GDAP/AOBO group such as the partner's
 * AdminAgents), as Graph's `directoryObjectPartnerReference` (learn.microsoft.com/graph/api/resources/
 * directoryobjectpartnerreference: `description`, `displayName`, `externalPartnerTenantId`, `objectType`, all
 * read-only). It is not a user, group or service principal of this tenant: ARM assignments name it with principal type
 * `ForeignGroup`, and getByIds returns it only when `types` asks for it.
 */
export interface PartnerReferenceRecord {
  readonly kind: "partnerReference";
  readonly id: string;
  readonly displayName: string;
  readonly description: string | null;
  readonly externalPartnerTenantId: string;
  /** The referenced object's type in the partner tenant, e.g. `Group`. */
  readonly objectType: string;
}

/** An app role granted to a user, group or service principal on a resource service principal. */
export interface AppRoleAssignmentRecord {
  readonly id: string;
  readonly principalId: string;
  readonly principalType: "User" | "Group" | "ServicePrincipal";
  /** Object id of the resource's service principal. */
  readonly resourceId: string;
  readonly appRoleId: string;
  readonly createdDateTime: string;
}

/** Tenant-wide admin consent of delegated permissions (consentType AllPrincipals). */
export interface OAuth2PermissionGrantRecord {
  readonly id: string;
  /** Object id of the client's service principal. */
  readonly clientId: string;
  /** Object id of the resource's service principal. */
  readonly resourceId: string;
  scopes: string[];
}

/**
 * A management group: subscriptions and other management groups under it inherit its role assignments. Its ARM id
 * (`/providers/Microsoft.Management/managementGroups/{name}`) does not show the hierarchy; the tenant knows it.
 */
export interface ManagementGroupRecord {
  readonly name: string;
  displayName: string;
  /** The parent management group's name; null directly under the tenant root group. */
  parentName: string | null;
}

export interface SubscriptionRecord {
  readonly subscriptionId: string;
  displayName: string;
  /** The management group the subscription sits in; absent directly under the tenant root group. */
  managementGroup?: string;
  state: "Enabled" | "Warned" | "PastDue" | "Disabled" | "Deleted";
  /** Tenants that manage the subscription through Azure Lighthouse (ARM's `managedByTenants`); absent: none. */
  managedByTenants?: string[];
  quotaId: string;
  spendingLimit: "On" | "Off" | "CurrentPeriodOff";
  tags: Record<string, string>;
}

export interface ResourceGroupRecord {
  readonly subscriptionId: string;
  readonly name: string;
  location: string;
  tags: Record<string, string>;
}

export interface WorkspaceRecord {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  kind: "Default" | "Hub" | "Project" | "FeatureStore";
  friendlyName: string;
  description: string;
  /** The workspace's own GUID (`properties.workspaceId`). */
  workspaceId: string;
  createdAt: string;
  createdBy: string;
  tags: Record<string, string>;
  publicNetworkAccess: "Enabled" | "Disabled";
  hbiWorkspace: boolean;
  /** For kind=Project: ARM id of the hub. */
  hubResourceId: string | null;
  /** Object id of the system-assigned managed identity's service principal. */
  systemAssignedPrincipalId: string;
  /** ARM ids of user-assigned identities → principal ids/client ids. */
  userAssignedIdentities: Record<string, { principalId: string; clientId: string }>;
  /**
   * The linked resources its properties name when they are not the default ones in its own resource group
   * (`defaultWorkspaceLinks`): a key vault elsewhere, a registry shared with other workspaces, a project's hub's.
   * Absent: the defaults. A link may point at nothing (the resource was deleted).
   */
  links?: Partial<WorkspaceLinks>;
}

export interface RoleDefinitionRecord {
  /** The role definition GUID (ARM `name`). */
  readonly name: string;
  roleName: string;
  type: "BuiltInRole" | "CustomRole";
  description: string;
  assignableScopes: string[];
  permissions: { actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }[];
  createdOn: string | null;
  updatedOn: string | null;
  createdBy: string | null;
  updatedBy: string | null;
}

export type RoleAssignmentPrincipalType = "User" | "Group" | "ServicePrincipal" | "ForeignGroup" | "Device";

export interface RoleAssignmentRecord {
  /** GUID, lower-case; unique across the tenant as in Azure. */
  readonly name: string;
  /** Scope as created, e.g. `/subscriptions/…/resourceGroups/…`; `/` for the tenant root. */
  readonly scope: string;
  /** GUID of the role definition. */
  readonly roleDefinitionName: string;
  readonly principalId: string;
  readonly principalType: RoleAssignmentPrincipalType;
  description: string | null;
  condition: string | null;
  conditionVersion: string | null;
  delegatedManagedIdentityResourceId: string | null;
  /** ARM timestamps with seven fractional digits. */
  readonly createdOn: string;
  updatedOn: string;
  readonly createdBy: string | null;
  updatedBy: string | null;
}

type RoleAssignmentRequired = "name" | "scope" | "roleDefinitionName" | "principalId" | "principalType" | "createdOn";

/**
 * A role assignment as a PUT with only the required properties creates one: no description, condition or delegated
 * identity, last updated when created, by whoever created it (nobody known unless `createdBy` says). `fields` sets
 * the rest.
 */
export function newRoleAssignment(
  fields: Pick<RoleAssignmentRecord, RoleAssignmentRequired> & Partial<Omit<RoleAssignmentRecord, RoleAssignmentRequired>>,
): RoleAssignmentRecord {
  const createdBy = fields.createdBy ?? null;
  return {
    description: null,
    condition: null,
    conditionVersion: null,
    delegatedManagedIdentityResourceId: null,
    updatedOn: fields.createdOn,
    createdBy,
    updatedBy: createdBy,
    ...fields,
  };
}

/**
 * A PIM eligibility at a scope (`roleEligibilityScheduleInstances`): the principal may activate the role for a while,
 * and holds nothing until then; it is not a role assignment and ARM's role-assignment list does not show it.
 */
export interface RoleEligibilityRecord {
  /** GUID of the schedule instance (ARM `name`), lower-case. */
  readonly name: string;
  /** GUID of the `roleEligibilitySchedules` entry the instance belongs to. */
  readonly scheduleName: string;
  readonly scope: string;
  readonly roleDefinitionName: string;
  readonly principalId: string;
  readonly principalType: RoleAssignmentPrincipalType;
  readonly startDateTime: string;
  /** Null for a permanent eligibility. */
  readonly endDateTime: string | null;
  readonly condition: string | null;
  readonly conditionVersion: string | null;
  readonly createdOn: string;
}

/**
 * An active PIM assignment (`roleAssignmentScheduleInstances`): an activation of an eligibility (`Activated`) or a
 * time-bound active assignment made in PIM (`Assigned`). ARM also creates a role assignment for it, which the
 * role-assignment list shows like any other; `roleAssignmentName` names it.
 */
export interface RoleAssignmentScheduleRecord {
  readonly name: string;
  readonly scheduleName: string;
  readonly scope: string;
  readonly roleDefinitionName: string;
  readonly principalId: string;
  readonly principalType: RoleAssignmentPrincipalType;
  readonly assignmentType: "Activated" | "Assigned";
  readonly roleAssignmentName: string;
  /** For an activation: the eligibility instance it came from. */
  readonly linkedEligibilityName: string | null;
  readonly startDateTime: string;
  readonly endDateTime: string | null;
  readonly condition: string | null;
  readonly conditionVersion: string | null;
  readonly createdOn: string;
}

export interface DenyAssignmentPrincipal {
  /** Object id; `00000000-0000-0000-0000-000000000000` with type `SystemDefined` is everyone in the directory. */
  readonly id: string;
  readonly type: "User" | "Group" | "ServicePrincipal" | "SystemDefined";
}

/**
 * A deny assignment: the listed actions are refused to its principals at its scope (and below unless
 * `doNotApplyToChildScopes`), whatever their role assignments allow. Only Azure creates them (managed applications,
 * deployment stacks); they are read-only.
 */
export interface DenyAssignmentRecord {
  readonly name: string;
  readonly denyAssignmentName: string;
  readonly description: string;
  readonly scope: string;
  readonly permissions: readonly { actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }[];
  readonly principals: readonly DenyAssignmentPrincipal[];
  readonly excludePrincipals: readonly DenyAssignmentPrincipal[];
  readonly doNotApplyToChildScopes: boolean;
  readonly isSystemProtected: boolean;
  readonly createdOn: string;
}

/** The principal id that stands for everyone in a deny assignment. */
export const EVERYONE_PRINCIPAL_ID = "00000000-0000-0000-0000-000000000000";

/** One record the Logs Ingestion endpoint accepted, as the stream received it (no transformation: `source`). */
export interface IngestedLogRecord {
  readonly dcrImmutableId: string;
  readonly stream: string;
  readonly receivedAt: string;
  /** App id of the caller that ingested it. */
  readonly ingestedByAppId: string;
  readonly record: Record<string, unknown>;
}

/**
 * A chat channel the sandbox receives webhook posts for (sandbox/chat/receivers.ts). `state` is what the control API
 * can set: a Slack channel archived, posting prohibited, or its webhook removed; a Teams workflow removed.
 */
export interface ChatChannelRecord {
  readonly name: string;
  readonly kind: "teams" | "slack";
  /** The webhook's path on the sandbox origin (no query). */
  readonly path: string;
  /** Teams: the trigger URL's `sig`. Slack: none (the token is the path's last segment). */
  readonly sig: string | null;
  state: ChatChannelState;
}

export type ChatChannelState = "active" | "archived" | "prohibited" | "removed";

/** One post a chat webhook received, accepted or not. */
export interface ChatPostRecord {
  readonly id: string;
  readonly channel: string;
  readonly kind: "teams" | "slack";
  readonly receivedAt: string;
  /** The HTTP status the webhook answered. */
  readonly status: number;
  /**
   * `accepted`: shown in the channel. `rejected`: refused by the webhook (a 4xx), or, for Teams, accepted by the
   * trigger (202) but not posted, because the flow's "Post card" action would fail on it.
   */
  readonly outcome: "accepted" | "rejected";
  readonly reason: string | null;
  /** The parsed JSON body; the raw text (clipped) when it was not JSON. */
  readonly payload: unknown;
}

export interface SentMailRecord {
  readonly id: string;
  /** Object id of the mailbox the mail was sent from. */
  readonly fromUserId: string;
  readonly fromAddress: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly bodyContentType: "text" | "html";
  readonly body: string;
  readonly sentDateTime: string;
  /** App id of the client that sent it (the console's API for unattended notifications). */
  readonly sentByAppId: string;
}

/** The resource types a workspace links to, plus AML registries, that the sandbox models (ARM's canonical type casing). */
export const LINKED_RESOURCE_TYPES = {
  storageAccount: "Microsoft.Storage/storageAccounts",
  keyVault: "Microsoft.KeyVault/vaults",
  containerRegistry: "Microsoft.ContainerRegistry/registries",
  applicationInsights: "microsoft.insights/components",
  amlRegistry: "Microsoft.MachineLearningServices/registries",
} as const;

export type LinkedResourceKind = keyof typeof LINKED_RESOURCE_TYPES;

/** The links a workspace's `properties` name (`storageAccount`, `keyVault`, `containerRegistry`, `applicationInsights`). */
export type WorkspaceLinkKind = Exclude<LinkedResourceKind, "amlRegistry">;

/**
 * A resource beside the workspaces: a workspace's storage account, key vault, container registry or Application
 * Insights component, or an AML registry. Read-only through ARM; role assignments can be made on it.
 */
export interface LinkedResourceRecord {
  readonly kind: LinkedResourceKind;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  tags: Record<string, string>;
  /** ARM timestamp (seven digits) of its creation. */
  createdAt: string;
  createdBy: string;
  /** Key vaults: `properties.enableRbacAuthorization` (false: the vault uses access policies). */
  enableRbacAuthorization?: boolean;
  /** Key vaults in access-policy mode: object ids with secret permissions (`properties.accessPolicies`). */
  accessPolicyObjectIds?: string[];
  /** Container registries and AML registries: the SKU name (`Basic`, `Standard`, `Premium`). */
  skuName?: string;
  /** AML registries: the regions it replicates to (`properties.regionDetails`). */
  replicationLocations?: string[];
  /** Application Insights: the component's application GUID (`properties.AppId`) and instrumentation key. */
  appId?: string;
  instrumentationKey?: string;
}

/** The ARM ids a workspace's properties name, in ARM's canonical casing. */
export type WorkspaceLinks = Record<WorkspaceLinkKind, string>;
