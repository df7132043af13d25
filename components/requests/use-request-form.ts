"use client";

import { useRouter } from "next/navigation";
import { useActionState, useState } from "react";

import { submitAccessRequest } from "@/app/actions/requests";
import type { FieldErrors } from "@/components/ui/field";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import { parseScope } from "@/lib/shared/arm-scope";
import type { RoleChoice } from "@/lib/requests/policy";

export type { RoleChoice };

export interface WorkspaceOption {
  readonly id: string;
  /** The ARM resource name (mlw-…). */
  readonly name: string;
  readonly friendlyName: string;
  readonly subscriptionName: string;
}

export type RequestFormState =
  | { readonly phase: "editing" }
  | { readonly phase: "refused"; readonly message: string; readonly reference?: string | undefined; readonly fieldErrors: FieldErrors }
  | { readonly phase: "sent"; readonly id: string };

export interface RequestFormInput {
  /** null: the list could not be loaded, so the person pastes a workspace's resource id. */
  readonly workspaces: readonly WorkspaceOption[] | null;
  readonly roles: readonly RoleChoice[];
  readonly me: { readonly id: string; readonly displayName: string };
}

/**
 * The access-request form's state. Every field lives here rather than in the DOM, so a refusal from the server
 * leaves the input as it was and only adds each field's message.
 */
export function useRequestForm({ workspaces, roles, me }: RequestFormInput) {
  const router = useRouter();
  const [workspaceQuery, setWorkspaceQuery] = useState("");
  const [workspaceId, setWorkspaceId] = useState("");
  const [roleId, setRoleId] = useState("");
  const [forWhom, setForWhom] = useState<"me" | "others">("others");
  const [principals, setPrincipals] = useState<DirectoryPrincipal[]>([]);
  const [justification, setJustification] = useState("");
  const [duration, setDuration] = useState("");
  /** Why the person's duration was taken back, until they choose one again. */
  const [durationNotice, setDurationNotice] = useState<string | undefined>(undefined);
  const [ticket, setTicket] = useState("");

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

  const [state, submit, pending] = useActionState<RequestFormState, void>(
    async () => {
      const result = await submitAccessRequest({
        workspaceId: workspaceId.trim(),
        ...(chosenWorkspace ? { workspaceName: chosenWorkspace.name } : {}),
        ...(role?.bundle ? { bundleId: role.bundle.id } : { roleDefinitionId: roleId }),
        ...(principal ? { principal: { id: principal.id, kind: principal.kind, displayName: principal.displayName } } : {}),
        justification,
        duration,
        ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
      });
      if (result.status === "error") return { phase: "refused", message: result.message, reference: result.reference, fieldErrors: result.fieldErrors ?? {} };
      router.push(`/requests/${result.data.id}`);
      return { phase: "sent", id: result.data.id };
    },
    { phase: "editing" },
  );

  const errors: FieldErrors = state.phase === "refused" ? state.fieldErrors : {};
  // A pasted id is checked as it is typed; the server checks it again.
  const manualInvalid = manual && workspaceId.trim() !== "" && parseScope(workspaceId.trim())?.level !== "workspace";

  /**
   * A new role may not allow the chosen duration: then the duration is cleared, saying so, rather than silently kept
   * or silently changed. Only the person's own clicks change a duration.
   */
  function chooseRole(next: string) {
    setRoleId(next);
    const nextRole = roles.find((candidate) => candidate.id === next);
    if (duration === "" || nextRole?.durations.some((option) => option.value === duration)) return;
    const chosen = role?.durations.find((option) => option.value === duration)?.label.toLowerCase() ?? duration;
    setDuration("");
    setDurationNotice(`${nextRole?.name ?? "This role"} cannot be asked for ${chosen}: choose a duration again.`);
  }

  function chooseDuration(next: string) {
    setDuration(next);
    setDurationNotice(undefined);
  }

  return {
    state,
    pending,
    submit,
    errors,
    workspace: {
      manual,
      query: workspaceQuery,
      setQuery: setWorkspaceQuery,
      id: workspaceId,
      setId: setWorkspaceId,
      shown: shownWorkspaces,
      chosen: chosenWorkspace,
      manualInvalid,
    },
    role: { id: roleId, chosen: role, choose: chooseRole },
    recipient: { forWhom, setForWhom, principals, setPrincipals, principal },
    justification: { value: justification, set: setJustification },
    duration: { value: duration, set: chooseDuration, notice: durationNotice },
    ticket: { value: ticket, set: setTicket },
  };
}

/** What `useRequestForm` gives the form's parts. */
export type RequestFormModel = ReturnType<typeof useRequestForm>;
