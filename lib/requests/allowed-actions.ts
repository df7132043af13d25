import "server-only";

import type { ConsoleRole } from "@/lib/shared/console-roles";
import { isAllowed } from "@/lib/shared/permissions";
import { isPrincipal, isRequester as isRequestOf } from "./decision-guards";
import { durationChoices, type DurationChoice, type RequestPolicy } from "./policy";
import type { AccessRequestRow } from "./schema";
import { PRINCIPAL_KINDS } from "./submit-request";

/** What an extension dialog needs: the same workspace, role and principal, and the durations the policy allows now. */
export interface ExtensionOptions {
  readonly workspaceId: string;
  readonly workspaceName: string;
  readonly roleDefinitionId: string;
  readonly principal: { readonly id: string; readonly kind: (typeof PRINCIPAL_KINDS)[number]; readonly displayName: string };
  readonly durations: readonly DurationChoice[];
  /** ISO time the current access ends. */
  readonly expiresAt: string;
}

/** The buttons a request page offers the viewer. The server checks each action again when it runs. */
export interface AllowedActions {
  readonly cancel: boolean;
  readonly decide: boolean;
  readonly retry: boolean;
  /** Present when the viewer may ask to extend this granted, time-bound access. */
  readonly extend: ExtensionOptions | null;
  /** The viewer filed this request or receives the access: the server will refuse their approval. */
  readonly selfInvolved: boolean;
}

/** The facts about a request that decide what may be done with it. */
export type RequestState = Pick<
  AccessRequestRow,
  | "status"
  | "requesterTenantId"
  | "requesterObjectId"
  | "principalId"
  | "principalKind"
  | "principalDisplayName"
  | "expiresAt"
  | "workspaceId"
  | "workspaceName"
  | "roleDefinitionId"
> & {
  /** A bundle request cannot be extended (yet): it is asked for again. */
  readonly bundleId?: string | null;
};

export interface Viewer {
  readonly tenantId: string;
  readonly objectId: string;
  readonly roles: readonly ConsoleRole[];
}

/**
 * Which actions a viewer may take on a request in its current state: withdraw their own pending request; decide a
 * pending one (with both the approve and deny permissions, when its approver route lets them: `decides`); retry a failed grant; ask to extend granted, time-bound
 * access they asked for (or any, as an admin) while its role is still requestable — for a finite duration only.
 */
export function allowedActions(request: RequestState, viewer: Viewer, policy: RequestPolicy, decides?: boolean): AllowedActions {
  const may = (action: Parameters<typeof isAllowed>[0]) => isAllowed(action, viewer.roles);
  const isAdmin = viewer.roles.includes("Console.Admin");
  const isRequester = isRequestOf(viewer, request);
  const policyRole = request.bundleId ? undefined : policy.roles.find((role) => role.roleDefinitionId === request.roleDefinitionId);
  const kind = PRINCIPAL_KINDS.find((candidate) => candidate === request.principalKind);
  const extendable = request.status === "granted" && request.expiresAt !== null && (isRequester || isAdmin) && may("submitAccessRequest") && policyRole && kind;
  return {
    cancel: request.status === "pending" && isRequester && may("cancelAccessRequest"),
    // `decides`: the request's route lets the viewer decide its next step (routing.ts); without it, admins decide.
    decide: request.status === "pending" && may("approveAccessRequest") && may("denyAccessRequest") && (decides ?? isAdmin),
    retry: request.status === "failed" && may("retryAccessRequest"),
    extend:
      extendable && request.expiresAt
        ? {
            workspaceId: request.workspaceId,
            workspaceName: request.workspaceName,
            roleDefinitionId: request.roleDefinitionId,
            principal: { id: request.principalId, kind, displayName: request.principalDisplayName },
            durations: durationChoices(policy, policyRole).filter((choice) => choice.value !== "permanent"),
            expiresAt: request.expiresAt.toISOString(),
          }
        : null,
    selfInvolved: isRequester || isPrincipal(viewer, request),
  };
}
