"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

import { createMapping } from "@/app/actions/mappings";
import { ResumedNotice, StepUpPrompt, useReadyToRetry, useResumedStepUp } from "@/components/auth/step-up";
import { PrincipalPicker } from "@/components/shared/principal-picker";
import { searchDirectory } from "@/components/shared/principal-search";
import { mappingRoleOptions } from "@/components/shared/reads";
import { useLatestCall } from "@/components/shared/use-latest-call";
import { Button, buttonClass } from "@/components/ui/button";
import { DialogClose, DialogFooter, DialogPanel, DialogRoot, DialogTrigger } from "@/components/ui/dialog";
import { ResultText } from "@/components/ui/message-with-reference";
import type { DirectoryPrincipal } from "@/lib/graph/principals";
import type { RoleOption } from "@/lib/workspaces/get-grant-options";
import type { WorkspaceOption } from "./model";

const groupSearch = searchDirectory(["group"]);

type Roles = { phase: "idle" } | { phase: "loading" } | { phase: "done"; roles: readonly RoleOption[] } | { phase: "error"; message: string };
type Outcome = { ok: boolean; message: string; reference?: string | undefined; claims?: string | undefined };

/** What the dialog keeps across signing in again for a claims challenge. */
interface CreateMappingChoices {
  readonly workspaceId: string;
  readonly group: DirectoryPrincipal;
  readonly roleId: string;
}

const RESUME_KEY = "mapping:create";

/** "Map a group": workspace, group (directory search), role; creating the mapping grants the role to the group. */
export function CreateMappingDialog({ workspaces }: { workspaces: readonly WorkspaceOption[] }) {
  const [open, setOpen] = useState(false);
  const [workspaceId, setWorkspaceId] = useState("");
  const [groups, setGroups] = useState<DirectoryPrincipal[]>([]);
  const [roles, setRoles] = useState<Roles>({ phase: "idle" });
  const [roleId, setRoleId] = useState("");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [pending, startTransition] = useTransition();
  const startCall = useLatestCall();
  const [showResumed, setShowResumed] = useState(false);
  const router = useRouter();
  const retry = useReadyToRetry();
  // Back from signing in again for a claims challenge: reopen with the choices the dialog had.
  useResumedStepUp<CreateMappingChoices>(RESUME_KEY, (choices) => {
    setOpen(true);
    chooseWorkspace(choices.workspaceId);
    setGroups([choices.group]);
    setRoleId(choices.roleId);
    setShowResumed(true);
  });
  const group = groups[0];
  const roleList = roles.phase === "done" ? roles.roles : [];
  const role = roleList.find((candidate) => candidate.id === roleId);

  function chooseWorkspace(id: string) {
    setWorkspaceId(id);
    setRoleId("");
    // Any answer still coming for an earlier choice is for another workspace.
    const isLatest = startCall();
    if (!id) return setRoles({ phase: "idle" });
    setRoles({ phase: "loading" });
    void mappingRoleOptions({ workspaceId: id }).then((result) => {
      if (!isLatest()) return;
      setRoles(result.status === "success" ? { phase: "done", roles: result.data } : { phase: "error", message: result.message });
    });
  }

  function reset() {
    startCall();
    setWorkspaceId("");
    setGroups([]);
    setRoles({ phase: "idle" });
    setRoleId("");
    setOutcome(null);
    setShowResumed(false);
  }

  function submit() {
    if (!group || !role || !workspaceId) return;
    startTransition(async () => {
      await retry.afterSignIn();
      setShowResumed(false);
      const result = await createMapping({ workspaceId, groupId: group.id, roleDefinitionId: role.id });
      if (result.status === "error") return setOutcome({ ok: false, message: result.message, reference: result.reference });
      const { mapping, grant } = result.data;
      setOutcome(
        mapping
          ? { ok: true, message: `Mapped ${mapping.groupDisplayName} to ${mapping.roleName}. ${grant.message}`, reference: grant.reference }
          : grant.status === "needs_approval"
            ? { ok: true, message: grant.message }
            : { ok: false, message: `The mapping was not kept: ${grant.message}`, reference: grant.reference, claims: grant.claims },
      );
      router.refresh();
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
      <DialogTrigger className={buttonClass("primary")}>Map a group</DialogTrigger>
      <DialogPanel
        width="md"
        title="Map a group to a workspace role"
        description={<>Members of the group get the role on the workspace. Gatehouse creates the group&apos;s assignment now.</>}
      >
        {!outcome?.ok && (
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              submit();
            }}
          >
            <label className="flex flex-col gap-1">
              <span className="font-medium">Workspace</span>
              <select
                aria-label="Workspace"
                value={workspaceId}
                onChange={(event) => chooseWorkspace(event.target.value)}
                className="rounded border border-line bg-surface-raised px-2 py-1.5"
              >
                <option value="">Choose a workspace</option>
                {workspaces.map((workspace) => (
                  <option key={workspace.id} value={workspace.id}>
                    {workspace.name} ({workspace.subscriptionName})
                  </option>
                ))}
              </select>
            </label>
            <PrincipalPicker
              label="Group"
              hint="Type at least 2 characters of the group's name."
              search={groupSearch}
              selected={groups}
              onChange={setGroups}
              multiple={false}
            />
            {group && (
              <p>
                Chosen group: <span className="font-medium">{group.displayName}</span>
              </p>
            )}
            <label className="flex flex-col gap-1">
              <span className="font-medium">Role</span>
              <select
                aria-label="Role"
                value={roleId}
                disabled={roles.phase !== "done"}
                onChange={(event) => setRoleId(event.target.value)}
                className="rounded border border-line bg-surface-raised px-2 py-1.5 disabled:opacity-60"
              >
                <option value="">{roles.phase === "loading" ? "Loading roles…" : roles.phase === "idle" ? "Choose a workspace first" : "Choose a role"}</option>
                <optgroup label="Azure ML roles">
                  {roleList
                    .filter((option) => option.featured)
                    .map((option) => (
                      <option key={option.id} value={option.id}>
                        {option.name}
                        {option.privileged ? " (privileged)" : ""}
                      </option>
                    ))}
                </optgroup>
                <optgroup label="Other roles">
                  {roleList
                    .filter((option) => !option.featured)
                    .map((option) => (
                      <option key={option.id} value={option.id}>
                        {option.name}
                      </option>
                    ))}
                </optgroup>
              </select>
            </label>
            {roles.phase === "error" && (
              <p role="alert" className="text-danger">
                Roles could not be loaded: {roles.message}
              </p>
            )}
            {role && (
              <div className="rounded-md border border-line bg-surface-sunken px-3 py-2">
                <p>{role.summary ?? role.description}</p>
                {role.warning && <p className="mt-1 font-medium text-warning">⚠ {role.warning}</p>}
              </div>
            )}
            {showResumed && <ResumedNotice what="create the mapping again" />}
            <div aria-live="polite">
              {outcome &&
                !outcome.ok &&
                (outcome.claims && group ? (
                  <StepUpPrompt
                    claims={outcome.claims}
                    resume={{ key: RESUME_KEY, choices: { workspaceId, group, roleId } satisfies CreateMappingChoices }}
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
              <Button type="submit" variant="primary" disabled={pending || !retry.ready || !group || !role || !workspaceId}>
                {pending ? "Creating…" : "Create mapping"}
              </Button>
            </DialogFooter>
          </form>
        )}
        {outcome?.ok && (
          <div className="space-y-3" aria-live="polite">
            <ResultText ok message={outcome.message} reference={outcome.reference} />
            <DialogFooter>
              <DialogClose className={buttonClass("primary")}>Done</DialogClose>
            </DialogFooter>
          </div>
        )}
      </DialogPanel>
    </DialogRoot>
  );
}
