import "server-only";

import type { ArmIdentity } from "@/lib/arm/client";
import type { DelegatedContext } from "@/lib/auth/caller";
import { type PermissionDeltaPreview, previewPermissionDelta } from "@/lib/permissions/preview-permission-delta";
import { getRequestPolicy, type RequestPolicy } from "@/lib/requests/policy";
import type { ConsoleRole } from "@/lib/shared/console-roles";
import { sameScope } from "@/lib/shared/arm-scope";
import type { LinkedResourceKind } from "./definition";
import { type BundleFactSources, findBundle, placeBundle } from "./plan";
import type { PartState } from "./resolve";
import { azureBundleSources } from "./sources";

export interface BundleDeltaPart {
  readonly key: string;
  readonly roleName: string;
  readonly on: "workspace" | LinkedResourceKind;
  readonly resourceName: string | null;
  readonly state: PartState;
  /** What this part alone would add to what the principal holds on its resource; null when it is not previewed. */
  readonly preview: PermissionDeltaPreview | null;
  /** Why the part is not previewed (not needed here, or its resource cannot be read). */
  readonly note: string | null;
}

export interface BundleDelta {
  readonly bundleId: string;
  readonly bundleName: string;
  readonly workspaceId: string;
  readonly parts: readonly BundleDeltaPart[];
}

export interface PreviewBundleDeltaInput {
  readonly workspaceId: string;
  readonly bundleId: string;
  readonly principalId: string;
}

/**
 * What a bundle would add, part by part, for a principal on a workspace: the bundle is placed on the server (the
 * workspace's links and the bundle's registries read from ARM; no scope comes from the browser), and each part that
 * lands somewhere is previewed on its own resource with the permission delta (current access read as the caller, at
 * that resource and above). A part the workspace does not need (`not_applicable`) or whose resource is gone or hidden
 * (`blocked`) is listed with the reason and not previewed: there is nothing there to compare with.
 *
 * Who may see it: admins, and requesters for the policy's bundles (every bundle is one), as for a single role. An admin
 * places the bundle as themselves, as their grant or approval will; a requester usually has no Azure rights, so the
 * links are read as the console, as the request form's workspaces are, and the bundle's roles count as offered.
 */
export async function previewBundleDelta(
  context: DelegatedContext,
  input: PreviewBundleDeltaInput,
  options: {
    readonly consoleRoles: readonly ConsoleRole[];
    readonly policy?: RequestPolicy;
    readonly sources?: Pick<BundleFactSources, "readLinks" | "readRegistry">;
    readonly now?: number;
  },
): Promise<BundleDelta> {
  const policy = options.policy ?? getRequestPolicy();
  const bundle = findBundle(policy, input.bundleId);
  const admin = options.consoleRoles.includes("Console.Admin");
  const identity: ArmIdentity = admin ? { kind: "delegated", caller: context.caller } : { kind: "app" };
  const plan = await placeBundle(identity, { workspaceId: input.workspaceId, bundleId: bundle.id }, options.sources ?? azureBundleSources, policy);
  const previewed = plan.parts.filter((part) => part.state === "grant" && part.scope !== null);
  const previews = await previewPermissionDelta(
    context,
    { principalId: input.principalId, parts: previewed.map((part) => ({ scope: part.scope!, roleDefinitionId: part.roleDefinitionId })) },
    {
      consoleRoles: options.consoleRoles,
      policy,
      offeredRoleIds: [bundle.workspaceRole.roleDefinitionId, ...bundle.companions.map((companion) => companion.roleDefinitionId)],
      onePerPart: true,
      ...(options.now === undefined ? {} : { now: options.now }),
    },
  );
  return {
    bundleId: plan.bundleId,
    bundleName: plan.bundleName,
    workspaceId: plan.workspaceId,
    parts: plan.parts.map((part): BundleDeltaPart => {
      const preview =
        part.state === "grant" && part.scope !== null
          ? (previews.find(
              (candidate) => sameScope(candidate.scope, part.scope!) && candidate.roles.some((role) => role.id === part.roleDefinitionId.toLowerCase()),
            ) ?? null)
          : null;
      return {
        key: part.key,
        roleName: part.roleName,
        on: part.on,
        resourceName: part.resourceName,
        state: part.state,
        preview,
        note: preview ? null : (part.note ?? null),
      };
    }),
  };
}
