"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useActionState, useId, useState, useTransition } from "react";

import { submitAccessRequest } from "@/app/actions/requests";
import { PrincipalPicker } from "@/components/shared/principal-picker";
import { searchDirectory } from "@/components/shared/principal-search";
import { Button } from "@/components/ui/button";
import { describedBy, FieldError, type FieldErrors } from "@/components/ui/field";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import { parseScope } from "@/lib/shared/arm-scope";
import type { DurationOption } from "./fields";

export interface WorkspaceOption {
  readonly id: string;
  /** The ARM resource name (mlw-…). */
  readonly name: string;
  readonly friendlyName: string;
  readonly subscriptionName: string;
}

export interface RoleChoice {
  readonly id: string;
  readonly name: string;
  readonly summary: string;
  readonly warning?: string | undefined;
  /** Different admins who must approve (privileged roles: 2 or more). */
  readonly approvers: number;
  readonly durations: readonly DurationOption[];
}

type State =
  | { readonly phase: "editing" }
  | { readonly phase: "refused"; readonly message: string; readonly reference?: string | undefined; readonly fieldErrors: FieldErrors }
  | { readonly phase: "sent"; readonly id: string };

const directorySearch = searchDirectory();

const INPUT = "w-full rounded border border-line bg-surface px-2 py-1.5 text-ink";
const MAX_JUSTIFICATION = 1000;

/**
 * The access-request form. Every field is kept in state, so a refusal from the server leaves the input as it was and
 * shows each field's message next to it. The server validates everything again; these checks only help.
 */
export function RequestForm({
  workspaces,
  workspaceNotice,
  roles,
  me,
}: {
  /** null: the list could not be loaded, so the person pastes a workspace's resource id. */
  workspaces: readonly WorkspaceOption[] | null;
  workspaceNotice?: string | undefined;
  roles: readonly RoleChoice[];
  me: { id: string; displayName: string };
}) {
  const id = useId();
  const router = useRouter();
  const [workspaceQuery, setWorkspaceQuery] = useState("");
  const [workspaceId, setWorkspaceId] = useState("");
  const [roleId, setRoleId] = useState("");
  const [forWhom, setForWhom] = useState<"me" | "others">("others");
  const [principals, setPrincipals] = useState<DirectoryPrincipal[]>([]);
  const [justification, setJustification] = useState("");
  const [duration, setDuration] = useState("");
  const [ticket, setTicket] = useState("");
  const [, startTransition] = useTransition();

  const role = roles.find((candidate) => candidate.id === roleId);
  const manual = workspaces === null || workspaces.length === 0;
  const needle = workspaceQuery.trim().toLowerCase();
  const shownWorkspaces = (workspaces ?? []).filter(
    (workspace) =>
      workspace.id === workspaceId ||
      needle === "" ||
      workspace.name.toLowerCase().includes(needle) ||
      workspace.friendlyName.toLowerCase().includes(needle) ||
      workspace.subscriptionName.toLowerCase().includes(needle),
  );
  const chosenWorkspace = workspaces?.find((workspace) => workspace.id === workspaceId);
  const principal = forWhom === "me" ? { id: me.id, kind: "user" as const, displayName: me.displayName } : principals[0];

  const [state, dispatch, pending] = useActionState<State, void>(async () => {
    const result = await submitAccessRequest({
      workspaceId: workspaceId.trim(),
      ...(chosenWorkspace ? { workspaceName: chosenWorkspace.name } : {}),
      roleDefinitionId: roleId,
      ...(principal ? { principal: { id: principal.id, kind: principal.kind, displayName: principal.displayName } } : {}),
      justification,
      duration,
      ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
    });
    if (result.status === "error") return { phase: "refused", message: result.message, reference: result.reference, fieldErrors: result.fieldErrors ?? {} };
    if (!result.data.ok) return { phase: "refused", message: result.data.message, fieldErrors: result.data.fieldErrors };
    router.push(`/requests/${result.data.id}`);
    return { phase: "sent", id: result.data.id };
  }, { phase: "editing" });

  const errors: FieldErrors = state.phase === "refused" ? state.fieldErrors : {};
  const manualInvalid = manual && workspaceId.trim() !== "" && parseScope(workspaceId.trim())?.level !== "workspace";
  const length = justification.trim().length;

  function chooseRole(next: string) {
    setRoleId(next);
    const allowed = roles.find((candidate) => candidate.id === next)?.durations ?? [];
    if (!allowed.some((option) => option.value === duration)) setDuration("");
  }

  return (
    <form
      noValidate
      aria-labelledby={`${id}-title`}
      className="max-w-3xl space-y-6"
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(() => dispatch());
      }}
    >
      <h2 id={`${id}-title`} className="sr-only">
        Access request
      </h2>

      <div aria-live="polite">
        {state.phase === "refused" && (
          <div role="alert" className="rounded-md border border-danger/50 bg-surface-raised px-4 py-3 text-danger">
            <p className="font-medium">The request was not sent.</p>
            <p>
              <MessageWithReference message={state.message} reference={state.reference} />
            </p>
          </div>
        )}
        {state.phase === "sent" && (
          <p role="status" className="rounded-md border border-success/40 bg-surface-raised px-4 py-3 text-success">
            Request sent. <Link href={`/requests/${state.id}`} className="text-accent underline">Open it</Link>
          </p>
        )}
      </div>

      <section className="space-y-2">
        {manual ? (
          <div className="space-y-1">
            <label htmlFor={`${id}-workspace`} className="block font-medium">
              Workspace resource id
            </label>
            <p id={`${id}-workspace-hint`} className="text-ink-muted">
              {workspaceNotice ?? "No workspaces could be listed for you."} Paste the workspace&apos;s id, e.g.
              /subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/….
            </p>
            <input
              id={`${id}-workspace`}
              value={workspaceId}
              maxLength={512}
              autoComplete="off"
              aria-invalid={errors.workspaceId || manualInvalid ? true : undefined}
              aria-describedby={describedBy(`${id}-workspace-hint`, (errors.workspaceId || manualInvalid) && `${id}-workspace-error`)}
              onChange={(event) => setWorkspaceId(event.target.value)}
              className={`${INPUT} font-mono text-xs`}
            />
            <FieldError id={`${id}-workspace-error`} messages={errors.workspaceId ?? (manualInvalid ? ["This is not an Azure ML workspace id."] : undefined)} />
          </div>
        ) : (
          <div className="space-y-2">
            <div className="space-y-1">
              <label htmlFor={`${id}-workspace-search`} className="block font-medium">
                Search workspaces
              </label>
              <input
                id={`${id}-workspace-search`}
                type="search"
                value={workspaceQuery}
                autoComplete="off"
                placeholder="Name, friendly name or subscription"
                onChange={(event) => setWorkspaceQuery(event.target.value)}
                className={INPUT}
              />
            </div>
            <div className="space-y-1">
              <label htmlFor={`${id}-workspace`} className="block font-medium">
                Workspace
              </label>
              <select
                id={`${id}-workspace`}
                size={Math.min(Math.max(shownWorkspaces.length, 2), 8)}
                value={workspaceId}
                aria-invalid={errors.workspaceId ? true : undefined}
                aria-describedby={describedBy(`${id}-workspace-count`, errors.workspaceId && `${id}-workspace-error`)}
                onChange={(event) => setWorkspaceId(event.target.value)}
                className={INPUT}
              >
                {shownWorkspaces.map((workspace) => (
                  <option key={workspace.id} value={workspace.id}>
                    {workspace.name} — {workspace.friendlyName} · {workspace.subscriptionName}
                  </option>
                ))}
              </select>
              <p id={`${id}-workspace-count`} className="text-xs text-ink-muted" aria-live="polite">
                {shownWorkspaces.length} of {workspaces.length} workspaces shown
                {chosenWorkspace ? `; chosen: ${chosenWorkspace.name}` : ""}
              </p>
              <FieldError id={`${id}-workspace-error`} messages={errors.workspaceId} />
            </div>
          </div>
        )}
      </section>

      <fieldset className="space-y-2" aria-describedby={errors.roleDefinitionId ? `${id}-role-error` : undefined}>
        <legend className="font-medium">Role</legend>
        <p className="text-ink-muted">Only roles the request policy allows. Roles marked privileged need two different approvers.</p>
        <div className="space-y-1 rounded-md border border-line p-1">
          {roles.map((option) => (
            <label key={option.id} className={`flex cursor-pointer gap-2 rounded px-2 py-1.5 hover:bg-surface-sunken ${roleId === option.id ? "bg-surface-sunken" : ""}`}>
              <input
                type="radio"
                name={`${id}-role`}
                value={option.id}
                checked={roleId === option.id}
                onChange={() => chooseRole(option.id)}
                aria-labelledby={`${id}-role-${option.id}`}
                aria-describedby={`${id}-role-${option.id}-about`}
                className="mt-1"
              />
              <span>
                <span id={`${id}-role-${option.id}`} className="font-medium">
                  {option.name}
                </span>
                <span id={`${id}-role-${option.id}-about`}>
                  {option.approvers > 1 && (
                    <span className="ml-2 rounded bg-danger/15 px-1.5 py-0.5 text-xs font-medium text-danger">Privileged — needs {option.approvers} approvers</span>
                  )}
                  <span className="block text-ink-muted">{option.summary}</span>
                  {option.warning && <span className="block text-warning">⚠ {option.warning}</span>}
                  <span className="block text-xs text-ink-muted">At most {option.durations.at(-1)?.label.toLowerCase() ?? "—"}</span>
                </span>
              </span>
            </label>
          ))}
        </div>
        <FieldError id={`${id}-role-error`} messages={errors.roleDefinitionId} />
      </fieldset>

      <fieldset className="space-y-2" aria-describedby={errors.principal ? `${id}-principal-error` : undefined}>
        <legend className="font-medium">For whom</legend>
        <div className="flex flex-wrap gap-4">
          <label className="flex items-center gap-1.5">
            <input type="radio" name={`${id}-for`} value="me" checked={forWhom === "me"} onChange={() => setForWhom("me")} />
            Myself ({me.displayName})
          </label>
          <label className="flex items-center gap-1.5">
            <input type="radio" name={`${id}-for`} value="others" checked={forWhom === "others"} onChange={() => setForWhom("others")} />
            Someone else: a person, group or service principal
          </label>
        </div>
        {forWhom === "others" && (
          <div className="space-y-2">
            <PrincipalPicker
              label="Person, group or service principal"
              hint="Type at least 2 characters to search the directory."
              search={directorySearch}
              selected={principals}
              onChange={setPrincipals}
              multiple={false}
            />
            <p className="text-ink-muted" aria-live="polite">
              {principals[0] ? (
                <>
                  Chosen: <span className="font-medium text-ink">{principals[0].displayName}</span>
                  {principals[0].secondaryId && <span className="font-mono text-xs"> ({principals[0].secondaryId})</span>}
                </>
              ) : (
                "Nobody chosen yet."
              )}
            </p>
          </div>
        )}
        <FieldError id={`${id}-principal-error`} messages={errors.principal} />
      </fieldset>

      <div className="space-y-1">
        <label htmlFor={`${id}-justification`} className="block font-medium">
          Justification
        </label>
        <textarea
          id={`${id}-justification`}
          value={justification}
          rows={4}
          maxLength={MAX_JUSTIFICATION}
          aria-invalid={errors.justification ? true : undefined}
          aria-describedby={describedBy(`${id}-justification-count`, errors.justification && `${id}-justification-error`)}
          onChange={(event) => setJustification(event.target.value)}
          className={INPUT}
        />
        <p id={`${id}-justification-count`} className={`text-xs ${length > 0 && length < 10 ? "text-warning" : "text-ink-muted"}`}>
          {length.toLocaleString("en-US")} of 1,000 characters (at least 10)
        </p>
        <FieldError id={`${id}-justification-error`} messages={errors.justification} />
      </div>

      <fieldset className="space-y-2" aria-describedby={describedBy(!role && `${id}-duration-hint`, errors.duration && `${id}-duration-error`)}>
        <legend className="font-medium">Duration</legend>
        {!role ? (
          <p id={`${id}-duration-hint`} className="text-ink-muted">
            Choose a role first: each role allows different durations.
          </p>
        ) : (
          <div className="flex flex-wrap gap-4">
            {role.durations.map((option) => (
              <label key={option.value} className="flex items-center gap-1.5">
                <input type="radio" name={`${id}-duration`} value={option.value} checked={duration === option.value} onChange={() => setDuration(option.value)} />
                {option.label}
              </label>
            ))}
          </div>
        )}
        <FieldError id={`${id}-duration-error`} messages={errors.duration} />
      </fieldset>

      <div className="space-y-1">
        <label htmlFor={`${id}-ticket`} className="block font-medium">
          Ticket reference (optional)
        </label>
        <input
          id={`${id}-ticket`}
          value={ticket}
          maxLength={100}
          autoComplete="off"
          placeholder="e.g. INC-1234"
          aria-invalid={errors.ticket ? true : undefined}
          aria-describedby={errors.ticket ? `${id}-ticket-error` : undefined}
          onChange={(event) => setTicket(event.target.value)}
          className={`${INPUT} max-w-xs`}
        />
        <FieldError id={`${id}-ticket-error`} messages={errors.ticket} />
      </div>

      <div className="flex items-center gap-3">
        <Button type="submit" variant="primary" disabled={pending || state.phase === "sent"}>
          {pending ? "Sending…" : "Send request"}
        </Button>
        <Link href="/requests" className="text-accent underline-offset-2 hover:underline">
          Back to requests
        </Link>
      </div>
    </form>
  );
}
