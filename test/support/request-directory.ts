/**
 * A stand-in for the request flow's directory (Graph and ARM), for state-machine and race tests on storage engines
 * without a sandbox tenant: every workspace exists, every principal is who the form said when it was first named
 * (and stays so), nothing is covered already, no approver has a conflict of interest, every requester keeps their console role, and only the listed privileged roles are privileged. Tests of those checks use
 * the real directory against the sandbox.
 */
import type { RequestDirectory } from "@/lib/requests/directory";
import { PRIVILEGED_ROLE_IDS } from "@/lib/shared/aml-roles";
import type { VerifiedPrincipal } from "@/lib/requests/verify";

const seen = new Map<string, VerifiedPrincipal>();

export const trustingDirectory: RequestDirectory = {
  verifyTargets: (input) => {
    const id = input.principal.id.toLowerCase();
    const principal = seen.get(id) ?? { id, kind: input.principal.kind, displayName: input.principal.displayName, secondaryId: null, flags: [] };
    seen.set(id, principal);
    return Promise.resolve({
      ok: true,
      workspaceName: input.workspaceName || input.workspaceId.split("/").at(-1) || input.workspaceId,
      workspaceTags: {},
      principal,
    });
  },
  findCoverage: () => Promise.resolve(undefined),
  verifyPrincipal: (id) => Promise.resolve(seen.get(id.toLowerCase())),
  approverConflict: () => Promise.resolve(undefined),
  // Without ARM, only the roles Gatehouse always treats as privileged are.
  roleIsPrivileged: (_workspaceId, roleDefinitionId) => Promise.resolve(PRIVILEGED_ROLE_IDS.has(roleDefinitionId.toLowerCase())),
  // Every requester keeps their console role, and nothing is deleted.
  requesterStanding: () => Promise.resolve("ok"),
  findDeleted: () => Promise.resolve(new Set()),
};
