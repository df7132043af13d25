import { SANDBOX_CLOUDS } from "../clouds";
import type {
  AppRegistrationForAuth,
  ClientCertificateForAuth,
  ManagedIdentityForAuth,
  Persona,
  SandboxCloud,
  SandboxCloudName,
  SignInUser,
  TenantAuthView,
} from "../contract";
import { SANDBOX_SLACK_CHANNEL, SANDBOX_TEAMS_CHANNEL } from "../contract";
import { armKey, linkedResourceArmId, managementGroupOfScope, resourceGroupArmId, subscriptionOfScope, workspaceArmId } from "./arm-ids";
import type {
  AppRoleAssignmentRecord,
  ApplicationRecord,
  DirectoryObjectRecord,
  FederatedIdentityCredentialRecord,
  GroupRecord,
  LinkedResourceRecord,
  OAuth2PermissionGrantRecord,
  PartnerReferenceRecord,
  ResourceGroupRecord,
  DenyAssignmentRecord,
  RoleAssignmentRecord,
  RoleAssignmentScheduleRecord,
  RoleDefinitionRecord,
  RoleEligibilityRecord,
  SentMailRecord,
  ChatChannelRecord,
  ChatChannelState,
  ChatPostRecord,
  IngestedLogRecord,
  ServicePrincipalRecord,
  ManagementGroupRecord,
  SubscriptionRecord,
  UserRecord,
  WorkspaceRecord,
} from "./model";
import { MICROSOFT_SERVICES_TENANT_ID } from "./model";
import { findFirstPartyPublicClient } from "./first-party";

const SNAPSHOT_VERSION = 1;

/** Everything a snapshot holds; indexes are rebuilt on restore. */
interface TenantSnapshot {
  version: number;
  tenantId: string;
  createdAt: string;
  /** Absent in snapshots saved before clouds: the public cloud. */
  cloud?: SandboxCloudName;
  personas: Persona[];
  users: UserRecord[];
  groups: GroupRecord[];
  applications: ApplicationRecord[];
  servicePrincipals: ServicePrincipalRecord[];
  appRoleAssignments: AppRoleAssignmentRecord[];
  oauth2PermissionGrants: OAuth2PermissionGrantRecord[];
  /** Absent in snapshots saved before management groups existed. */
  managementGroups?: ManagementGroupRecord[];
  subscriptions: SubscriptionRecord[];
  resourceGroups: ResourceGroupRecord[];
  workspaces: WorkspaceRecord[];
  /** Absent in snapshots saved before linked resources existed. */
  linkedResources?: LinkedResourceRecord[];
  roleDefinitions: RoleDefinitionRecord[];
  roleAssignments: RoleAssignmentRecord[];
  /** PIM and deny assignments; absent in snapshots saved before they existed. */
  roleEligibilities?: RoleEligibilityRecord[];
  roleAssignmentSchedules?: RoleAssignmentScheduleRecord[];
  denyAssignments?: DenyAssignmentRecord[];
  outbox: SentMailRecord[];
  /** Absent in snapshots saved before the chat webhooks existed. */
  chatPosts?: ChatPostRecord[];
  chatChannelStates?: [string, ChatChannelState][];
  /** Absent in snapshots saved before the Logs Ingestion endpoint existed. */
  ingestedLogs?: IngestedLogRecord[];
  /** Absent in snapshots saved before ARM demanded MFA for writes. */
  armWriteMfaUsers?: string[];
  /** Absent in snapshots saved before partner references and the replication lag existed. */
  partnerReferences?: PartnerReferenceRecord[];
  directoryReplication?: [string, string][];
}

/**
 * The in-memory tenant: directory (users, groups, apps, service principals) and ARM (subscriptions, resource groups,
 * AML workspaces, role definitions and assignments). Records live in insertion-ordered maps keyed by lower-cased ids;
 * the mutators keep the secondary indexes (UPN, appId, group membership, assignments by principal) consistent.
 */
export class Tenant implements TenantAuthView {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly applications = new Map<string, ApplicationRecord>();
  readonly servicePrincipals = new Map<string, ServicePrincipalRecord>();
  readonly appRoleAssignments = new Map<string, AppRoleAssignmentRecord>();
  readonly oauth2PermissionGrants = new Map<string, OAuth2PermissionGrantRecord>();
  /** Keyed by lower-cased management group name. */
  readonly managementGroups = new Map<string, ManagementGroupRecord>();
  readonly subscriptions = new Map<string, SubscriptionRecord>();
  /** Keyed by lower-cased resource-group ARM id. */
  readonly resourceGroups = new Map<string, ResourceGroupRecord>();
  /** Keyed by lower-cased workspace ARM id. */
  readonly workspaces = new Map<string, WorkspaceRecord>();
  /** Storage accounts, key vaults, container registries, Application Insights components, AML registries; keyed by lower-cased ARM id. */
  readonly linkedResources = new Map<string, LinkedResourceRecord>();
  readonly roleDefinitions = new Map<string, RoleDefinitionRecord>();
  /** Keyed by lower-cased assignment name (a GUID, unique across the tenant as in Azure). */
  readonly roleAssignments = new Map<string, RoleAssignmentRecord>();
  /** PIM eligibilities, active PIM assignments and deny assignments, keyed by lower-cased name. */
  readonly roleEligibilities = new Map<string, RoleEligibilityRecord>();
  readonly roleAssignmentSchedules = new Map<string, RoleAssignmentScheduleRecord>();
  readonly denyAssignments = new Map<string, DenyAssignmentRecord>();
  readonly outbox: SentMailRecord[] = [];
  /** The chat channels whose webhooks the sandbox serves (the seeded Teams and Slack ones), keyed by name. */
  readonly chatChannels = new Map<string, ChatChannelRecord>(
    [
      { name: SANDBOX_TEAMS_CHANNEL.name, kind: "teams" as const, path: SANDBOX_TEAMS_CHANNEL.path, sig: SANDBOX_TEAMS_CHANNEL.sig, state: "active" as const },
      { name: SANDBOX_SLACK_CHANNEL.name, kind: "slack" as const, path: SANDBOX_SLACK_CHANNEL.path, sig: null, state: "active" as const },
    ].map((channel): [string, ChatChannelRecord] => [channel.name, channel]),
  );
  /** What the chat webhooks received, in arrival order. */
  readonly chatPosts: ChatPostRecord[] = [];
  /** What the Logs Ingestion endpoint accepted, in arrival order (the sandbox's Log Analytics tables). */
  readonly ingestedLogs: IngestedLogRecord[] = [];
  /**
   * Lower-cased object ids of users whose ARM writes need an MFA token (mandatory MFA for Azure, phase 2): a PUT,
   * PATCH or DELETE with a token whose `amr` lacks `mfa` gets a 401 claims challenge.
   */
  readonly armWriteMfaUsers = new Set<string>();
  /** CSP partner references (`directoryObjectPartnerReference`), keyed by lower-cased id. */
  readonly partnerReferences = new Map<string, PartnerReferenceRecord>();
  /**
   * Lower-cased object id → when (ISO) directory reads by id start to see it. Entra reads are eventually consistent:
   * ARM documents that a principal used right after it was created may not be found yet ("this error might be
   * related to a replication delay", learn.microsoft.com/azure/role-based-access-control/troubleshooting, PrincipalNotFound).
   * Only objects given a lag here have one; everything else is visible at once.
   */
  readonly directoryReplication = new Map<string, string>();

  private readonly usersByUpn = new Map<string, UserRecord>();
  private readonly applicationsByAppId = new Map<string, ApplicationRecord>();
  private readonly servicePrincipalsByAppId = new Map<string, ServicePrincipalRecord>();
  /** member object id → ids of groups it is a direct member of. */
  private readonly directGroupsOfMember = new Map<string, Set<string>>();
  private readonly roleAssignmentsByPrincipal = new Map<string, Set<RoleAssignmentRecord>>();
  private personaList: Persona[] = [];

  constructor(
    readonly tenantId: string,
    /** When the tenant was seeded; credential expiry buckets are relative to it. */
    readonly createdAt: Date,
    readonly cloud: SandboxCloud = SANDBOX_CLOUDS.public,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // Directory mutators
  // ---------------------------------------------------------------------------------------------

  setPersonas(personas: readonly Persona[]): void {
    this.personaList = [...personas];
  }

  addUser(user: UserRecord): UserRecord {
    this.assertNewObjectId(user.id);
    this.users.set(user.id.toLowerCase(), user);
    this.usersByUpn.set(user.userPrincipalName.toLowerCase(), user);
    return user;
  }

  addGroup(group: GroupRecord): GroupRecord {
    this.assertNewObjectId(group.id);
    this.groups.set(group.id.toLowerCase(), group);
    for (const memberId of group.memberIds) this.indexMembership(memberId, group.id);
    return group;
  }

  addGroupMember(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId.toLowerCase());
    if (!group) throw new Error(`No group ${groupId}`);
    if (group.memberIds.some((id) => id.toLowerCase() === memberId.toLowerCase())) return;
    group.memberIds.push(memberId);
    this.indexMembership(memberId, group.id);
  }

  addApplication(application: ApplicationRecord): ApplicationRecord {
    this.assertNewObjectId(application.id);
    this.applications.set(application.id.toLowerCase(), application);
    this.applicationsByAppId.set(application.appId.toLowerCase(), application);
    return application;
  }

  addServicePrincipal(servicePrincipal: ServicePrincipalRecord): ServicePrincipalRecord {
    this.assertNewObjectId(servicePrincipal.id);
    this.servicePrincipals.set(servicePrincipal.id.toLowerCase(), servicePrincipal);
    this.servicePrincipalsByAppId.set(servicePrincipal.appId.toLowerCase(), servicePrincipal);
    return servicePrincipal;
  }

  addAppRoleAssignment(assignment: AppRoleAssignmentRecord): void {
    this.appRoleAssignments.set(assignment.id.toLowerCase(), assignment);
  }

  addOAuth2PermissionGrant(grant: OAuth2PermissionGrantRecord): void {
    this.oauth2PermissionGrants.set(grant.id.toLowerCase(), grant);
  }

  /**
   * Deletes a user, group or service principal as Entra does: memberships, ownerships and app-role assignments go,
   * but ARM role assignments stay behind (the portal's "Identity not found").
   */
  deleteDirectoryObject(objectId: string): boolean {
    const key = objectId.toLowerCase();
    this.directoryReplication.delete(key);
    const user = this.users.get(key);
    const group = this.groups.get(key);
    const servicePrincipal = this.servicePrincipals.get(key);
    if (user) {
      this.users.delete(key);
      this.usersByUpn.delete(user.userPrincipalName.toLowerCase());
    } else if (group) {
      this.groups.delete(key);
      for (const memberId of group.memberIds) this.directGroupsOfMember.get(memberId.toLowerCase())?.delete(key);
    } else if (servicePrincipal) {
      this.servicePrincipals.delete(key);
      this.servicePrincipalsByAppId.delete(servicePrincipal.appId.toLowerCase());
    } else {
      return false;
    }
    for (const groupId of this.directGroupsOfMember.get(key) ?? []) {
      const parent = this.groups.get(groupId);
      if (parent) parent.memberIds = parent.memberIds.filter((id) => id.toLowerCase() !== key);
    }
    this.directGroupsOfMember.delete(key);
    for (const owned of [...this.groups.values(), ...this.applications.values(), ...this.servicePrincipals.values()]) {
      if (owned.ownerIds.some((id) => id.toLowerCase() === key)) {
        owned.ownerIds = owned.ownerIds.filter((id) => id.toLowerCase() !== key);
      }
    }
    for (const [id, assignment] of this.appRoleAssignments) {
      if (assignment.principalId.toLowerCase() === key || assignment.resourceId.toLowerCase() === key) {
        this.appRoleAssignments.delete(id);
      }
    }
    return true;
  }

  recordMail(mail: SentMailRecord): void {
    this.outbox.push(mail);
  }

  // ---------------------------------------------------------------------------------------------
  // Directory queries
  // ---------------------------------------------------------------------------------------------

  getUser(idOrUpn: string): UserRecord | undefined {
    const key = idOrUpn.toLowerCase();
    return this.users.get(key) ?? this.usersByUpn.get(key);
  }

  getApplicationByAppId(appId: string): ApplicationRecord | undefined {
    return this.applicationsByAppId.get(appId.toLowerCase());
  }

  getServicePrincipalByAppId(appId: string): ServicePrincipalRecord | undefined {
    return this.servicePrincipalsByAppId.get(appId.toLowerCase());
  }

  /** A user, group, service principal or application by object id. */
  getDirectoryObject(objectId: string): DirectoryObjectRecord | undefined {
    const key = objectId.toLowerCase();
    return this.users.get(key) ?? this.groups.get(key) ?? this.servicePrincipals.get(key) ?? this.applications.get(key);
  }

  /**
   * The object as a directory read by id sees it at `now` (getByIds, `GET /directoryObjects/{id}`, ARM's principal
   * lookup): undefined while it has not replicated yet.
   */
  replicatedDirectoryObject(objectId: string, now: Date): DirectoryObjectRecord | undefined {
    const record = this.getDirectoryObject(objectId);
    if (!record) return undefined;
    const from = this.directoryReplication.get(record.id.toLowerCase());
    return from !== undefined && now.getTime() < Date.parse(from) ? undefined : record;
  }

  /** Makes directory reads by id miss the object until `visibleFrom` (an emulated replication lag). */
  delayReplication(objectId: string, visibleFrom: Date): void {
    if (!this.getDirectoryObject(objectId)) throw new Error(`No directory object ${objectId}`);
    this.directoryReplication.set(objectId.toLowerCase(), visibleFrom.toISOString());
  }

  addPartnerReference(reference: PartnerReferenceRecord): PartnerReferenceRecord {
    this.assertNewObjectId(reference.id);
    this.partnerReferences.set(reference.id.toLowerCase(), reference);
    return reference;
  }

  getPartnerReference(objectId: string): PartnerReferenceRecord | undefined {
    return this.partnerReferences.get(objectId.toLowerCase());
  }

  /** Ids of the groups the object is a direct member of. */
  directGroupIds(objectId: string): string[] {
    return [...(this.directGroupsOfMember.get(objectId.toLowerCase()) ?? [])];
  }

  /** Ids of every group the object belongs to, directly or through nested groups (cycle-safe). */
  transitiveGroupIds(objectId: string): string[] {
    const seen = new Set<string>();
    const queue = this.directGroupIds(objectId);
    while (queue.length > 0) {
      const groupId = queue.shift() as string;
      if (seen.has(groupId)) continue;
      seen.add(groupId);
      queue.push(...this.directGroupIds(groupId));
    }
    return [...seen];
  }

  /** Ids of every member of a group, through nested groups (nested groups themselves included), cycle-safe. */
  transitiveMemberIds(groupId: string): string[] {
    const seen = new Set<string>();
    const visitedGroups = new Set<string>([groupId.toLowerCase()]);
    const queue = [groupId.toLowerCase()];
    while (queue.length > 0) {
      const current = this.groups.get(queue.shift() as string);
      for (const memberId of current?.memberIds ?? []) {
        const key = memberId.toLowerCase();
        if (key !== groupId.toLowerCase()) seen.add(key);
        if (this.groups.has(key) && !visitedGroups.has(key)) {
          visitedGroups.add(key);
          queue.push(key);
        }
      }
    }
    return [...seen];
  }

  // ---------------------------------------------------------------------------------------------
  // ARM mutators and queries
  // ---------------------------------------------------------------------------------------------

  addManagementGroup(group: ManagementGroupRecord): void {
    if (group.parentName !== null && !this.managementGroups.has(group.parentName.toLowerCase())) {
      throw new Error(`Unknown parent management group ${group.parentName}`);
    }
    this.managementGroups.set(group.name.toLowerCase(), group);
  }

  /**
   * The management groups a scope sits under, nearest first, as lower-cased names: for a subscription or anything in
   * it, the subscription's group and that group's parents; for a management group, its parents.
   */
  managementGroupsAbove(scope: string): string[] {
    const group = managementGroupOfScope(scope);
    let next: string | null | undefined;
    if (group !== undefined) next = this.managementGroups.get(group)?.parentName;
    else {
      const subscriptionId = subscriptionOfScope(scope);
      next = subscriptionId === undefined ? undefined : this.subscriptions.get(subscriptionId)?.managementGroup;
    }
    const chain: string[] = [];
    while (next !== null && next !== undefined && !chain.includes(next.toLowerCase())) {
      chain.push(next.toLowerCase());
      next = this.managementGroups.get(next.toLowerCase())?.parentName;
    }
    return chain;
  }

  addSubscription(subscription: SubscriptionRecord): void {
    this.subscriptions.set(subscription.subscriptionId.toLowerCase(), subscription);
  }

  addResourceGroup(resourceGroup: ResourceGroupRecord): void {
    this.resourceGroups.set(armKey(resourceGroupArmId(resourceGroup.subscriptionId, resourceGroup.name)), resourceGroup);
  }

  addWorkspace(workspace: WorkspaceRecord): void {
    this.workspaces.set(armKey(workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name)), workspace);
  }

  addLinkedResource(resource: LinkedResourceRecord): LinkedResourceRecord {
    this.linkedResources.set(armKey(linkedResourceArmId(resource.kind, resource.subscriptionId, resource.resourceGroup, resource.name)), resource);
    return resource;
  }

  /** Deletes a linked resource as ARM does: the workspaces that name it keep its id, and assignments on it stay behind. */
  deleteLinkedResource(armId: string): boolean {
    return this.linkedResources.delete(armKey(armId));
  }

  addRoleDefinition(definition: RoleDefinitionRecord): void {
    this.roleDefinitions.set(definition.name.toLowerCase(), definition);
  }

  findRoleDefinitionByName(roleName: string): RoleDefinitionRecord | undefined {
    const wanted = roleName.toLowerCase();
    for (const definition of this.roleDefinitions.values()) {
      if (definition.roleName.toLowerCase() === wanted) return definition;
    }
    return undefined;
  }

  /** Inserts or replaces a role assignment (callers enforce ARM's rules; this only keeps indexes right). */
  putRoleAssignment(assignment: RoleAssignmentRecord): void {
    const key = assignment.name.toLowerCase();
    const previous = this.roleAssignments.get(key);
    if (previous) this.roleAssignmentsByPrincipal.get(previous.principalId.toLowerCase())?.delete(previous);
    this.roleAssignments.set(key, assignment);
    const principalKey = assignment.principalId.toLowerCase();
    let set = this.roleAssignmentsByPrincipal.get(principalKey);
    if (!set) {
      set = new Set();
      this.roleAssignmentsByPrincipal.set(principalKey, set);
    }
    set.add(assignment);
  }

  removeRoleAssignment(name: string): RoleAssignmentRecord | undefined {
    const key = name.toLowerCase();
    const existing = this.roleAssignments.get(key);
    if (!existing) return undefined;
    this.roleAssignments.delete(key);
    this.roleAssignmentsByPrincipal.get(existing.principalId.toLowerCase())?.delete(existing);
    return existing;
  }

  roleAssignmentsOfPrincipal(principalId: string): RoleAssignmentRecord[] {
    return [...(this.roleAssignmentsByPrincipal.get(principalId.toLowerCase()) ?? [])];
  }

  /** Assignments counted against a subscription's limit: subscription, resource-group and resource scopes. */
  countRoleAssignmentsInSubscription(subscriptionId: string): number {
    const wanted = subscriptionId.toLowerCase();
    let count = 0;
    for (const assignment of this.roleAssignments.values()) {
      if (subscriptionOfScope(assignment.scope) === wanted) count++;
    }
    return count;
  }

  addRoleEligibility(eligibility: RoleEligibilityRecord): void {
    this.roleEligibilities.set(eligibility.name.toLowerCase(), eligibility);
  }

  /** Adds an active PIM assignment; its role assignment must exist (ARM creates both together). */
  addRoleAssignmentSchedule(schedule: RoleAssignmentScheduleRecord): void {
    if (!this.roleAssignments.has(schedule.roleAssignmentName.toLowerCase())) {
      throw new Error(`No role assignment ${schedule.roleAssignmentName} for the PIM assignment ${schedule.name}`);
    }
    this.roleAssignmentSchedules.set(schedule.name.toLowerCase(), schedule);
  }

  /** The active PIM assignment that a role assignment carries, if PIM manages it. */
  pimScheduleOfRoleAssignment(roleAssignmentName: string): RoleAssignmentScheduleRecord | undefined {
    const wanted = roleAssignmentName.toLowerCase();
    for (const schedule of this.roleAssignmentSchedules.values()) {
      if (schedule.roleAssignmentName.toLowerCase() === wanted) return schedule;
    }
    return undefined;
  }

  addDenyAssignment(deny: DenyAssignmentRecord): void {
    this.denyAssignments.set(deny.name.toLowerCase(), deny);
  }

  /** Role assignments whose principal no longer exists in the directory. */
  orphanedRoleAssignments(): RoleAssignmentRecord[] {
    return [...this.roleAssignments.values()].filter(
      (assignment) => !this.getDirectoryObject(assignment.principalId) && !this.getPartnerReference(assignment.principalId),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // TenantAuthView
  // ---------------------------------------------------------------------------------------------

  personas(): readonly Persona[] {
    return this.personaList;
  }

  findUser(loginOrObjectId: string): SignInUser | undefined {
    const user = this.getUser(loginOrObjectId);
    if (!user) return undefined;
    return {
      objectId: user.id,
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName,
      password: user.password,
      accountEnabled: user.accountEnabled,
    };
  }

  findApplication(appIdOrIdentifierUri: string): AppRegistrationForAuth | undefined {
    const wanted = normaliseIdentifier(appIdOrIdentifierUri);
    const application =
      this.applicationsByAppId.get(wanted) ??
      [...this.applications.values()].find((app) => app.identifierUris.some((uri) => normaliseIdentifier(uri) === wanted));
    if (application) return this.applicationForAuth(application);
    // First-party resources (Graph, ARM) have no application object in this tenant, only a service principal.
    const firstParty = [...this.servicePrincipals.values()].find(
      (sp) =>
        sp.appOwnerOrganizationId === MICROSOFT_SERVICES_TENANT_ID &&
        (sp.appId.toLowerCase() === wanted || sp.servicePrincipalNames.some((name) => normaliseIdentifier(name) === wanted)),
    );
    return firstParty ? this.firstPartyForAuth(firstParty) : undefined;
  }

  userAppRoles(userObjectId: string, resourceAppId: string): readonly string[] {
    const resource = this.getServicePrincipalByAppId(resourceAppId);
    if (!resource) return [];
    const principals = this.appAssignmentPrincipals(userObjectId);
    return this.appRoleValues(resource, (assignment) => principals.has(assignment.principalId.toLowerCase()));
  }

  userMayUseApp(userObjectId: string, appId: string): boolean {
    const servicePrincipal = this.getServicePrincipalByAppId(appId);
    if (!servicePrincipal?.appRoleAssignmentRequired) return true;
    const principals = this.appAssignmentPrincipals(userObjectId);
    return [...this.appRoleAssignments.values()].some(
      (assignment) => assignment.resourceId === servicePrincipal.id && principals.has(assignment.principalId.toLowerCase()),
    );
  }

  /**
   * The user and the security groups they are a direct member of: Entra's group-based assignment to applications
   * "is supported only for security groups" and "nested group memberships aren't supported"
   * (learn.microsoft.com/entra/identity/users/groups-saasapps), so nested members get no app role.
   */
  private appAssignmentPrincipals(userObjectId: string): Set<string> {
    const groups = this.directGroupIds(userObjectId).filter((id) => this.groups.get(id.toLowerCase())?.securityEnabled === true);
    return new Set([userObjectId.toLowerCase(), ...groups.map((id) => id.toLowerCase())]);
  }

  appPermissions(clientAppId: string, resourceAppId: string): readonly string[] {
    const client = this.getServicePrincipalByAppId(clientAppId);
    const resource = this.getServicePrincipalByAppId(resourceAppId);
    if (!client || !resource) return [];
    return this.appRoleValues(resource, (assignment) => assignment.principalId.toLowerCase() === client.id.toLowerCase());
  }

  /**
   * Removes the tenant-wide delegated consent of one client for one resource (what revoking it in the enterprise app's
   * "Permissions" does) and returns the grants removed, so a test can put them back with `addOAuth2PermissionGrant`.
   */
  withdrawDelegatedConsent(clientAppId: string, resourceAppId: string): OAuth2PermissionGrantRecord[] {
    const client = this.getServicePrincipalByAppId(clientAppId);
    const resource = this.getServicePrincipalByAppId(resourceAppId);
    if (!client || !resource) return [];
    const removed = [...this.oauth2PermissionGrants.values()].filter((grant) => grant.clientId === client.id && grant.resourceId === resource.id);
    for (const grant of removed) this.oauth2PermissionGrants.delete(grant.id.toLowerCase());
    return removed;
  }

  delegatedPermissions(clientAppId: string, resourceAppId: string): readonly string[] {
    const client = this.getServicePrincipalByAppId(clientAppId);
    const resource = this.getServicePrincipalByAppId(resourceAppId);
    if (!client || !resource) return [];
    // Microsoft's own public clients are pre-authorized on Graph and ARM: no grant object exists for them.
    const scopes = new Set<string>(findFirstPartyPublicClient(clientAppId)?.preAuthorized[resource.appId] ?? []);
    for (const grant of this.oauth2PermissionGrants.values()) {
      if (grant.clientId === client.id && grant.resourceId === resource.id) grant.scopes.forEach((s) => scopes.add(s));
    }
    return [...scopes];
  }

  /** Registers an SPA redirect URI on an app, as an admin does for each origin a console is served from. */
  addSpaRedirectUri(appId: string, redirectUri: string): void {
    const application = this.getApplicationByAppId(appId);
    if (!application) throw new Error(`No application with appId ${appId} in the sandbox tenant`);
    if (!application.spaRedirectUris.includes(redirectUri)) application.spaRedirectUris.push(redirectUri);
  }

  addApplicationCertificate(appId: string, certificate: ClientCertificateForAuth): void {
    const application = this.getApplicationByAppId(appId);
    if (!application) throw new Error(`No application with appId ${appId} in the sandbox tenant`);
    application.keyCredentials = application.keyCredentials.filter((key) => key.keyId !== certificate.keyId);
    application.keyCredentials.push({
      keyId: certificate.keyId,
      displayName: "CN=sandbox console certificate",
      type: "AsymmetricX509Cert",
      usage: "Verify",
      startDateTime: this.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
      endDateTime: certificate.endDateTime ?? "2299-12-31T00:00:00Z",
      customKeyIdentifier: Buffer.from(certificate.thumbprintSha1, "base64url").toString("hex").toUpperCase(),
      thumbprintSha1: certificate.thumbprintSha1,
      thumbprintSha256: certificate.thumbprintSha256,
      publicKeyPem: certificate.publicKeyPem,
    });
  }

  /**
   * Adds (or replaces, by name) a federated identity credential on an app, as an admin does in "Certificates & secrets
   * → Federated credentials". The launcher registers the console's managed identity this way at every start, because
   * the issuer names the sandbox's own origin.
   */
  addFederatedIdentityCredential(appId: string, credential: FederatedIdentityCredentialRecord): void {
    const application = this.getApplicationByAppId(appId);
    if (!application) throw new Error(`No application with appId ${appId} in the sandbox tenant`);
    application.federatedIdentityCredentials = [
      ...application.federatedIdentityCredentials.filter((existing) => existing.name !== credential.name && existing.id !== credential.id),
      credential,
    ];
  }

  /** Removes every secret and certificate from an app and its service principal (a secretless registration). */
  removeApplicationSecretsAndCertificates(appId: string): void {
    const application = this.getApplicationByAppId(appId);
    if (!application) throw new Error(`No application with appId ${appId} in the sandbox tenant`);
    application.passwordCredentials = [];
    application.keyCredentials = [];
    const servicePrincipal = this.getServicePrincipalByAppId(appId);
    if (servicePrincipal) {
      servicePrincipal.passwordCredentials = [];
      servicePrincipal.keyCredentials = [];
    }
  }

  findManagedIdentity(clientIdObjectIdOrResourceId: string): ManagedIdentityForAuth | undefined {
    const wanted = clientIdObjectIdOrResourceId.trim().toLowerCase();
    for (const sp of this.servicePrincipals.values()) {
      if (sp.servicePrincipalType !== "ManagedIdentity") continue;
      const resourceId = sp.alternativeNames.find((name) => name.startsWith("/")) ?? "";
      if (sp.id.toLowerCase() === wanted || sp.appId.toLowerCase() === wanted || resourceId.toLowerCase() === wanted) {
        return { clientId: sp.appId, principalId: sp.id, displayName: sp.displayName, resourceId };
      }
    }
    return undefined;
  }

  /** The service principal of the user-assigned managed identity with this ARM id (any case), if the tenant has one. */
  userAssignedIdentity(resourceId: string): ServicePrincipalRecord | undefined {
    const wanted = resourceId.toLowerCase();
    for (const sp of this.servicePrincipals.values()) {
      if (sp.servicePrincipalType !== "ManagedIdentity" || !sp.alternativeNames.includes("isExplicit=True")) continue;
      if (sp.alternativeNames.some((name) => name.toLowerCase() === wanted)) return sp;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence
  // ---------------------------------------------------------------------------------------------

  snapshot(): unknown {
    const snapshot: TenantSnapshot = {
      version: SNAPSHOT_VERSION,
      tenantId: this.tenantId,
      createdAt: this.createdAt.toISOString(),
      cloud: this.cloud.name,
      personas: this.personaList,
      users: [...this.users.values()],
      groups: [...this.groups.values()],
      applications: [...this.applications.values()],
      servicePrincipals: [...this.servicePrincipals.values()],
      appRoleAssignments: [...this.appRoleAssignments.values()],
      oauth2PermissionGrants: [...this.oauth2PermissionGrants.values()],
      managementGroups: [...this.managementGroups.values()],
      subscriptions: [...this.subscriptions.values()],
      resourceGroups: [...this.resourceGroups.values()],
      workspaces: [...this.workspaces.values()],
      linkedResources: [...this.linkedResources.values()],
      roleDefinitions: [...this.roleDefinitions.values()],
      roleAssignments: [...this.roleAssignments.values()],
      roleEligibilities: [...this.roleEligibilities.values()],
      roleAssignmentSchedules: [...this.roleAssignmentSchedules.values()],
      denyAssignments: [...this.denyAssignments.values()],
      outbox: this.outbox,
      chatPosts: this.chatPosts,
      chatChannelStates: [...this.chatChannels.values()].map((channel): [string, ChatChannelState] => [channel.name, channel.state]),
      ingestedLogs: this.ingestedLogs,
      armWriteMfaUsers: [...this.armWriteMfaUsers],
      partnerReferences: [...this.partnerReferences.values()],
      directoryReplication: [...this.directoryReplication],
    };
    // A deep copy, so later mutations of the live tenant never leak into a saved snapshot.
    return JSON.parse(JSON.stringify(snapshot)) as unknown;
  }

  /** Rebuilds a tenant from `snapshot()` output (e.g. `.data/sandbox/state.json`). Throws on a foreign shape. */
  static restore(snapshot: unknown): Tenant {
    if (!isTenantSnapshot(snapshot)) throw new Error("Not a sandbox tenant snapshot (or an unsupported version)");
    const copy = JSON.parse(JSON.stringify(snapshot)) as TenantSnapshot;
    const tenant = new Tenant(copy.tenantId, new Date(copy.createdAt), SANDBOX_CLOUDS[copy.cloud ?? "public"]);
    tenant.setPersonas(copy.personas);
    copy.users.forEach((user) => tenant.addUser(user));
    // Groups first without members, so membership indexing sees every group regardless of order.
    copy.groups.forEach((group) => tenant.addGroup(group));
    copy.applications.forEach((application) => tenant.addApplication(application));
    copy.servicePrincipals.forEach((sp) => tenant.addServicePrincipal(sp));
    copy.appRoleAssignments.forEach((assignment) => tenant.addAppRoleAssignment(assignment));
    copy.oauth2PermissionGrants.forEach((grant) => tenant.addOAuth2PermissionGrant(grant));
    // Parents before children, as they were added.
    (copy.managementGroups ?? []).forEach((group) => tenant.addManagementGroup(group));
    copy.subscriptions.forEach((subscription) => tenant.addSubscription(subscription));
    copy.resourceGroups.forEach((rg) => tenant.addResourceGroup(rg));
    copy.workspaces.forEach((workspace) => tenant.addWorkspace(workspace));
    (copy.linkedResources ?? []).forEach((resource) => tenant.addLinkedResource(resource));
    copy.roleDefinitions.forEach((definition) => tenant.addRoleDefinition(definition));
    copy.roleAssignments.forEach((assignment) => tenant.putRoleAssignment(assignment));
    (copy.roleEligibilities ?? []).forEach((eligibility) => tenant.addRoleEligibility(eligibility));
    (copy.roleAssignmentSchedules ?? []).forEach((schedule) => tenant.addRoleAssignmentSchedule(schedule));
    (copy.denyAssignments ?? []).forEach((deny) => tenant.addDenyAssignment(deny));
    tenant.outbox.push(...copy.outbox);
    tenant.chatPosts.push(...(copy.chatPosts ?? []));
    for (const [name, state] of copy.chatChannelStates ?? []) {
      const channel = tenant.chatChannels.get(name);
      if (channel) channel.state = state;
    }
    tenant.ingestedLogs.push(...(copy.ingestedLogs ?? []));
    (copy.armWriteMfaUsers ?? []).forEach((id) => tenant.armWriteMfaUsers.add(id.toLowerCase()));
    (copy.partnerReferences ?? []).forEach((reference) => tenant.addPartnerReference(reference));
    (copy.directoryReplication ?? []).forEach(([id, from]) => tenant.directoryReplication.set(id, from));
    return tenant;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  private assertNewObjectId(id: string): void {
    if (this.getDirectoryObject(id) || this.partnerReferences.has(id.toLowerCase())) throw new Error(`Duplicate directory object id ${id}`);
  }

  private indexMembership(memberId: string, groupId: string): void {
    const key = memberId.toLowerCase();
    let set = this.directGroupsOfMember.get(key);
    if (!set) {
      set = new Set();
      this.directGroupsOfMember.set(key, set);
    }
    set.add(groupId.toLowerCase());
  }

  private appRoleValues(resource: ServicePrincipalRecord, matches: (a: AppRoleAssignmentRecord) => boolean): string[] {
    const values = new Set<string>();
    for (const assignment of this.appRoleAssignments.values()) {
      if (assignment.resourceId !== resource.id || !matches(assignment)) continue;
      const role = resource.appRoles.find((r) => r.id === assignment.appRoleId && r.isEnabled);
      if (role) values.add(role.value);
    }
    return [...values];
  }

  private applicationForAuth(application: ApplicationRecord): AppRegistrationForAuth {
    const servicePrincipal = this.getServicePrincipalByAppId(application.appId);
    return {
      appId: application.appId,
      displayName: application.displayName,
      servicePrincipalId: servicePrincipal?.id ?? "",
      spaRedirectUris: application.spaRedirectUris,
      webRedirectUris: application.webRedirectUris,
      publicClientRedirectUris: application.publicClientRedirectUris,
      // Credentials on the service-principal object authenticate too (Azure/azure-powershell#11825).
      secrets: [...application.passwordCredentials, ...(servicePrincipal?.passwordCredentials ?? [])].map((secret) => ({
        keyId: secret.keyId,
        secretText: secret.secretText,
        endDateTime: secret.endDateTime,
      })),
      certificates: [...application.keyCredentials, ...(servicePrincipal?.keyCredentials ?? [])].flatMap((key) =>
        key.publicKeyPem === null
          ? []
          : [
              {
                keyId: key.keyId,
                thumbprintSha256: key.thumbprintSha256,
                thumbprintSha1: key.thumbprintSha1,
                publicKeyPem: key.publicKeyPem,
                endDateTime: key.endDateTime,
              },
            ],
      ),
      identifierUris: application.identifierUris,
      exposedScopes: application.oauth2PermissionScopes.filter((s) => s.isEnabled).map((s) => s.value),
      appRoles: application.appRoles.filter((r) => r.isEnabled).map((r) => r.value),
      // The sandbox matches exact subjects only: a flexible credential (claims-matching expression) never matches here.
      federatedCredentials: application.federatedIdentityCredentials.flatMap((credential) =>
        credential.subject === null ? [] : [{ name: credential.name, issuer: credential.issuer, subject: credential.subject, audiences: credential.audiences }],
      ),
    };
  }

  private firstPartyForAuth(servicePrincipal: ServicePrincipalRecord): AppRegistrationForAuth {
    return {
      appId: servicePrincipal.appId,
      displayName: servicePrincipal.displayName,
      servicePrincipalId: servicePrincipal.id,
      spaRedirectUris: [],
      webRedirectUris: [],
      publicClientRedirectUris: findFirstPartyPublicClient(servicePrincipal.appId)?.redirectUris ?? [],
      secrets: [],
      certificates: [],
      identifierUris: servicePrincipal.servicePrincipalNames.filter((name) => name.includes("://")),
      exposedScopes: servicePrincipal.oauth2PermissionScopes.map((s) => s.value),
      appRoles: servicePrincipal.appRoles.map((r) => r.value),
      federatedCredentials: [],
    };
  }
}

/** Identifier URIs match case-insensitively and with or without a trailing slash (`https://management.azure.com/`). */
function normaliseIdentifier(value: string): string {
  return value.trim().toLowerCase().replace(/\/+$/, "");
}

function isTenantSnapshot(value: unknown): value is TenantSnapshot {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Record<keyof TenantSnapshot, unknown>>;
  const arrays: (keyof TenantSnapshot)[] = [
    "personas",
    "users",
    "groups",
    "applications",
    "servicePrincipals",
    "appRoleAssignments",
    "oauth2PermissionGrants",
    "subscriptions",
    "resourceGroups",
    "workspaces",
    "roleDefinitions",
    "roleAssignments",
    "outbox",
  ];
  return (
    candidate.version === SNAPSHOT_VERSION &&
    typeof candidate.tenantId === "string" &&
    typeof candidate.createdAt === "string" &&
    arrays.every((key) => Array.isArray(candidate[key]))
  );
}
