import "server-only";

import { z } from "zod";

import { AppError } from "@/lib/errors";
import { appGraphClient, graphError } from "@/lib/graph/client";
import { memberGroupsAmong } from "@/lib/graph/memberships";
import { readAllPages } from "@/lib/graph/pages";
import { PRIVILEGED_ROLE_IDS } from "@/lib/shared/aml-roles";
import { parseScope } from "@/lib/shared/arm-scope";
import { getRoleDefinitions } from "@/lib/workspaces/role-definitions";
import type { Identity } from "./decision-guards";
import { findDeletedObjects, readRequesterStanding, type RequesterStanding } from "./requester-standing";
import { type Coverage, type CoverageQuery, findCoveringAccess } from "./coverage";
import type { AccessRequestRow } from "./schema";
import { sameKind, type VerifiedKind, type VerifiedPrincipal, verifyPrincipal, verifyWorkspace } from "./verify";

/** What the form (or an admin's grant) says the request is about. */
export interface TargetClaim {
  readonly workspaceId: string;
  readonly workspaceName?: string | undefined;
  readonly principal: { readonly id: string; readonly kind: VerifiedKind; readonly displayName: string };
}

export type TargetCheck =
  | {
      readonly ok: true;
      readonly workspaceName: string;
      /** The workspace's ARM tags, for approver routing. */
      readonly workspaceTags: Readonly<Record<string, string>>;
      readonly principal: VerifiedPrincipal;
    }
  | { readonly ok: false; readonly field: "workspaceId" | "principal"; readonly message: string };

/**
 * What the request flow needs to know from the directory and ARM, as one seam: the real one asks Graph and ARM as the
 * console's own identity; state-machine tests on engines without a sandbox pass a stand-in.
 */
export interface RequestDirectory {
  /** The workspace and principal as ARM and Graph know them, refusing any mismatch with what the form sent. */
  verifyTargets(input: TargetClaim): Promise<TargetCheck>;
  /** Access the principal already has that covers the request (throws when ARM or Graph cannot say). */
  findCoverage(query: CoverageQuery): Promise<Coverage | undefined>;
  /** The principal as Graph knows it now; undefined when it no longer exists. */
  verifyPrincipal(id: string): Promise<VerifiedPrincipal | undefined>;
  /** Why `approverId` may not decide this request (member of the principal group, owner of the service principal). */
  approverConflict(approverId: string, request: AccessRequestRow): Promise<string | undefined>;
  /**
   * Whether the role, as ARM defines it at the workspace, is privileged (can change who has access, or do anything),
   * so that it needs two approvers whatever its name (throws when ARM cannot say).
   */
  roleIsPrivileged(workspaceId: string, roleDefinitionId: string): Promise<boolean>;
  /** Whether the requester still exists and holds a console role that may file requests (throws when Graph cannot say). */
  requesterStanding(requester: Identity): Promise<RequesterStanding>;
  /** Which of these object ids the directory confirms deleted (throws when Graph cannot say). */
  findDeleted(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

const KIND_WORDS: Record<string, string> = {
  user: "user",
  group: "group",
  servicePrincipal: "service principal",
  managedIdentity: "managed identity",
};

function unavailable(what: string): AppError {
  return new AppError({
    code: "upstream_unavailable",
    message: `${what} could not be verified`,
    userMessage: `Gatehouse could not check the ${what} with Azure right now, and approvers must see verified facts. Try again in a minute.`,
  });
}

async function verifyTargets(input: TargetClaim): Promise<TargetCheck> {
  const [workspace, principal] = await Promise.all([
    verifyWorkspace(input.workspaceId).catch(() => {
      throw unavailable("workspace");
    }),
    verifyPrincipal(input.principal.id).catch(() => {
      throw unavailable("identity");
    }),
  ]);
  if (!workspace) return { ok: false, field: "workspaceId", message: "This workspace does not exist in Azure (any more). Choose one from the list." };
  const claimedName = input.workspaceName?.trim();
  if (claimedName && ![workspace.name, workspace.friendlyName].some((name) => name?.toLowerCase() === claimedName.toLowerCase())) {
    return {
      ok: false,
      field: "workspaceId",
      message: `The workspace name sent (${claimedName.slice(0, 80)}) is not the name of that workspace in Azure (${workspace.name}). Choose it again from the list.`,
    };
  }
  if (!principal) {
    return {
      ok: false,
      field: "principal",
      message: "No user, group or service principal with that id exists in the directory. Choose who the access is for from the list.",
    };
  }
  if (!sameKind(input.principal.kind, principal.kind)) {
    return {
      ok: false,
      field: "principal",
      message: `That identity is a ${KIND_WORDS[principal.kind]} in the directory, not a ${KIND_WORDS[input.principal.kind]}. Choose it again from the list.`,
    };
  }
  if (input.principal.displayName.trim() !== principal.displayName.trim()) {
    return {
      ok: false,
      field: "principal",
      message: `The name sent for this identity (${input.principal.displayName.slice(0, 80)}) is not its name in the directory (${principal.displayName}). Choose it again from the list.`,
    };
  }
  return { ok: true, workspaceName: workspace.name, workspaceTags: workspace.tags, principal };
}

async function approverConflict(approverId: string, request: AccessRequestRow): Promise<string | undefined> {
  const kind = request.principalKind as VerifiedKind;
  const client = appGraphClient();
  try {
    if (kind === "group") {
      if ((await memberGroupsAmong(client, approverId, [request.principalId])).has(request.principalId.toLowerCase())) {
        return `You are a member of ${request.principalDisplayName}, so this access would be yours too: another admin has to decide it.`;
      }
    } else if (kind === "servicePrincipal" || kind === "managedIdentity") {
      const owners = await readAllPages(client, `/servicePrincipals/${request.principalId}/owners?$select=id&$top=999`, z.object({ id: z.string() }));
      if (owners.some((owner) => owner.id.toLowerCase() === approverId.toLowerCase())) {
        return `You own the service principal ${request.principalDisplayName}, so this access would be yours to use: another admin has to decide it.`;
      }
    }
  } catch (error) {
    throw graphError(error);
  }
  return undefined;
}

async function roleIsPrivileged(workspaceId: string, roleDefinitionId: string): Promise<boolean> {
  const roleId = roleDefinitionId.toLowerCase();
  if (PRIVILEGED_ROLE_IDS.has(roleId)) return true;
  const workspace = parseScope(workspaceId);
  if (workspace?.level !== "workspace") throw new Error(`not a workspace scope: ${workspaceId.slice(0, 200)}`);
  const definition = (await getRoleDefinitions({ kind: "app" }, workspace.scope)).get(roleId);
  // A role ARM does not list at the workspace cannot be granted there; the grant refuses it, so no approver is needed for it.
  return definition?.privileged ?? false;
}

export const azureRequestDirectory: RequestDirectory = {
  verifyTargets,
  findCoverage: findCoveringAccess,
  verifyPrincipal,
  approverConflict,
  roleIsPrivileged,
  requesterStanding: readRequesterStanding,
  findDeleted: findDeletedObjects,
};
