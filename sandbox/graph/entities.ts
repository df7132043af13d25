/**
 * Graph's view of tenant records: every property a client may `$select`, in Graph's order, plus which ones are
 * returned by default, filterable and searchable. Secrets never leave: `secretText` is always null on reads.
 */
import type {
  ApplicationRecord,
  DirectoryObjectRecord,
  GroupRecord,
  KeyCredentialRecord,
  PasswordCredentialRecord,
  ServicePrincipalRecord,
  UserRecord,
} from "../tenant/model";
import { newApplication } from "../tenant/model";

export type GraphObject = Record<string, unknown>;

export interface EntityType {
  /** OData type name, e.g. `user` (rendered as `#microsoft.graph.user`). */
  readonly typeName: "user" | "group" | "servicePrincipal" | "application";
  /** Entity set, e.g. `users` (used in `@odata.context`). */
  readonly setName: string;
  /** Name used in Graph's filter error messages, e.g. `User`. */
  readonly resourceName: string;
  readonly defaultSelect: readonly string[];
  /** Every property `$select` accepts. */
  readonly selectable: readonly string[];
  /** Lower-cased property names `$filter` accepts. */
  readonly filterable: ReadonlySet<string>;
  readonly view: (record: DirectoryObjectRecord) => GraphObject;
}

export function renderPasswordCredential(credential: PasswordCredentialRecord): GraphObject {
  return {
    customKeyIdentifier: credential.customKeyIdentifier ?? null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    hint: credential.hint,
    keyId: credential.keyId,
    secretText: null,
    startDateTime: credential.startDateTime,
  };
}

export function renderKeyCredential(credential: KeyCredentialRecord): GraphObject {
  return {
    customKeyIdentifier: credential.customKeyIdentifier,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    key: null,
    keyId: credential.keyId,
    startDateTime: credential.startDateTime,
    type: credential.type,
    usage: credential.usage,
  };
}

function userView(record: DirectoryObjectRecord): GraphObject {
  const user = record as UserRecord;
  return {
    businessPhones: user.businessPhones,
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: user.mobilePhone,
    officeLocation: user.officeLocation,
    preferredLanguage: user.preferredLanguage,
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
    id: user.id,
    accountEnabled: user.accountEnabled,
    department: user.department,
    userType: user.userType,
    createdDateTime: user.createdDateTime,
    deletedDateTime: null,
    mailNickname: user.userPrincipalName.split("@")[0] ?? null,
    employeeId: null,
    companyName: "Contoso ML",
    usageLocation: "US",
    onPremisesSyncEnabled: null,
    otherMails: [],
    proxyAddresses: user.mail ? [`SMTP:${user.mail}`] : [],
  };
}

function groupView(record: DirectoryObjectRecord): GraphObject {
  const group = record as GroupRecord;
  return {
    id: group.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: group.createdDateTime,
    creationOptions: [],
    description: group.description,
    displayName: group.displayName,
    expirationDateTime: null,
    groupTypes: group.groupTypes,
    isAssignableToRole: group.isAssignableToRole,
    mail: group.mail,
    mailEnabled: group.mailEnabled,
    mailNickname: group.mailNickname,
    membershipRule: null,
    membershipRuleProcessingState: null,
    onPremisesDomainName: null,
    onPremisesLastSyncDateTime: null,
    onPremisesNetBiosName: null,
    onPremisesSamAccountName: null,
    onPremisesSecurityIdentifier: null,
    onPremisesSyncEnabled: null,
    preferredDataLocation: null,
    preferredLanguage: null,
    proxyAddresses: group.mail ? [`SMTP:${group.mail}`] : [],
    renewedDateTime: group.createdDateTime,
    resourceBehaviorOptions: [],
    resourceProvisioningOptions: [],
    securityEnabled: group.securityEnabled,
    securityIdentifier: `S-1-12-1-${parseInt(group.id.slice(0, 8), 16)}-${parseInt(group.id.slice(9, 13), 16)}`,
    theme: null,
    visibility: group.visibility,
    onPremisesProvisioningErrors: [],
    serviceProvisioningErrors: [],
  };
}

function applicationView(record: DirectoryObjectRecord): GraphObject {
  const app = record as ApplicationRecord;
  return {
    id: app.id,
    deletedDateTime: null,
    appId: app.appId,
    applicationTemplateId: null,
    disabledByMicrosoftStatus: null,
    createdDateTime: app.createdDateTime,
    displayName: app.displayName,
    description: app.description,
    groupMembershipClaims: null,
    identifierUris: app.identifierUris,
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: null,
    notes: app.notes,
    publisherDomain: app.publisherDomain,
    serviceManagementReference: null,
    signInAudience: app.signInAudience,
    tags: app.tags,
    tokenEncryptionKeyId: null,
    defaultRedirectUri: null,
    certification: null,
    optionalClaims: null,
    addIns: [],
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      requestedAccessTokenVersion: app.requestedAccessTokenVersion === undefined ? 2 : app.requestedAccessTokenVersion,
      oauth2PermissionScopes: app.oauth2PermissionScopes.map((s) => ({ ...s })),
      preAuthorizedApplications: (app.preAuthorizedApplications ?? []).map((p) => ({ appId: p.appId, delegatedPermissionIds: [...p.delegatedPermissionIds] })),
    },
    appRoles: app.appRoles.map((r) => ({ ...r })),
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: app.keyCredentials.map(renderKeyCredential),
    parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: "Allow" },
    passwordCredentials: app.passwordCredentials.map(renderPasswordCredential),
    publicClient: { redirectUris: app.publicClientRedirectUris },
    requiredResourceAccess: app.requiredResourceAccess,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    web: {
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: app.webRedirectUris,
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    spa: { redirectUris: app.spaRedirectUris },
  };
}

function servicePrincipalView(record: DirectoryObjectRecord): GraphObject {
  const sp = record as ServicePrincipalRecord;
  return {
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: sp.accountEnabled,
    alternativeNames: sp.alternativeNames,
    appDisplayName: sp.appDisplayName,
    appDescription: sp.appDescription,
    appId: sp.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: sp.appOwnerOrganizationId,
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired,
    createdDateTime: sp.createdDateTime,
    description: sp.description,
    disabledByMicrosoftStatus: null,
    displayName: sp.displayName,
    homepage: null,
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    preferredSingleSignOnMode: sp.preferredSingleSignOnMode ?? null,
    preferredTokenSigningKeyThumbprint: sp.preferredTokenSigningKeyThumbprint ?? null,
    replyUrls: sp.replyUrls,
    servicePrincipalNames: sp.servicePrincipalNames,
    servicePrincipalType: sp.servicePrincipalType,
    signInAudience: sp.signInAudience,
    tags: sp.tags,
    tokenEncryptionKeyId: null,
    samlSingleSignOnSettings: null,
    addIns: [],
    appRoles: sp.appRoles.map((r) => ({ ...r })),
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: sp.keyCredentials.map(renderKeyCredential),
    oauth2PermissionScopes: sp.oauth2PermissionScopes.map((s) => ({ ...s })),
    passwordCredentials: sp.passwordCredentials.map(renderPasswordCredential),
    resourceSpecificApplicationPermissions: [],
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
  };
}

const SAMPLE_GROUP: GroupRecord = {
  kind: "group",
  id: "00000000-0000-0000-0000-000000000000",
  displayName: "",
  description: null,
  mailNickname: "",
  mail: null,
  mailEnabled: false,
  securityEnabled: true,
  groupTypes: [],
  isAssignableToRole: null,
  visibility: null,
  createdDateTime: "",
  memberIds: [],
  ownerIds: [],
};

function viewKeys(view: (record: DirectoryObjectRecord) => GraphObject, sample: DirectoryObjectRecord): string[] {
  return Object.keys(view(sample));
}

const USER_DEFAULT = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];

function lowerSet(values: string[]): ReadonlySet<string> {
  return new Set(values.map((v) => v.toLowerCase()));
}

export const USER_TYPE: EntityType = {
  typeName: "user",
  setName: "users",
  resourceName: "User",
  defaultSelect: USER_DEFAULT,
  selectable: viewKeys(userView, {
    kind: "user",
    id: "",
    userPrincipalName: "",
    displayName: "",
    givenName: null,
    surname: null,
    mail: null,
    jobTitle: null,
    department: null,
    officeLocation: null,
    mobilePhone: null,
    businessPhones: [],
    preferredLanguage: null,
    accountEnabled: true,
    userType: "Member",
    createdDateTime: "",
    password: "",
  }),
  filterable: lowerSet([
    "id",
    "userPrincipalName",
    "displayName",
    "mail",
    "givenName",
    "surname",
    "accountEnabled",
    "userType",
    "jobTitle",
    "department",
    "mailNickname",
    "otherMails",
    "proxyAddresses",
    "createdDateTime",
  ]),
  view: userView,
};

export const GROUP_TYPE: EntityType = {
  typeName: "group",
  setName: "groups",
  resourceName: "Group",
  defaultSelect: viewKeys(groupView, SAMPLE_GROUP),
  selectable: viewKeys(groupView, SAMPLE_GROUP),
  filterable: lowerSet(["id", "displayName", "mail", "mailNickname", "mailEnabled", "securityEnabled", "groupTypes", "isAssignableToRole", "proxyAddresses"]),
  view: groupView,
};

const SAMPLE_APP: ApplicationRecord = newApplication({ id: "", appId: "", displayName: "", createdDateTime: "" });

const SAMPLE_SP: ServicePrincipalRecord = {
  kind: "servicePrincipal",
  id: "",
  appId: "",
  displayName: "",
  appDisplayName: null,
  appDescription: null,
  description: null,
  servicePrincipalType: "Application",
  appOwnerOrganizationId: null,
  accountEnabled: true,
  appRoleAssignmentRequired: false,
  createdDateTime: "",
  servicePrincipalNames: [],
  alternativeNames: [],
  replyUrls: [],
  tags: [],
  signInAudience: null,
  appRoles: [],
  oauth2PermissionScopes: [],
  passwordCredentials: [],
  keyCredentials: [],
  ownerIds: [],
};

export const APPLICATION_TYPE: EntityType = {
  typeName: "application",
  setName: "applications",
  resourceName: "Application",
  defaultSelect: viewKeys(applicationView, SAMPLE_APP),
  selectable: viewKeys(applicationView, SAMPLE_APP),
  filterable: lowerSet([
    "id",
    "appId",
    "displayName",
    "identifierUris",
    "signInAudience",
    "publisherDomain",
    "tags",
    "createdDateTime",
    "passwordCredentials",
    "keyCredentials",
  ]),
  view: applicationView,
};

export const SERVICE_PRINCIPAL_TYPE: EntityType = {
  typeName: "servicePrincipal",
  setName: "servicePrincipals",
  resourceName: "ServicePrincipal",
  defaultSelect: viewKeys(servicePrincipalView, SAMPLE_SP),
  selectable: viewKeys(servicePrincipalView, SAMPLE_SP),
  filterable: lowerSet([
    "id",
    "appId",
    "displayName",
    "servicePrincipalType",
    "accountEnabled",
    "servicePrincipalNames",
    "alternativeNames",
    "tags",
    "appOwnerOrganizationId",
    "passwordCredentials",
    "keyCredentials",
  ]),
  view: servicePrincipalView,
};

export const ENTITY_TYPES: readonly EntityType[] = [USER_TYPE, GROUP_TYPE, SERVICE_PRINCIPAL_TYPE, APPLICATION_TYPE];

export function entityTypeOf(record: DirectoryObjectRecord): EntityType {
  switch (record.kind) {
    case "user":
      return USER_TYPE;
    case "group":
      return GROUP_TYPE;
    case "servicePrincipal":
      return SERVICE_PRINCIPAL_TYPE;
    case "application":
      return APPLICATION_TYPE;
  }
}

/** Properties of a directoryObject collection that mixes types: filterable on what every object has. */
export const DIRECTORY_OBJECT_FILTERABLE: ReadonlySet<string> = new Set(["id", "displayname"]);
