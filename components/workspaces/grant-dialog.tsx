"use client";

import { useRouter } from "next/navigation";
import { useId, useState, useTransition } from "react";

import { grantWorkspaceRoles } from "@/app/actions/workspaces";
import { ResumedNotice, StepUpPrompt, useReadyToRetry } from "@/components/auth/step-up";
import { PermissionDelta } from "@/components/permissions/permission-delta";
import { PrincipalPicker } from "@/components/shared/principal-picker";
import { searchDirectory } from "@/components/shared/principal-search";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot, DialogTrigger } from "@/components/ui/dialog";
import { MessageWithReference, ResultText } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import type { ActionResult } from "@/lib/shared/action-result";
import type { RoleOption } from "@/lib/workspaces/get-grant-options";
import type { GrantResult, GrantStatus } from "@/lib/workspaces/grant-workspace-roles";
import { grantResumeKey } from "./grant-resume-key";

export interface GrantDialogOptions {
  readonly roles: readonly RoleOption[];
  readonly budget: { readonly used: number; readonly limit: number } | null;
  /** The budget is above the warning ratio: suggest granting to a group. */
  readonly budgetWarning: boolean;
  /** For an Azure AI Foundry project: its hub. */
  readonly hub: { readonly id: string; readonly name: string } | null;
  /** Roles the grantable-role policy does not allow here, with the reason. */
  readonly notOffered?: readonly { readonly id: string; readonly name: string; readonly reason: string }[];
}

const STATUS: Record<GrantStatus, { label: string; tone: string }> = {
  granted: { label: "Granted — may take up to 10 minutes to take effect", tone: "text-success" },
  already_granted: { label: "Already granted", tone: "text-ink" },
  needs_approval: { label: "Needs two other admins to approve", tone: "text-warning" },
  in_progress: { label: "In progress", tone: "text-warning" },
  failed: { label: "Failed", tone: "text-danger" },
};

const directorySearch = searchDirectory();

/** What the dialog keeps across signing in again for a claims challenge. */
export interface GrantChoices {
  readonly principals: readonly DirectoryPrincipal[];
  readonly roleId: string;
  readonly description: string;
  /** Absent in choices kept before the hub option existed: ticked, as its default. */
  readonly hubReader?: boolean;
  /** Resuming a bulk grant: its earlier attempts, whose finished principals the server does not send to Azure again. */
  readonly resumeOf?: readonly string[];
}

/** "Grant access": principals, one role, an optional description, the subscription's budget, then a result per principal. */
export function GrantDialog({
  workspaceId,
  workspaceName,
  options,
  initiallyOpen = false,
  resumed,
}: {
  workspaceId: string;
  workspaceName: string;
  options: GrantDialogOptions;
  initiallyOpen?: boolean;
  /** Choices restored after signing in again for a claims challenge. */
  resumed?: GrantChoices | undefined;
}) {
  const [open, setOpen] = useState(initiallyOpen);
  const [principals, setPrincipals] = useState<DirectoryPrincipal[]>(resumed ? [...resumed.principals] : []);
  const [roleId, setRoleId] = useState(resumed?.roleId ?? "");
  const [description, setDescription] = useState(resumed?.description ?? "");
  // Checked by default, as the Azure AI Foundry portal adds hub Reader for every project member.
  const [hubReader, setHubReader] = useState(resumed?.hubReader ?? true);
  const [outcome, setOutcome] = useState<ActionResult<GrantResult[]> | null>(null);
  const [showResumed, setShowResumed] = useState(resumed !== undefined);
  const [resumeOf, setResumeOf] = useState<readonly string[]>(resumed?.resumeOf ?? []);
  const [pending, startTransition] = useTransition();
  const retry = useReadyToRetry();
  const router = useRouter();
  const id = useId();

  const featured = options.roles.filter((role) => role.featured);
  const others = options.roles.filter((role) => !role.featured);
  const role = options.roles.find((candidate) => candidate.id === roleId);
  const done = outcome?.status === "success";
  // The principals Azure would not grant before a new sign-in, and the claims it asked for.
  const challenged = done ? outcome.data.filter((item) => item.status === "failed" && item.claims) : [];
  const challengeClaims = challenged[0]?.claims ?? (outcome?.status === "error" ? outcome.claims : undefined);
  // What a resume continues: every attempt that recorded a part of this bulk grant, and how many parts did not succeed.
  const attempts = done ? [...new Set(outcome.data.flatMap((item) => (item.attemptId ? [item.attemptId] : [])))] : [];
  const unfinished = done ? outcome.data.filter((item) => item.status === "failed").length : 0;

  function reset() {
    setPrincipals([]);
    setRoleId("");
    setDescription("");
    setHubReader(true);
    setOutcome(null);
    setShowResumed(false);
    setResumeOf([]);
  }

  /** Grants to every chosen principal; with `continuing`, a resume: the server skips what those attempts finished. */
  function submit(continuing: readonly string[] = resumeOf) {
    if (!role || principals.length === 0) return;
    startTransition(async () => {
      await retry.afterSignIn();
      setShowResumed(false);
      const result = await grantWorkspaceRoles({
        workspaceId,
        roleDefinitionId: role.id,
        principals: principals.map((p) => ({ id: p.id, kind: p.kind, displayName: p.displayName })),
        ...(description.trim() ? { description: description.trim() } : {}),
        alsoGrantHubReader: options.hub !== null && hubReader,
        ...(continuing.length > 0 ? { resumeOf: [...continuing] } : {}),
      });
      setOutcome(result);
      if (result.status === "success" && result.data.some((item) => item.status === "granted" || item.status === "already_granted")) router.refresh();
    });
  }

  return (
    <DialogRoot
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) reset();
      }}
    >
      <DialogTrigger className={buttonClass("primary")}>Grant access</DialogTrigger>
      <DialogPanel
        width="md"
        title={<>Grant access to {workspaceName}</>}
        description="Each chosen user, group or service principal gets the role on this workspace."
      >
        {!done && (
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              submit();
            }}
          >
            <PrincipalPicker
              label="Users, groups or service principals"
              hint="Type at least 2 characters. Choose several to grant them all the same role."
              search={directorySearch}
              selected={principals}
              onChange={setPrincipals}
              multiple
            />

            <fieldset className="space-y-2">
              <legend className="font-medium">Role</legend>
              <div className="max-h-72 space-y-1 overflow-y-auto rounded-md border border-line p-1">
                {featured.map((option) => (
                  <label
                    key={option.id}
                    className={`flex cursor-pointer gap-2 rounded px-2 py-1.5 hover:bg-surface-sunken ${roleId === option.id ? "bg-surface-sunken" : ""}`}
                  >
                    <input
                      type="radio"
                      name={`${id}-role`}
                      value={option.id}
                      checked={roleId === option.id}
                      onChange={() => setRoleId(option.id)}
                      className="mt-1"
                    />
                    <span>
                      <span className="font-medium">{option.name}</span>
                      {option.privileged && <span className="ml-2 rounded bg-danger/15 px-1.5 py-0.5 text-xs font-medium text-danger">Privileged</span>}
                      {option.summary && <span className="block text-ink-muted">{option.summary}</span>}
                      {option.warning && <span className="block text-warning">⚠ {option.warning}</span>}
                    </span>
                  </label>
                ))}
              </div>
              {others.length > 0 && (
                <label className="flex flex-col gap-1">
                  <span className="text-ink-muted">Or another role</span>
                  <select
                    value={others.some((option) => option.id === roleId) ? roleId : ""}
                    onChange={(event) => setRoleId(event.target.value)}
                    className="rounded border border-line bg-surface-raised px-2 py-1.5"
                  >
                    <option value="">—</option>
                    {others.map((option) => (
                      <option key={option.id} value={option.id}>
                        {option.name}
                      </option>
                    ))}
                  </select>
                </label>
              )}
              {options.notOffered && options.notOffered.length > 0 && (
                <details className="text-ink-muted" data-testid="roles-not-offered">
                  <summary>Not offered here: {options.notOffered.map((option) => option.name).join(", ")}</summary>
                  <ul className="mt-1 list-disc pl-5">
                    {options.notOffered.map((option) => (
                      <li key={option.id}>{option.reason}</li>
                    ))}
                  </ul>
                </details>
              )}
              {role && (
                <div className="rounded-md border border-line bg-surface-sunken px-3 py-2">
                  <p>
                    <span className="font-medium">{role.name}</span>: {role.description}
                  </p>
                  {role.warning && (
                    <p role="note" className="mt-1 font-medium text-warning">
                      ⚠ {role.warning}
                    </p>
                  )}
                </div>
              )}
            </fieldset>

            {role && principals.length > 0 && <WhatYouGive workspaceId={workspaceId} roleId={role.id} principals={principals} />}

            <label className="flex flex-col gap-1">
              <span className="font-medium">Description (optional)</span>
              <span className="text-ink-muted">Stored on the assignment: why it exists, ticket number, expiry.</span>
              <textarea
                value={description}
                maxLength={1000}
                rows={2}
                onChange={(event) => setDescription(event.target.value)}
                className="rounded border border-line bg-surface-raised px-2 py-1.5"
              />
            </label>

            {options.hub && (
              <label className="flex gap-2 rounded-md border border-line px-3 py-2">
                <input type="checkbox" checked={hubReader} onChange={(event) => setHubReader(event.target.checked)} className="mt-1" />
                <span>
                  <span className="font-medium">Also grant Reader on the hub {options.hub.name}</span>
                  <span className="block text-ink-muted">
                    This workspace is an Azure AI Foundry project. The Foundry portal gives project members Reader on the hub; without it they can&apos;t open
                    the project there.
                  </span>
                </span>
              </label>
            )}

            <Budget budget={options.budget} warning={options.budgetWarning} />

            {showResumed && <ResumedNotice what={`grant ${role?.name ?? "the role"} again`} />}

            <div aria-live="polite">
              {outcome?.status === "error" &&
                (outcome.claims ? (
                  <StepUpPrompt
                    claims={outcome.claims}
                    resume={{ key: grantResumeKey(workspaceId), choices: { principals, roleId, description, hubReader } satisfies GrantChoices }}
                    message={outcome.message}
                  />
                ) : (
                  <ResultText message={outcome.message} reference={outcome.reference} />
                ))}
            </div>

            <DialogFooter>
              <DialogClose type="button" className={buttonClass("secondary")}>
                Cancel
              </DialogClose>
              <Button type="submit" variant="primary" disabled={pending || !retry.ready || !role || principals.length === 0}>
                {pending ? "Granting…" : role ? `Grant ${role.name}` : "Grant"}
              </Button>
            </DialogFooter>
          </form>
        )}

        <div aria-live="polite">
          {done && (
            <div className="space-y-3">
              <h3 className="font-medium">Results</h3>
              <ul className="divide-y divide-line rounded-md border border-line" aria-label="Grant results">
                {outcome.data.map((item) => (
                  <li key={`${item.principalId}|${item.hubName ?? ""}`} className="px-3 py-2">
                    <span className="font-medium">{item.displayName}</span>
                    {item.hubName && <> (Reader on the hub {item.hubName})</>}:{" "}
                    <span className={`font-medium ${STATUS[item.status].tone}`}>{STATUS[item.status].label}</span>
                    <span className="block">
                      <MessageWithReference message={item.message} reference={item.reference} />
                    </span>
                  </li>
                ))}
              </ul>
              {challengeClaims && (
                <StepUpPrompt
                  claims={challengeClaims}
                  resume={{
                    key: grantResumeKey(workspaceId),
                    // Every principal, with the attempts so far: those already granted are shown done, not sent again.
                    choices: { principals, roleId, description, hubReader, resumeOf: attempts } satisfies GrantChoices,
                  }}
                  message={challenged[0]?.message ?? "Azure needs you to sign in again before it makes this change."}
                />
              )}
              <DialogFooter>
                {unfinished > 0 && !challengeClaims && (
                  <Button disabled={pending || !retry.ready} onClick={() => submit(attempts)}>
                    {pending ? "Granting…" : `Retry the ${unfinished === 1 ? "one" : unfinished} that did not succeed`}
                  </Button>
                )}
                <Button onClick={reset}>Grant another</Button>
                <DialogClose className={buttonClass("primary")}>Done</DialogClose>
              </DialogFooter>
            </div>
          )}
        </div>
      </DialogPanel>
    </DialogRoot>
  );
}

/**
 * What the role adds, for one chosen principal at a time: each preview reads the principal's access from Azure, so with
 * several chosen (up to 50) the admin picks whose to see instead of Gatehouse reading all of them.
 */
function WhatYouGive({ workspaceId, roleId, principals }: { workspaceId: string; roleId: string; principals: readonly DirectoryPrincipal[] }) {
  const id = useId();
  const [shownId, setShownId] = useState(principals[0]!.id);
  const shown = principals.find((principal) => principal.id === shownId) ?? principals[0]!;
  return (
    <div className="space-y-2">
      {principals.length > 1 && (
        <label htmlFor={`${id}-for`} className="flex flex-col gap-1">
          <span className="font-medium">Show what the role adds for</span>
          <span className="text-ink-muted">Each of the {principals.length} chosen may already hold part of it; choose whose access to compare.</span>
          <select
            id={`${id}-for`}
            value={shown.id}
            onChange={(event) => setShownId(event.target.value)}
            className="rounded border border-line bg-surface-raised px-2 py-1.5"
          >
            {principals.map((principal) => (
              <option key={principal.id} value={principal.id}>
                {principal.displayName}
              </option>
            ))}
          </select>
        </label>
      )}
      <PermissionDelta workspaceId={workspaceId} roleDefinitionId={roleId} principalId={shown.id} title="What you are about to give" />
    </div>
  );
}

function Budget({ budget, warning }: { budget: GrantDialogOptions["budget"]; warning: boolean }) {
  if (!budget) return <p className="text-ink-muted">The subscription&apos;s role assignment budget could not be counted.</p>;
  return (
    <div className={`rounded-md border px-3 py-2 ${warning ? "border-warning bg-surface-sunken" : "border-line"}`}>
      <p>
        Subscription budget: used {budget.used.toLocaleString("en-US")} of {budget.limit.toLocaleString("en-US")} role assignments (approximate: Azure&apos;s
        own count decides).
      </p>
      {warning && (
        <p role="note" className="mt-1 font-medium text-warning">
          ⚠ This subscription is close to Azure&apos;s limit. When it is reached, every grant fails (RoleAssignmentLimitExceeded): grant to a group and add
          people to the group instead of granting to each person.
        </p>
      )}
    </div>
  );
}
