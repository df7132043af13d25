"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { applyReconcile } from "@/app/actions/mappings";
import { ResumedNotice, StepUpPrompt, useReadyToRetry, useResumedStepUp } from "@/components/auth/step-up";
import { checkMappingDrift } from "@/components/shared/reads";
import { useLatestCall } from "@/components/shared/use-latest-call";
import { Button } from "@/components/ui/button";
import { MessageWithReference, ResultText } from "@/components/ui/message-with-reference";
import type { DriftReport, WorkspaceDrift } from "@/lib/mappings/collect";
import type { DriftKind } from "@/lib/mappings/drift";
import type { StoredDriftReport } from "@/lib/mappings/drift-job";
import type { ReconcileItemResult } from "@/lib/mappings/reconcile";
import type { WorkspaceOption } from "./model";

const LABELS: Record<DriftKind, string> = {
  missing: "Mapped but missing in Azure",
  unmapped_group: "Group assignment not mapped",
  redundant_direct: "Redundant direct assignment",
  deleted_principal: "Assigned to a deleted identity",
  mapped_group_deleted: "Mapped group was deleted",
};

const ALL = "";

/** What a plan keeps across signing in again for a claims challenge: the workspace and the changes to apply again. */
interface ReconcileChoices {
  readonly workspaceId: string;
  readonly keys: readonly string[];
}

const RESUME_KEY = "mapping:reconcile";

function formatTime(iso: string): string {
  return `${new Date(iso).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" })} UTC`;
}

function summary(report: DriftReport): string {
  const items = report.workspaces.flatMap((w) => w.items);
  const counts = new Map<DriftKind, number>();
  for (const item of items) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
  if (items.length === 0) return "no drift";
  return [...counts].map(([kind, count]) => `${count} × ${LABELS[kind].toLowerCase()}`).join(", ");
}

/** The drift report (the latest scheduled one, or checked now as you) and, for admins, a reconcile plan per workspace. */
export function DriftPanel({ workspaces, latest, canAdmin }: { workspaces: readonly WorkspaceOption[]; latest: StoredDriftReport | null; canAdmin: boolean }) {
  const [scope, setScope] = useState(ALL);
  const [report, setReport] = useState<DriftReport | null>(null);
  const [failure, setFailure] = useState<{ message: string; reference?: string | undefined } | null>(null);
  const [pending, startTransition] = useTransition();
  const startCall = useLatestCall();
  // Back from signing in again for a claims challenge: check that workspace again, with the same changes chosen.
  const resumed = useResumedStepUp<ReconcileChoices>(RESUME_KEY, (choices) => {
    setScope(choices.workspaceId);
    check(choices.workspaceId);
  });

  function check(workspaceId = scope) {
    const isLatest = startCall();
    startTransition(async () => {
      const outcome = await checkMappingDrift(workspaceId ? { workspaceId } : {});
      if (!isLatest()) return;
      if (outcome.status === "error") return setFailure({ message: outcome.message, reference: outcome.reference });
      setFailure(null);
      setReport(outcome.data);
    });
  }

  const shown = report ?? latest?.report ?? null;
  return (
    <section aria-labelledby="drift-heading" className="space-y-3">
      <h2 id="drift-heading" className="text-lg font-semibold">
        Drift
      </h2>
      <p className="text-ink-muted" data-testid="scheduled-drift">
        {latest
          ? `Last scheduled check (Gatehouse's own identity): ${formatTime(latest.checkedAt)} — ${summary(latest.report)}.`
          : "The scheduled drift check has not run yet."}
      </p>
      <div className="flex flex-wrap items-end gap-2">
        <label className="flex flex-col gap-1">
          <span>Workspace to check</span>
          <select
            aria-label="Workspace to check"
            value={scope}
            onChange={(event) => setScope(event.target.value)}
            className="rounded border border-line bg-surface-raised px-2 py-1.5"
          >
            <option value={ALL}>All workspaces</option>
            {workspaces.map((workspace) => (
              <option key={workspace.id} value={workspace.id}>
                {workspace.name}
              </option>
            ))}
          </select>
        </label>
        <Button variant="primary" onClick={() => check()} disabled={pending}>
          {pending ? "Checking…" : "Check drift now"}
        </Button>
      </div>
      <div aria-live="polite">{failure && <ResultText message={failure.message} reference={failure.reference} />}</div>
      {shown && (
        <div className="space-y-3" role="region" aria-label="Drift report">
          <p>
            {report ? `Checked ${formatTime(report.generatedAt)} as you` : "From the last scheduled check"}: {summary(shown)}.
            {!shown.principalsResolved && " Names could not be read from Microsoft Graph, so no identity is reported as deleted."}
          </p>
          {shown.workspaces
            .filter((workspace) => workspace.items.length > 0 || workspace.error || (workspace.unreadGroups?.length ?? 0) > 0)
            .map((workspace) => (
              <WorkspacePlan
                key={`${workspace.workspaceId}-${report?.generatedAt ?? latest?.checkedAt}`}
                workspace={workspace}
                canAdmin={canAdmin && report !== null}
                onApplied={() => check()}
                resumedKeys={resumed && report && resumed.workspaceId.toLowerCase() === workspace.workspaceId.toLowerCase() ? resumed.keys : undefined}
              />
            ))}
        </div>
      )}
    </section>
  );
}

const RESULT_TONE = { applied: "text-success", failed: "text-danger", skipped: "text-warning" } as const;

function WorkspacePlan({
  workspace,
  canAdmin,
  onApplied,
  resumedKeys,
}: {
  workspace: WorkspaceDrift;
  canAdmin: boolean;
  onApplied: () => void;
  /** The changes chosen before signing in again for a claims challenge; those still in the plan start selected. */
  resumedKeys?: readonly string[] | undefined;
}) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(
    () => new Set((resumedKeys ?? []).filter((key) => workspace.items.some((item) => item.key === key && item.change !== null))),
  );
  const retry = useReadyToRetry();
  const [results, setResults] = useState<readonly ReconcileItemResult[] | null>(null);
  const [failure, setFailure] = useState<{ message: string; reference?: string | undefined; claims?: string | undefined; keys: readonly string[] } | null>(
    null,
  );
  const [pending, startTransition] = useTransition();
  const router = useRouter();
  const actionable = workspace.items.filter((item) => item.change !== null);

  function toggle(key: string) {
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }

  function apply() {
    startTransition(async () => {
      await retry.afterSignIn();
      const outcome = await applyReconcile({ workspaceId: workspace.workspaceId, keys: [...selected] });
      if (outcome.status === "error") {
        return setFailure({ message: outcome.message, reference: outcome.reference, claims: outcome.claims, keys: [...selected] });
      }
      setFailure(null);
      setResults(outcome.data);
      setSelected(new Set());
      router.refresh();
    });
  }

  // The changes Azure would not make before a new sign-in, with the claims it asked for.
  const challenged = (results ?? []).filter((result) => result.status === "failed" && result.claims);
  const creates = actionable.filter((item) => selected.has(item.key) && item.change === "grant").length;
  const deletes = actionable.filter((item) => selected.has(item.key) && item.change === "revoke").length;
  return (
    <div className="space-y-2 rounded-md border border-line bg-surface-raised p-3" role="group" aria-label={`Drift on ${workspace.workspaceName}`}>
      <h3 className="font-semibold">
        {workspace.workspaceName} <span className="font-normal text-ink-muted">({workspace.mappingCount} mappings)</span>
      </h3>
      {workspace.error && <p className="text-danger">Couldn&apos;t be checked: {workspace.error}</p>}
      {workspace.unreadGroups?.map((group) => (
        <p key={group} className="text-danger">
          Could not read group {group}&apos;s members: direct assignments it makes redundant are not shown.
        </p>
      ))}
      <ul className="divide-y divide-line" aria-label={`Plan for ${workspace.workspaceName}`}>
        {workspace.items.map((item) => (
          <li key={item.key} className="flex gap-2 py-2">
            {canAdmin && item.change !== null ? (
              <input
                type="checkbox"
                aria-label={`${item.change === "grant" ? "Create" : "Delete"} ${item.roleName} for ${item.principalName}`}
                checked={selected.has(item.key)}
                onChange={() => toggle(item.key)}
                className="mt-1"
              />
            ) : (
              <span className="w-4" aria-hidden="true" />
            )}
            <div>
              <div>
                <span className={`mr-2 font-mono ${item.change === "grant" ? "text-success" : item.change === "revoke" ? "text-danger" : "text-ink-muted"}`}>
                  {item.change === "grant" ? "+ create" : item.change === "revoke" ? "− delete" : "! fix mapping"}
                </span>
                <span className="font-medium">{LABELS[item.kind]}</span>: {item.principalName} ({item.principalType}) — {item.roleName}
              </div>
              <div className="text-ink-muted">{item.reason}</div>
            </div>
          </li>
        ))}
      </ul>
      {canAdmin && actionable.length > 0 && (
        <div className="flex flex-wrap items-center gap-2">
          <Button variant="primary" disabled={pending || !retry.ready || selected.size === 0} onClick={apply}>
            {pending ? "Applying…" : `Apply ${selected.size} selected change${selected.size === 1 ? "" : "s"}`}
          </Button>
          <span className="text-ink-muted">
            Plan: {creates} to create, {deletes} to delete.
          </span>
        </div>
      )}
      <div aria-live="polite" className="space-y-2">
        {resumedKeys && !results && selected.size > 0 && <ResumedNotice what="apply the selected changes again" />}
        {failure && !failure.claims && <ResultText message={failure.message} reference={failure.reference} />}
        {failure?.claims && (
          // Refused before any change (a privileged create, or many deletes): the same selection comes back after signing in.
          <StepUpPrompt
            claims={failure.claims}
            resume={{ key: RESUME_KEY, choices: { workspaceId: workspace.workspaceId, keys: failure.keys } satisfies ReconcileChoices }}
            message={failure.message}
          />
        )}
        {challenged.length > 0 && (
          <StepUpPrompt
            claims={challenged[0]!.claims!}
            resume={{
              key: RESUME_KEY,
              choices: { workspaceId: workspace.workspaceId, keys: challenged.map((result) => result.key) } satisfies ReconcileChoices,
            }}
            message={challenged[0]!.message}
          />
        )}
        {results && (
          <>
            <ul aria-label={`Reconcile results for ${workspace.workspaceName}`} className="divide-y divide-line rounded-md border border-line">
              {results.map((result) => (
                <li key={result.key} className="px-3 py-1.5">
                  <span className={`font-medium ${RESULT_TONE[result.status]}`}>
                    {result.status === "applied" ? "Applied" : result.status === "failed" ? "Failed" : "Skipped"}
                  </span>{" "}
                  {result.change === "grant" ? "create" : "delete"} {result.roleName} for {result.principalName}:{" "}
                  <MessageWithReference message={result.message} reference={result.reference} />
                </li>
              ))}
            </ul>
            <Button onClick={onApplied}>Check again</Button>
          </>
        )}
      </div>
    </div>
  );
}
