/**
 * Who may do what, written out by hand: the expected answer of every permission-matrix cell and of every request
 * action in every request state. Deliberately NOT derived from `lib/shared/permissions.ts` or `lib/requests/*`: tests
 * compare the server against this table (test/security/permission-table.test.ts, e2e/permissions.spec.ts), so a
 * change to either side fails until both say the same. Change it only when the intended rule changes.
 */

/** A column per console role, and one for a signed-in person with none. */
export type Column = "admin" | "requester" | "securityReader" | "noRole";
export const COLUMNS: readonly Column[] = ["admin", "requester", "securityReader", "noRole"];
export type Cell = "allow" | "deny";
type Row = Readonly<Record<Column, Cell>>;

/** The app role each column stands for (a token's `roles` claim); `noRole` carries none. */
export const COLUMN_ROLE: Readonly<Record<Column, string | null>> = {
  admin: "Console.Admin",
  requester: "Console.Requester",
  securityReader: "Console.SecurityReader",
  noRole: null,
};

const row = (admin: Cell, requester: Cell, securityReader: Cell, noRole: Cell): Row => ({ admin, requester, securityReader, noRole });

/** Every server action, page and route handler that needs a session. Order: admin, requester, security reader, no role. */
export const PERMISSION_TABLE = {
  // Anyone signed in
  signOut: row("allow", "allow", "allow", "allow"),
  verifyAzureAccess: row("allow", "allow", "allow", "deny"),
  // Sessions: anyone ends their own (the operation checks whose it is; admins may end anyone's); only admins search.
  endSession: row("allow", "allow", "allow", "allow"),
  searchSessions: row("allow", "deny", "deny", "deny"),
  // Workspaces
  searchPrincipals: row("allow", "allow", "deny", "deny"),
  checkWorkspaceAccess: row("allow", "deny", "allow", "deny"),
  getGrantOptions: row("allow", "deny", "deny", "deny"),
  grantWorkspaceRoles: row("allow", "deny", "deny", "deny"),
  revokeWorkspaceRoles: row("allow", "deny", "deny", "deny"),
  planBundleGrant: row("allow", "deny", "deny", "deny"),
  grantBundle: row("allow", "deny", "deny", "deny"),
  resumeBundleGrant: row("allow", "deny", "deny", "deny"),
  removeBundleGrant: row("allow", "deny", "deny", "deny"),
  viewWorkspaces: row("allow", "deny", "allow", "deny"),
  // Audit
  viewAudit: row("allow", "deny", "allow", "deny"),
  exportAudit: row("allow", "deny", "allow", "deny"),
  verifyAuditChain: row("allow", "deny", "allow", "deny"),
  // Mappings
  viewMappings: row("allow", "deny", "allow", "deny"),
  mappingRoleOptions: row("allow", "deny", "deny", "deny"),
  createMapping: row("allow", "deny", "deny", "deny"),
  deleteMapping: row("allow", "deny", "deny", "deny"),
  importWorkspaceMappings: row("allow", "deny", "deny", "deny"),
  previewGroupMembers: row("allow", "deny", "allow", "deny"),
  exportMappings: row("allow", "deny", "allow", "deny"),
  importMappings: row("allow", "deny", "deny", "deny"),
  checkMappingDrift: row("allow", "deny", "allow", "deny"),
  applyReconcile: row("allow", "deny", "deny", "deny"),
  // Access requests
  viewRequests: row("allow", "allow", "deny", "deny"),
  viewPolicy: row("allow", "allow", "deny", "deny"),
  submitAccessRequest: row("allow", "allow", "deny", "deny"),
  // The delta of a role: whoever may file a request (requesters for the policy's roles) and admins (grant, approve).
  previewPermissionDelta: row("allow", "allow", "deny", "deny"),
  // A bundle's delta, part by part: the same people (requesters for the policy's bundles).
  previewBundleDelta: row("allow", "allow", "deny", "deny"),
  cancelAccessRequest: row("allow", "allow", "deny", "deny"),
  // Requesters reach the operation, which lets them decide only requests an approver route gives them (the table
  // below: a request without a route is an admin's; routing.test.ts and e2e/routing.spec.ts cover routed requests).
  approveAccessRequest: row("allow", "allow", "deny", "deny"),
  denyAccessRequest: row("allow", "allow", "deny", "deny"),
  retryAccessRequest: row("allow", "deny", "deny", "deny"),
  runRequestJobsNow: row("allow", "deny", "deny", "deny"),
  // Credentials
  viewCredentials: row("allow", "deny", "allow", "deny"),
  // Notifications: delivery health (channel names and hosts, failures) is for admins.
  viewNotifications: row("allow", "deny", "deny", "deny"),
  exportCredentials: row("allow", "deny", "allow", "deny"),
  refreshCredentialInventory: row("allow", "deny", "allow", "deny"),
  getCredentialRefreshStatus: row("allow", "deny", "allow", "deny"),
} as const satisfies Record<string, Row>;

export type TablePermission = keyof typeof PERMISSION_TABLE;

/** The sandbox personas' columns (their app roles in the seeded tenant). */
export const PERSONA_COLUMN = {
  admin: "admin",
  "limited-admin": "admin",
  "step-up-admin": "admin",
  "team-lead": "requester",
  security: "securityReader",
  "no-role": "noRole",
  "fraud-owner": "requester",
} as const satisfies Record<string, Column>;

/** The answer for a person holding several roles: allowed when any of their roles is. */
export function expectedCell(permission: TablePermission, columns: readonly Column[]): Cell {
  return columns.some((column) => PERMISSION_TABLE[permission][column] === "allow") ? "allow" : "deny";
}

// ---- Request actions by request state ------------------------------------------------------------------------------

/** The states a request can be in when someone acts on it (`pending-lapsed`: still pending, past its decision deadline). */
export const REQUEST_STATES = [
  "pending",
  "pending-lapsed",
  "approved",
  "granted",
  "expiring",
  "expiry_failed",
  "expired",
  "revoked",
  "extended",
  "covered",
  "superseded",
  "denied",
  "cancelled",
  "lapsed",
  "failed",
] as const;
export type RequestStateName = (typeof REQUEST_STATES)[number];

/**
 * Who acts: the person who filed the request; another requester; an admin with no part in it; an admin who is the
 * principal receiving the access (separation of duties).
 */
export type Actor = "requester" | "otherRequester" | "admin" | "adminReceiving";
export const ACTORS: readonly Actor[] = ["requester", "otherRequester", "admin", "adminReceiving"];
export type RequestAction = "cancel" | "approve" | "deny" | "retry";
export const REQUEST_ACTIONS: readonly RequestAction[] = ["cancel", "approve", "deny", "retry"];

/**
 * The outcome: `ok` (carried out), or the refusal's code. `forbidden`: the console role may not use the action (the
 * permission matrix) or separation of duties; `not_found`: someone else's request, answered as if it did not exist;
 * `conflict`: the request is not in a state the action applies to (already decided, lapsed).
 */
export type Outcome = "ok" | "forbidden" | "not_found" | "conflict";

/** What each actor gets for each action on a request in each state. */
export function expectedRequestOutcome(action: RequestAction, state: RequestStateName, actor: Actor): Outcome {
  switch (action) {
    case "cancel":
      // Only the requester, only while pending (a pending one past its deadline may still be withdrawn).
      if (actor !== "requester") return "not_found";
      return state === "pending" || state === "pending-lapsed" ? "ok" : "conflict";
    case "approve":
      // A requester on a request no route gives them: refused whatever its state (not a routed approver).
      if (actor === "requester" || actor === "otherRequester") return "forbidden";
      if (actor === "adminReceiving") return "forbidden";
      if (state === "pending") return "ok";
      return "conflict"; // decided already, or past its deadline (then closed as lapsed: expectedStatusAfterRefusal)
    case "deny":
      if (actor === "requester" || actor === "otherRequester") return "forbidden";
      // Denying gives nobody anything: an admin may deny any pending request, their own access included, even late.
      return state === "pending" || state === "pending-lapsed" ? "ok" : "conflict";
    case "retry":
      if (actor === "requester" || actor === "otherRequester") return "forbidden";
      if (actor === "adminReceiving") return "forbidden";
      return state === "failed" ? "ok" : "conflict";
  }
}

/**
 * The status a request is left in when the action is refused: unchanged, except that an admin trying to approve a
 * pending request past its deadline closes it as `lapsed` (it can no longer be granted, and the trail says why).
 */
export function expectedStatusAfterRefusal(action: RequestAction, state: RequestStateName, actor: Actor): string {
  if (action === "approve" && state === "pending-lapsed" && actor === "admin") return "lapsed";
  return state === "pending-lapsed" ? "pending" : state;
}
