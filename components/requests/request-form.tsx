"use client";

import Link from "next/link";
import { useId, useTransition } from "react";

import { BundleDelta } from "@/components/permissions/bundle-delta";
import { PermissionDelta } from "@/components/permissions/permission-delta";
import { PrincipalPicker } from "@/components/shared/principal-picker";
import { searchDirectory } from "@/components/shared/principal-search";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, FieldError, INPUT_CLASS } from "@/components/ui/field";
import { MessageWithReference } from "@/components/ui/message-with-reference";
import { DurationField, JustificationField, TicketField } from "./fields";
import { type RequestFormModel, type RoleChoice, useRequestForm, type WorkspaceOption } from "./use-request-form";

const directorySearch = searchDirectory();

/**
 * The access-request form. A refusal from the server leaves the input as it was and shows each field's message next
 * to it (see `useRequestForm`). The server validates everything again; these checks only help.
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
  const form = useRequestForm({ workspaces, roles, me });
  const [, startTransition] = useTransition();
  const { state, errors } = form;

  return (
    <form
      noValidate
      aria-labelledby={`${id}-title`}
      className="max-w-3xl space-y-6"
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(() => form.submit());
      }}
    >
      <h2 id={`${id}-title`} className="sr-only">
        Access request
      </h2>

      <div aria-live="polite">
        {state.phase === "refused" && (
          <Alert tone="danger" role="alert" title="The request was not sent.">
            <p>
              <MessageWithReference message={state.message} reference={state.reference} />
            </p>
          </Alert>
        )}
        {state.phase === "sent" && (
          <Alert tone="success" role="status">
            Request sent.{" "}
            <Link href={`/requests/${state.id}`} className="text-accent underline">
              Open it
            </Link>
          </Alert>
        )}
      </div>

      <section className="space-y-2">
        {form.workspace.manual ? (
          <ManualWorkspaceField id={`${id}-workspace`} notice={workspaceNotice} workspace={form.workspace} errors={errors.workspaceId} />
        ) : (
          <WorkspaceChoiceField id={`${id}-workspace`} total={workspaces?.length ?? 0} workspace={form.workspace} errors={errors.workspaceId} />
        )}
      </section>

      <RoleField id={`${id}-role`} roles={roles} role={form.role} errors={errors.roleDefinitionId} />

      <RecipientField id={`${id}-principal`} me={me} recipient={form.recipient} errors={errors.principal} />

      <JustificationField
        id={`${id}-justification`}
        label="Justification"
        rows={4}
        value={form.justification.value}
        onChange={form.justification.set}
        errors={errors.justification}
      />

      <DurationField
        id={`${id}-duration`}
        legend="Duration"
        options={form.role.chosen?.durations ?? null}
        placeholder="Choose a role first: each role allows different durations."
        value={form.duration.value}
        onChange={form.duration.set}
        notice={form.duration.notice}
        errors={errors.duration}
      />

      <TicketField id={`${id}-ticket`} value={form.ticket.value} onChange={form.ticket.set} errors={errors.ticket} />

      {/* Below every field: its answer (often a screenful of permissions) lands while the person fills in the rest,
          and above them it pushed the field being clicked away from the pointer. */}
      <WhatYouAskFor form={form} />

      <div className="flex items-center gap-3">
        <Button type="submit" variant="primary" disabled={form.pending || state.phase === "sent"}>
          {form.pending ? "Sending…" : "Send request"}
        </Button>
        <Link href="/requests" className="text-accent underline-offset-2 hover:underline">
          Back to requests
        </Link>
      </div>
    </form>
  );
}

/** What the chosen role would add for the chosen principal on the chosen workspace, once all three are chosen. */
function WhatYouAskFor({ form }: { form: RequestFormModel }) {
  const workspaceId = form.workspace.id.trim();
  const principalId = form.recipient.principal?.id;
  const ready = workspaceId !== "" && !form.workspace.manualInvalid && form.role.id !== "" && principalId !== undefined;
  if (!ready) {
    return <p className="text-ink-muted">Choose a workspace, a role and who it is for to see what the role would add to their access.</p>;
  }
  const bundle = form.role.chosen?.bundle;
  if (bundle) return <BundleDelta workspaceId={workspaceId} bundleId={bundle.id} principalId={principalId} title="What you are asking for" />;
  return <PermissionDelta workspaceId={workspaceId} roleDefinitionId={form.role.id} principalId={principalId} title="What you are asking for" />;
}

/** No list to choose from: the person pastes the workspace's resource id, checked as it is typed. */
function ManualWorkspaceField({
  id,
  notice,
  workspace,
  errors,
}: {
  id: string;
  notice: string | undefined;
  workspace: RequestFormModel["workspace"];
  errors: readonly string[] | undefined;
}) {
  return (
    <Field
      id={id}
      label="Workspace resource id"
      hint={
        <>
          {notice ?? "No workspaces could be listed for you."} Paste the workspace&apos;s id, e.g.
          /subscriptions/…/resourceGroups/…/providers/Microsoft.MachineLearningServices/workspaces/….
        </>
      }
      errors={errors ?? (workspace.manualInvalid ? ["This is not an Azure ML workspace id."] : undefined)}
    >
      {(control) => (
        <input
          {...control}
          value={workspace.id}
          maxLength={512}
          autoComplete="off"
          onChange={(event) => workspace.setId(event.target.value)}
          className={`${INPUT_CLASS} font-mono text-xs`}
        />
      )}
    </Field>
  );
}

/** A searchable list of the workspaces Gatehouse can offer. */
function WorkspaceChoiceField({
  id,
  total,
  workspace,
  errors,
}: {
  id: string;
  total: number;
  workspace: RequestFormModel["workspace"];
  errors: readonly string[] | undefined;
}) {
  return (
    <div className="space-y-2">
      <Field id={`${id}-search`} label="Search workspaces">
        {(control) => (
          <input
            {...control}
            type="search"
            value={workspace.query}
            autoComplete="off"
            placeholder="Name, friendly name or subscription"
            onChange={(event) => workspace.setQuery(event.target.value)}
            className={INPUT_CLASS}
          />
        )}
      </Field>
      <Field
        id={id}
        label="Workspace"
        note={`${workspace.shown.length} of ${total} workspaces shown${workspace.chosen ? `; chosen: ${workspace.chosen.name}` : ""}`}
        liveNote
        errors={errors}
      >
        {(control) => (
          <select
            {...control}
            size={Math.min(Math.max(workspace.shown.length, 2), 8)}
            value={workspace.id}
            onChange={(event) => workspace.setId(event.target.value)}
            className={INPUT_CLASS}
          >
            {workspace.shown.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name} — {option.friendlyName} · {option.subscriptionName}
              </option>
            ))}
          </select>
        )}
      </Field>
    </div>
  );
}

/** The roles the request policy allows, each with what it grants, its warning and its longest duration. */
function RoleField({
  id,
  roles,
  role,
  errors,
}: {
  id: string;
  roles: readonly RoleChoice[];
  role: RequestFormModel["role"];
  errors: readonly string[] | undefined;
}) {
  return (
    <fieldset className="space-y-2" aria-describedby={errors ? `${id}-error` : undefined}>
      <legend className="font-medium">Role</legend>
      <p className="text-ink-muted">Only roles the request policy allows. Roles marked privileged need two different approvers.</p>
      <div className="space-y-1 rounded-md border border-line p-1">
        {roles.map((option) => (
          <label
            key={option.id}
            className={`flex cursor-pointer gap-2 rounded px-2 py-1.5 hover:bg-surface-sunken ${role.id === option.id ? "bg-surface-sunken" : ""}`}
          >
            <input
              type="radio"
              name={id}
              value={option.id}
              checked={role.id === option.id}
              onChange={() => role.choose(option.id)}
              aria-labelledby={`${id}-${option.id}`}
              aria-describedby={`${id}-${option.id}-about`}
              className="mt-1"
            />
            <span>
              <span id={`${id}-${option.id}`} className="font-medium">
                {option.name}
              </span>
              <span id={`${id}-${option.id}-about`}>
                {option.approvers > 1 && (
                  <span className="ml-2 rounded bg-danger/15 px-1.5 py-0.5 text-xs font-medium text-danger">
                    Privileged — needs {option.approvers} approvers
                  </span>
                )}
                <span className="block text-ink-muted">{option.summary}</span>
                {option.bundle && (
                  <span className="mt-1 block">
                    <span className="block text-xs font-medium">Grants {option.bundle.parts.length} roles together, and ends them together:</span>
                    <ul className="list-disc pl-5 text-xs text-ink-muted">
                      {option.bundle.parts.map((part) => (
                        <li key={`${part.roleName}-${part.on}`}>
                          <span className="text-ink">{part.roleName}</span> on the {part.on} — {part.why}
                        </li>
                      ))}
                    </ul>
                  </span>
                )}
                {option.warning && <span className="block text-warning">⚠ {option.warning}</span>}
                <span className="block text-xs text-ink-muted">At most {option.durations.at(-1)?.label.toLowerCase() ?? "—"}</span>
              </span>
            </span>
          </label>
        ))}
      </div>
      <FieldError id={`${id}-error`} messages={errors} />
    </fieldset>
  );
}

/** Who gets the access: the person filling in the form, or someone found in the directory. */
function RecipientField({
  id,
  me,
  recipient,
  errors,
}: {
  id: string;
  me: { displayName: string };
  recipient: RequestFormModel["recipient"];
  errors: readonly string[] | undefined;
}) {
  const chosen = recipient.principals[0];
  return (
    <fieldset className="space-y-2" aria-describedby={errors ? `${id}-error` : undefined}>
      <legend className="font-medium">For whom</legend>
      <div className="flex flex-wrap gap-4">
        <label className="flex items-center gap-1.5">
          <input type="radio" name={`${id}-for`} value="me" checked={recipient.forWhom === "me"} onChange={() => recipient.setForWhom("me")} />
          Myself ({me.displayName})
        </label>
        <label className="flex items-center gap-1.5">
          <input type="radio" name={`${id}-for`} value="others" checked={recipient.forWhom === "others"} onChange={() => recipient.setForWhom("others")} />
          Someone else: a person, group or service principal
        </label>
      </div>
      {recipient.forWhom === "others" && (
        <div className="space-y-2">
          <PrincipalPicker
            label="Person, group or service principal"
            hint="Type at least 2 characters to search the directory."
            search={directorySearch}
            selected={recipient.principals}
            onChange={recipient.setPrincipals}
            multiple={false}
          />
          <p className="text-ink-muted" aria-live="polite">
            {chosen ? (
              <>
                Chosen: <span className="font-medium text-ink">{chosen.displayName}</span>
                {chosen.secondaryId && <span className="font-mono text-xs"> ({chosen.secondaryId})</span>}
              </>
            ) : (
              "Nobody chosen yet."
            )}
          </p>
        </div>
      )}
      <FieldError id={`${id}-error`} messages={errors} />
    </fieldset>
  );
}
