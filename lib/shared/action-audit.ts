import type { ConsoleAction } from "./permissions";

/**
 * The audit events each server action writes, per outcome. Every action that is refused (cross-site, no session,
 * console role missing) writes `authz.denied`, in the wrapper. A test checks that every action in the matrix is
 * documented here, so a new action cannot ship without deciding what it records; the grant/revoke tests and the e2e
 * matrix check the events themselves.
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
  searchPrincipals: READ_ONLY,
  checkWorkspaceAccess: READ_ONLY,
  getGrantOptions: READ_ONLY,
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
};
