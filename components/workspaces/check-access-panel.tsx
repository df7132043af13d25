"use client";

import { useMemo, useState, useTransition } from "react";

import { formatDateTime, kindLabel } from "@/components/shared/format";
import { PrincipalPicker } from "@/components/shared/principal-picker";
import { localPrincipalSearch, searchDirectory } from "@/components/shared/principal-search";
import { checkWorkspaceAccess } from "@/components/shared/reads";
import { useLatestCall } from "@/components/shared/use-latest-call";
import { ResultText } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal, ResolvedPrincipal } from "@/lib/graph/principals";
import { ORIGIN_LABELS } from "@/lib/shared/arm-scope";
import type { ActionResult } from "@/lib/shared/action-result";
import type { EffectiveAccess, EffectiveGrant } from "@/lib/workspaces/check-workspace-access";
import { denyAppliesTo } from "./beyond-assignments";

const directorySearch = searchDirectory();

/**
 * "Check access": a principal's effective roles on the workspace, direct or through (nested) groups, and where each
 * comes from. People who may not search the directory pick among the principals already on this page.
 */
export function CheckAccessPanel({
  workspaceId,
  canSearchDirectory,
  knownPrincipals,
}: {
  workspaceId: string;
  canSearchDirectory: boolean;
  /** The principals on the page (a partner's group among them is skipped: Gatehouse neither grants to nor checks it). */
  knownPrincipals: readonly ResolvedPrincipal[];
}) {
  const [principal, setPrincipal] = useState<DirectoryPrincipal | null>(null);
  const [result, setResult] = useState<ActionResult<EffectiveAccess> | null>(null);
  const [pending, startTransition] = useTransition();
  const startCall = useLatestCall();
  const search = useMemo(
    () => (canSearchDirectory ? directorySearch : localPrincipalSearch(directoryPrincipals(knownPrincipals))),
    [canSearchDirectory, knownPrincipals],
  );

  function check(target: DirectoryPrincipal) {
    setPrincipal(target);
    setResult(null);
    const isLatest = startCall();
    startTransition(async () => {
      const answer = await checkWorkspaceAccess({ workspaceId, principalId: target.id });
      if (isLatest()) setResult(answer);
    });
  }

  return (
    <section aria-labelledby="check-access-heading" className="space-y-3 rounded-md border border-line bg-surface-raised px-4 py-3">
      <h2 id="check-access-heading" className="font-semibold">
        Check access
      </h2>
      <PrincipalPicker
        label="Whose access?"
        hint={
          canSearchDirectory
            ? "A user, group or service principal: see every role they have here, including through groups and inherited scopes."
            : "Choose among the principals assigned on this workspace, or paste an object id."
        }
        search={
          canSearchDirectory
            ? search
            : async (query) => {
                const local = await search(query);
                if (local.ok && local.principals.length === 0 && /^[0-9a-f-]{36}$/i.test(query)) {
                  return { ok: true, principals: [{ id: query.toLowerCase(), kind: "user", displayName: query, secondaryId: null }] };
                }
                return local;
              }
        }
        selected={principal ? [principal] : []}
        onChange={(chosen) => {
          const first = chosen[0];
          if (first) check(first);
        }}
        multiple={false}
      />
      <div aria-live="polite" aria-busy={pending}>
        {pending && principal && <p className="text-ink-muted">Checking {principal.displayName}…</p>}
        {result?.status === "error" && <ResultText message={result.message} reference={result.reference} />}
        {result?.status === "success" && <EffectiveAccessList access={result.data} />}
      </div>
    </section>
  );
}

function summary(access: EffectiveAccess): string {
  const { grants, eligible } = access;
  const roles = `${grants.length} role${grants.length === 1 ? "" : "s"}`;
  const eligibleRoles = `eligible (PIM) for ${eligible.length} role${eligible.length === 1 ? "" : "s"}`;
  if (grants.length === 0 && eligible.length === 0) {
    return access.beyondAssignmentsNotice ? " has no active role on this workspace." : " has no role on this workspace.";
  }
  if (grants.length === 0) return ` has no active role on this workspace, but is ${eligibleRoles}:`;
  return eligible.length === 0 ? ` has ${roles} on this workspace:` : ` has ${roles} on this workspace and is ${eligibleRoles}:`;
}

export function EffectiveAccessList({ access }: { access: EffectiveAccess }) {
  const { principal, grants, eligible, denies } = access;
  return (
    <div className="space-y-2">
      <p>
        <span className="font-medium">{principal.displayName}</span>{" "}
        <span className="text-ink-muted">
          ({kindLabel(principal.kind)}
          {principal.secondaryId ? `, ${principal.secondaryId}` : ""})
        </span>
        {summary(access)}
      </p>
      {(grants.length > 0 || eligible.length > 0) && (
        <ul className="divide-y divide-line rounded-md border border-line" aria-label={`Effective roles of ${principal.displayName}`}>
          {grants.map((grant, index) => (
            <li key={`${grant.roleDefinitionId}-${grant.scope}-${grant.assignedTo.id}-${index}`} className="flex flex-wrap gap-x-4 gap-y-0.5 px-3 py-2">
              <span className="font-medium">{grant.roleName}</span>
              <span>{path(grant)}</span>
              <span className="text-ink-muted" title={grant.scope}>
                from {ORIGIN_LABELS[grant.origin]}
              </span>
              {grant.pim && (
                <span className="text-warning">
                  {grant.pim.assignmentType === "Activated" ? "PIM-activated" : "PIM assignment"}
                  {grant.pim.endDateTime ? ` until ${formatDateTime(grant.pim.endDateTime)}` : ""}
                </span>
              )}
              {grant.condition && (
                <span className="basis-full break-all font-mono text-xs">
                  <span className="font-sans text-warning">Only where this condition holds: </span>
                  {grant.condition}
                </span>
              )}
            </li>
          ))}
          {eligible.map((grant, index) => (
            <li key={`eligible-${grant.roleDefinitionId}-${grant.scope}-${index}`} className="flex flex-wrap gap-x-4 gap-y-0.5 px-3 py-2">
              <span className="font-medium">{grant.roleName}</span>
              <span className="rounded bg-accent/15 px-1.5 py-0.5 text-xs font-medium text-accent">eligible (PIM)</span>
              <span>{grant.throughGroup ? `through ${grant.throughGroup.displayName}` : "direct"}</span>
              <span className="text-ink-muted" title={grant.scope}>
                from {ORIGIN_LABELS[grant.origin]}
              </span>
              <span className="text-ink-muted">{grant.endDateTime ? `eligible until ${formatDateTime(grant.endDateTime)}` : "permanently eligible"}</span>
              {grant.condition && <span className="basis-full break-all font-mono text-xs">{grant.condition}</span>}
            </li>
          ))}
        </ul>
      )}
      {denies.length > 0 && (
        <ul className="divide-y divide-line rounded-md border border-danger/40" aria-label={`Deny assignments that apply to ${principal.displayName}`}>
          {denies.map((deny) => (
            <li key={deny.id} className="px-3 py-2">
              <span className="font-medium text-danger">Denied by {deny.name}</span>:{" "}
              <span className="break-all font-mono text-xs">{[...deny.actions, ...deny.dataActions].join(", ")}</span>
              {deny.notActions.length > 0 && <span className="text-ink-muted"> (except {deny.notActions.join(", ")})</span>}
              <span className="text-ink-muted"> — applies to {denyAppliesTo(deny)}, whatever their roles allow</span>
            </li>
          ))}
        </ul>
      )}
      {access.beyondAssignmentsNotice && (
        <p role="status" className="text-warning">
          {access.beyondAssignmentsNotice}
        </p>
      )}
    </div>
  );
}

function path(grant: EffectiveGrant): string {
  if (grant.via === null) return `through ${grant.assignedTo.displayName} (the group path could not be worked out)`;
  if (grant.via.length === 0) return "direct";
  return `through ${grant.via.map((step) => step.displayName).join(" → ")}`;
}

function directoryPrincipals(principals: readonly ResolvedPrincipal[]): DirectoryPrincipal[] {
  const byId = new Map<string, DirectoryPrincipal>();
  for (const principal of principals) if (principal.kind !== "partner") byId.set(principal.id, principal);
  return [...byId.values()];
}
