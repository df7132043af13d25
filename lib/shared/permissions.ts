import type { ConsoleRole } from "./console-roles";

/**
 * The permission matrix: every server action, read, page and route handler that needs a console role, and the roles
 * allowed to use it. `kind: "action"` entries must match the production build's server actions exactly (an e2e test
 * compares them with the build's manifest). `kind: "read"` entries are the read-only calls the browser makes while a
 * person works, answered at `POST /api/reads/<name>` through the same steps as a server action: Next dispatches server
 * actions one at a time per page, so a read there would hold up a change clicked while it loads. Another test checks
 * each role × call cell (allowed → runs; denied → no Graph/ARM call and an `authz.denied` audit event).
 *
 * `anyone-signed-in` still requires a valid session; it only waives the console role (signing out must always work).
 * Shared with the browser so it can hide what a person cannot do; the server enforces it on every call.
 */
export type Allowed = readonly ConsoleRole[] | "anyone-signed-in";
type Kind = "action" | "read" | "page" | "route";

const ADMIN: readonly ConsoleRole[] = ["Console.Admin"];
const READERS: readonly ConsoleRole[] = ["Console.Admin", "Console.SecurityReader"];
const EVERY_ROLE: readonly ConsoleRole[] = ["Console.Admin", "Console.Requester", "Console.SecurityReader"];

export const PERMISSIONS = {
  signOut: { kind: "action", allowed: "anyone-signed-in", description: "End your own session" },
  verifyAzureAccess: { kind: "read", allowed: EVERY_ROLE, description: "Check that Gatehouse can reach Graph and ARM as you" },
  endSession: { kind: "action", allowed: "anyone-signed-in", description: "End one of your own sessions (admins: anyone's)" },
  searchSessions: { kind: "read", allowed: ADMIN, description: "Find the live sessions of people by sign-in name or name" },
  searchPrincipals: { kind: "read", allowed: ["Console.Admin", "Console.Requester"], description: "Search users, groups and service principals to grant to" },
  checkWorkspaceAccess: { kind: "read", allowed: READERS, description: "See a principal's effective roles on a workspace" },
  getGrantOptions: { kind: "read", allowed: ADMIN, description: "Roles and assignment budget offered when granting" },
  grantWorkspaceRoles: { kind: "action", allowed: ADMIN, description: "Grant a role on a workspace to principals" },
  revokeWorkspaceRoles: { kind: "action", allowed: ADMIN, description: "Revoke role assignments on a workspace" },
  planBundleGrant: { kind: "read", allowed: ADMIN, description: "See what granting an access bundle on a workspace would do, part by part" },
  grantBundle: { kind: "action", allowed: ADMIN, description: "Grant an access bundle (a workspace role and its companion roles) as one unit" },
  resumeBundleGrant: { kind: "action", allowed: ADMIN, description: "Grant the missing parts of a partial or incomplete bundle" },
  removeBundleGrant: { kind: "action", allowed: ADMIN, description: "Remove an access bundle granted on the workspace page, as one unit" },
  viewWorkspaces: { kind: "page", allowed: READERS, description: "List workspaces and who has access" },
  viewAudit: { kind: "page", allowed: READERS, description: "Search the audit trail" },
  exportAudit: { kind: "route", allowed: READERS, description: "Export the audit trail as CSV or JSON Lines" },
  verifyAuditChain: { kind: "read", allowed: READERS, description: "Verify the audit trail's hash chain now" },
  viewMappings: { kind: "page", allowed: READERS, description: "See group mappings and their drift" },
  mappingRoleOptions: { kind: "read", allowed: ADMIN, description: "List the roles a mapping can give on a workspace" },
  createMapping: { kind: "action", allowed: ADMIN, description: "Map a group to a role on a workspace (and grant it)" },
  deleteMapping: { kind: "action", allowed: ADMIN, description: "Delete a group mapping, optionally revoking its assignment" },
  importWorkspaceMappings: { kind: "action", allowed: ADMIN, description: "Turn a workspace's group assignments into mappings" },
  previewGroupMembers: { kind: "read", allowed: READERS, description: "See the members of a mapped group" },
  exportMappings: { kind: "read", allowed: READERS, description: "Export all group mappings as JSON" },
  importMappings: { kind: "action", allowed: ADMIN, description: "Import a group mappings document (dry run first)" },
  checkMappingDrift: { kind: "read", allowed: READERS, description: "Compare mappings with Azure now" },
  applyReconcile: { kind: "action", allowed: ADMIN, description: "Apply confirmed items of a reconcile plan" },
  viewPolicy: { kind: "page", allowed: ["Console.Admin", "Console.Requester"], description: "Read the access-request policy: roles, bundles, approver routes" },
  viewRequests: { kind: "page", allowed: ["Console.Admin", "Console.Requester"], description: "See your access requests (admins: the approval queue)" },
  submitAccessRequest: { kind: "action", allowed: ["Console.Admin", "Console.Requester"], description: "Ask for a role on a workspace, or an extension" },
  previewPermissionDelta: {
    kind: "read",
    allowed: ["Console.Admin", "Console.Requester"],
    description: "See what a role would add to a principal's access on a workspace",
  },
  previewBundleDelta: {
    kind: "read",
    allowed: ["Console.Admin", "Console.Requester"],
    description: "See what an access bundle would add to a principal's access, part by part, on the resources it lands on",
  },
  cancelAccessRequest: { kind: "action", allowed: ["Console.Admin", "Console.Requester"], description: "Withdraw your own pending access request" },
  // Requesters too: a policy route can make them the approvers of some requests; decide-request.ts checks, per request,
  // that the person is one of those who may decide it.
  approveAccessRequest: {
    kind: "action",
    allowed: ["Console.Admin", "Console.Requester"],
    description: "Approve someone else's access request you may decide (admins; routed approvers), the grant running as you",
  },
  denyAccessRequest: {
    kind: "action",
    allowed: ["Console.Admin", "Console.Requester"],
    description: "Deny an access request you may decide (admins; routed approvers), with a reason",
  },
  retryAccessRequest: { kind: "action", allowed: ADMIN, description: "Retry the grant of a failed access request as you" },
  runRequestJobsNow: { kind: "action", allowed: ADMIN, description: "Run the access-request expiry job now" },
  viewNotifications: { kind: "page", allowed: ADMIN, description: "See how chat channels and mail deliver: pending, sent and given-up notifications" },
  viewCredentials: { kind: "page", allowed: READERS, description: "See expiring credentials and the workspace roles they unlock" },
  exportCredentials: { kind: "route", allowed: READERS, description: "Export the credentials dashboard's current view as CSV" },
  refreshCredentialInventory: { kind: "action", allowed: READERS, description: "Refresh the credential inventory now (read-only in Azure)" },
  getCredentialRefreshStatus: { kind: "read", allowed: READERS, description: "Follow the progress of a credential inventory refresh" },
} as const satisfies Record<string, { kind: Kind; allowed: Allowed; description: string }>;

export type Permission = keyof typeof PERMISSIONS;
/** A call the browser makes through the action pipeline (`serverAction()`): a server action or a read. */
export type ConsoleAction = { [K in Permission]: (typeof PERMISSIONS)[K]["kind"] extends "action" | "read" ? K : never }[Permission];
/** A read-only call answered by the reads route, not by a server action. */
export type ConsoleRead = { [K in Permission]: (typeof PERMISSIONS)[K]["kind"] extends "read" ? K : never }[Permission];

export function isAllowed(permission: Permission, roles: readonly ConsoleRole[]): boolean {
  const allowed: Allowed = PERMISSIONS[permission].allowed;
  return allowed === "anyone-signed-in" || allowed.some((role) => roles.includes(role));
}

function namesOfKind(...kinds: readonly Kind[]): string[] {
  return Object.entries(PERMISSIONS)
    .filter(([, entry]) => kinds.includes(entry.kind))
    .map(([name]) => name);
}

/** Every call through the action pipeline: the server actions and the reads. */
export function actionNames(): string[] {
  return namesOfKind("action", "read");
}

/** The server actions alone: what the production build's manifest lists. */
export function serverActionNames(): string[] {
  return namesOfKind("action");
}

export function isRead(name: string): name is ConsoleRead {
  return Object.hasOwn(PERMISSIONS, name) && PERMISSIONS[name as Permission].kind === "read";
}
