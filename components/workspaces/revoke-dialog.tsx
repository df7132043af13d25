"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { revokeWorkspaceRoles } from "@/app/actions/workspaces";
import { ResumedNotice, StepUpPrompt, useReadyToRetry } from "@/components/auth/step-up";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot } from "@/components/ui/dialog";
import { MessageWithReference, ResultText } from "@/components/ui/message-with-reference";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import type { RevokeResult, RevokeStatus } from "@/lib/workspaces/revoke-workspace-roles";
import { principalName } from "./format";
import { type RevokeChoices, revokeResumeKey } from "./revoke-resume-key";

const STATUS: Record<RevokeStatus, { label: string; tone: string }> = {
  revoked: { label: "Removed", tone: "text-success" },
  already_gone: { label: "Already removed", tone: "text-ink" },
  needs_confirmation: { label: "Needs your confirmation", tone: "text-warning" },
  in_progress: { label: "In progress", tone: "text-warning" },
  refused: { label: "Refused", tone: "text-danger" },
  skipped: { label: "Not removed", tone: "text-warning" },
  failed: { label: "Failed", tone: "text-danger" },
};

type Failure = { message: string; reference?: string | undefined; claims?: string | undefined };

/** What removing an assignment would also end in Gatehouse: its requests end early, its mappings break. */
function cutHolders(row: AccessRow): AccessRow["heldBy"] {
  return row.heldBy.filter((holder) => holder.kind !== "direct");
}

function consequence(holder: AccessRow["heldBy"][number]): string {
  return holder.kind === "request"
    ? `ends ${holder.label.charAt(0).toLowerCase()}${holder.label.slice(1)} early`
    : holder.kind === "mapping"
      ? `breaks the ${holder.label.charAt(0).toLowerCase()}${holder.label.slice(1)} (drift will show it missing)`
      : `ends ${holder.label.toLowerCase()}`;
}

/**
 * Confirms and runs the removal of direct assignments, naming each principal, role and scope, and what in Gatehouse
 * holds each (requests end early, mappings break: the admin confirms them by removing), and reports a result per
 * assignment. Removing access that would lock someone out of managing access needs a second confirmation.
 */
export function RevokeDialog({
  workspaceId,
  targets,
  open,
  onOpenChange,
  onRevoked,
  orphanCleanup = false,
  resumed = false,
}: {
  workspaceId: string;
  /** A snapshot taken when the dialog opened: the rows disappear from the table once removed. */
  targets: readonly AccessRow[];
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onRevoked: (assignmentIds: readonly string[]) => void;
  /** Opened by "Clean up orphans": the server removes only assignments whose principal it confirms deleted. */
  orphanCleanup?: boolean;
  /** Opened again after signing in again for a claims challenge. */
  resumed?: boolean;
}) {
  const [results, setResults] = useState<ReadonlyMap<string, RevokeResult> | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [pending, startTransition] = useTransition();
  const retry = useReadyToRetry();
  const router = useRouter();

  const asked = results ? [...results.values()].filter((result) => result.status === "needs_confirmation") : [];
  // Holders that appeared since the dialog opened come back with the result, to be confirmed in turn.
  const holdersToConfirm = asked.filter((result) => result.holders !== undefined);
  const needsConfirmation = asked.filter((result) => result.holders === undefined);
  const shownHolderIds = targets.flatMap((row) => cutHolders(row).map((holder) => holder.id));
  // The assignments Azure would not remove before a new sign-in, and the claims it asked for.
  const challenged = results ? [...results.values()].filter((result) => result.status === "failed" && result.claims) : [];
  const challengeClaims = challenged[0]?.claims ?? failure?.claims;
  const stepUpChoices: RevokeChoices = {
    assignmentIds: challenged.length > 0 ? challenged.map((result) => result.assignmentId) : targets.map((row) => row.assignmentId),
    ...(orphanCleanup ? { orphanCleanup } : {}),
  };

  function run(assignmentIds: readonly string[], confirmSelfLockout: boolean, acknowledgedHolderIds: readonly number[] = shownHolderIds) {
    startTransition(async () => {
      await retry.afterSignIn();
      const outcome = await revokeWorkspaceRoles({
        workspaceId,
        assignmentIds,
        confirmSelfLockout,
        acknowledgedHolderIds: [...acknowledgedHolderIds],
        ...(orphanCleanup ? { orphanCleanup } : {}),
      });
      if (outcome.status === "error") {
        setFailure({ message: outcome.message, reference: outcome.reference, claims: outcome.claims });
        return;
      }
      setFailure(null);
      setResults((previous) => {
        const next = new Map(previous ?? []);
        for (const result of outcome.data) next.set(result.assignmentId.toLowerCase(), result);
        return next;
      });
      const removed = outcome.data.filter((result) => result.status === "revoked" || result.status === "already_gone").map((result) => result.assignmentId);
      if (removed.length > 0) {
        onRevoked(removed);
        router.refresh();
      }
    });
  }

  function close(next: boolean) {
    if (pending) return;
    onOpenChange(next);
    if (!next) {
      setResults(null);
      setFailure(null);
    }
  }

  const count = targets.length;
  return (
    <DialogRoot open={open} onOpenChange={close}>
      <DialogPanel
        width="lg"
        title={results ? "Removal results" : `Remove ${count} role assignment${count === 1 ? "" : "s"}?`}
        description={results ? "One result per assignment." : "These principals lose these roles on this workspace. Removal takes effect within minutes."}
      >
        <ul className="max-h-96 divide-y divide-line overflow-y-auto rounded-md border border-line" aria-label="Assignments to remove">
          {targets.map((row) => {
            const result = results?.get(row.assignmentId.toLowerCase());
            return (
              <li key={row.assignmentId} className="space-y-0.5 px-3 py-2">
                <div>
                  <span className={`font-medium ${row.principal === null ? "text-warning" : ""}`}>{principalName(row)}</span>
                  {row.principal === null && <span className="font-mono text-xs text-ink-muted"> {row.principalId}</span>} — {row.roleName}
                </div>
                <div className="break-all font-mono text-xs text-ink-muted">{row.scope}</div>
                {!results && cutHolders(row).length > 0 && (
                  <p className="text-xs text-warning">⚠ Held in Gatehouse: removing it also {cutHolders(row).map(consequence).join("; and ")}.</p>
                )}
                {result && (
                  <div>
                    <span className={`font-medium ${STATUS[result.status].tone}`}>{STATUS[result.status].label}</span>:{" "}
                    <MessageWithReference message={result.message} reference={result.reference} />
                  </div>
                )}
              </li>
            );
          })}
        </ul>

        <div aria-live="polite" className="space-y-3">
          {resumed && !results && !failure && <ResumedNotice what="remove them again" />}
          {failure && !failure.claims && <ResultText message={failure.message} reference={failure.reference} />}
          {challengeClaims && (
            <StepUpPrompt
              claims={challengeClaims}
              resume={{ key: revokeResumeKey(workspaceId), choices: stepUpChoices }}
              message={challenged[0]?.message ?? failure?.message ?? "Azure needs you to sign in again before it makes this change."}
            />
          )}
          {holdersToConfirm.length > 0 && (
            <div role="alert" className="space-y-2 rounded-md border border-warning bg-surface-sunken px-3 py-2">
              <p className="font-medium text-warning">
                ⚠ Something in Gatehouse started holding {holdersToConfirm.length === 1 ? "this assignment" : "these assignments"} since you opened this dialog:
              </p>
              <ul className="list-disc pl-5">
                {holdersToConfirm
                  .flatMap((result) => result.holders ?? [])
                  .map((holder) => (
                    <li key={holder.id}>{holder.label}</li>
                  ))}
              </ul>
              <Button
                variant="danger"
                disabled={pending}
                onClick={() =>
                  run(
                    holdersToConfirm.map((result) => result.assignmentId),
                    false,
                    [...shownHolderIds, ...holdersToConfirm.flatMap((result) => (result.holders ?? []).map((holder) => holder.id))],
                  )
                }
              >
                Remove and end them too
              </Button>
            </div>
          )}
          {needsConfirmation.length > 0 && (
            <div role="alert" className="space-y-2 rounded-md border border-warning bg-surface-sunken px-3 py-2">
              <p className="font-medium text-warning">
                ⚠ Removing {needsConfirmation.length === 1 ? "this assignment" : "these assignments"} could lock you, Gatehouse or everyone out of managing
                access on this workspace (each result above says which). Someone else would have to give it back.
              </p>
              <Button
                variant="danger"
                disabled={pending}
                onClick={() =>
                  run(
                    needsConfirmation.map((result) => result.assignmentId),
                    true,
                  )
                }
              >
                Remove anyway
              </Button>
            </div>
          )}
        </div>

        <DialogFooter>
          {results ? (
            <DialogClose className={buttonClass("primary")} disabled={pending}>
              Done
            </DialogClose>
          ) : (
            <>
              <DialogClose className={buttonClass("secondary")} disabled={pending}>
                Cancel
              </DialogClose>
              <Button
                variant="destructive"
                disabled={pending || !retry.ready || count === 0}
                onClick={() =>
                  run(
                    targets.map((row) => row.assignmentId),
                    false,
                  )
                }
              >
                {pending ? "Removing…" : `Remove ${count} assignment${count === 1 ? "" : "s"}`}
              </Button>
            </>
          )}
        </DialogFooter>
      </DialogPanel>
    </DialogRoot>
  );
}
