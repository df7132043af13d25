import type { ConsoleAction } from "./permissions";

/**
 * The audit events each server action writes, per outcome. Every action refused to a signed-in person (cross-site,
 * console role missing, or the first time in a minute its rate limit is hit) writes `authz.denied`, in the wrapper; a
 * refusal of an unidentified caller (no session) is counted into `security.refusals_counted`, one event per source
 * address and minute. A test checks that every action in the matrix is documented here, so a new action cannot ship
 * without deciding what it records; the grant/revoke tests and the e2e matrix check the events themselves.
 *
 * Event names are the catalogue's (`lib/audit/events.ts`); read-only actions record nothing when they run.
 */
export interface ActionAuditContract {
  /** Events per item changed when it succeeds (grant/revoke: one pair per principal or assignment). */
  readonly succeeded: readonly string[];
  /** Events per item when ARM refuses or fails it. */
  readonly failed: readonly string[];
  readonly readOnly: boolean;
}

const READ_ONLY: ActionAuditContract = { succeeded: [], failed: [], readOnly: true };

export const ACTION_AUDIT: Record<ConsoleAction, ActionAuditContract> = {
  signOut: { succeeded: ["auth.signed_out"], failed: [], readOnly: false },
  verifyAzureAccess: READ_ONLY,
  endSession: { succeeded: ["auth.session_ended"], failed: [], readOnly: false },
  searchSessions: READ_ONLY,
  searchPrincipals: READ_ONLY,
  checkWorkspaceAccess: READ_ONLY,
  getGrantOptions: READ_ONLY,
  previewPermissionDelta: READ_ONLY,
  previewBundleDelta: READ_ONLY,
  verifyAuditChain: READ_ONLY,
  grantWorkspaceRoles: {
    succeeded: ["role_assignment.grant_requested", "role_assignment.granted"],
    failed: ["role_assignment.grant_requested", "role_assignment.grant_failed"],
    readOnly: false,
  },
  revokeWorkspaceRoles: {
    succeeded: ["role_assignment.revoke_requested", "role_assignment.revoked"],
    failed: ["role_assignment.revoke_requested", "role_assignment.revoke_failed"],
    readOnly: false,
  },
  planBundleGrant: READ_ONLY,
  // Per part, the grant or revoke pair; then one bundle.changed for the bundle as a whole.
  grantBundle: {
    succeeded: ["bundle.changed", "role_assignment.grant_requested", "role_assignment.granted"],
    failed: ["bundle.changed", "role_assignment.grant_requested", "role_assignment.grant_failed"],
    readOnly: false,
  },
  resumeBundleGrant: {
    succeeded: ["role_assignment.grant_requested", "role_assignment.granted", "bundle.changed"],
    failed: ["role_assignment.grant_requested", "role_assignment.grant_failed", "bundle.changed"],
    readOnly: false,
  },
  removeBundleGrant: {
    succeeded: ["role_assignment.revoke_requested", "role_assignment.revoked", "bundle.changed"],
    failed: ["role_assignment.revoke_requested", "role_assignment.revoke_failed", "bundle.changed"],
    readOnly: false,
  },
  mappingRoleOptions: READ_ONLY,
  previewGroupMembers: READ_ONLY,
  exportMappings: READ_ONLY,
  checkMappingDrift: READ_ONLY,
  createMapping: {
    succeeded: ["mapping.created", "role_assignment.grant_requested", "role_assignment.granted"],
    // ARM refused the grant: the mapping is removed again, with its own event.
    failed: ["mapping.created", "role_assignment.grant_requested", "role_assignment.grant_failed", "mapping.deleted"],
    readOnly: false,
  },
  deleteMapping: {
    // With the revoke option, the revoke pair comes first; a failed revoke keeps the mapping.
    succeeded: ["role_assignment.revoke_requested", "role_assignment.revoked", "mapping.deleted"],
    failed: ["role_assignment.revoke_requested", "role_assignment.revoke_failed"],
    readOnly: false,
  },
  importWorkspaceMappings: { succeeded: ["mapping.created", "mapping.imported"], failed: [], readOnly: false },
  importMappings: {
    // Per created mapping as createMapping, per removed one as deleteMapping, then one mapping.imported with counts.
    succeeded: ["mapping.created", "role_assignment.grant_requested", "role_assignment.granted", "mapping.deleted", "mapping.imported"],
    failed: ["mapping.created", "role_assignment.grant_requested", "role_assignment.grant_failed", "mapping.deleted", "mapping.imported"],
    readOnly: false,
  },
  applyReconcile: {
    succeeded: [
      "role_assignment.grant_requested",
      "role_assignment.granted",
      "role_assignment.revoke_requested",
      "role_assignment.revoked",
      "reconcile.item_applied",
    ],
    failed: [
      "role_assignment.grant_requested",
      "role_assignment.grant_failed",
      "role_assignment.revoke_requested",
      "role_assignment.revoke_failed",
      "reconcile.item_failed",
    ],
    readOnly: false,
  },
  submitAccessRequest: { succeeded: ["request.submitted"], failed: [], readOnly: false },
  cancelAccessRequest: { succeeded: ["request.cancelled"], failed: [], readOnly: false },
  approveAccessRequest: {
    succeeded: [
      "request.approval_recorded",
      "request.approved",
      "role_assignment.grant_requested",
      "role_assignment.granted",
      "request.granted",
      "request.extended",
    ],
    failed: ["request.approved", "role_assignment.grant_requested", "role_assignment.grant_failed", "request.failed"],
    readOnly: false,
  },
  denyAccessRequest: { succeeded: ["request.denied"], failed: [], readOnly: false },
  retryAccessRequest: {
    succeeded: ["request.approved", "role_assignment.grant_requested", "role_assignment.granted", "request.granted"],
    failed: ["request.approved", "role_assignment.grant_requested", "role_assignment.grant_failed", "request.failed"],
    readOnly: false,
  },
  runRequestJobsNow: {
    succeeded: ["request.lapsed", "role_assignment.revoke_requested", "role_assignment.revoked", "request.expired"],
    failed: ["role_assignment.revoke_requested", "role_assignment.revoke_failed", "request.expired"],
    readOnly: false,
  },
  refreshCredentialInventory: { succeeded: ["credential_inventory.refresh_requested"], failed: [], readOnly: false },
  getCredentialRefreshStatus: READ_ONLY,
};
