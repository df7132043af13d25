"use client";

import { useState } from "react";

import type { StoredDriftReport } from "@/lib/mappings/drift-job";
import type { MappingRecord } from "@/lib/mappings/drift";
import { CreateMappingDialog } from "./create-mapping-dialog";
import { DeleteMappingDialog } from "./delete-mapping-dialog";
import { DriftPanel } from "./drift-panel";
import { MembersDialog } from "./members-dialog";
import { TransferPanel } from "./transfer-panel";

export interface MappingRow extends MappingRecord {
  readonly memberCount: number | null;
}

export interface WorkspaceOption {
  readonly id: string;
  readonly name: string;
  readonly subscriptionName: string;
}

export function workspaceNameOf(scope: string): string {
  return scope.split("/").pop() ?? scope;
}

/** The mappings page: all mappings, create/delete, import/export, and the drift report with reconcile. */
export function MappingsConsole({
  mappings,
  workspaces,
  latest,
  canAdmin,
}: {
  mappings: readonly MappingRow[];
  workspaces: readonly WorkspaceOption[];
  latest: StoredDriftReport | null;
  canAdmin: boolean;
}) {
  const [filter, setFilter] = useState("");
  const [members, setMembers] = useState<MappingRow | null>(null);
  const [deleting, setDeleting] = useState<MappingRow | null>(null);
  const needle = filter.trim().toLowerCase();
  const visible = mappings.filter(
    (m) => needle === "" || [m.groupDisplayName, m.roleName, workspaceNameOf(m.scope)].some((value) => value.toLowerCase().includes(needle)),
  );

  return (
    <>
      <section aria-labelledby="mappings-heading" className="space-y-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="mappings-heading" className="text-lg font-semibold">
            Mappings <span className="text-ink-muted">({mappings.length})</span>
          </h2>
          <div className="flex flex-wrap items-end gap-2">
            <label className="flex flex-col gap-1">
              <span className="text-ink-muted">Search mappings</span>
              <input value={filter} onChange={(event) => setFilter(event.target.value)} className="rounded border border-line bg-surface-raised px-2 py-1.5" />
            </label>
            {canAdmin && <CreateMappingDialog workspaces={workspaces} />}
          </div>
        </div>
        {mappings.length === 0 ? (
          <p className="rounded-md border border-line bg-surface-raised px-4 py-3 text-ink-muted">
            No mappings yet. Map a group to a workspace role, or import a workspace&apos;s existing group assignments.
          </p>
        ) : (
          <div className="overflow-x-auto rounded-md border border-line bg-surface-raised">
            <table className="w-full text-left" aria-label="Group mappings">
              <thead className="bg-surface-sunken text-ink-muted">
                <tr>
                  <th className="px-3 py-2 font-medium">Workspace</th>
                  <th className="px-3 py-2 font-medium">Group</th>
                  <th className="px-3 py-2 font-medium">Role</th>
                  <th className="px-3 py-2 font-medium">Members</th>
                  <th className="px-3 py-2 font-medium">Created</th>
                  <th className="px-3 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-line">
                {visible.map((mapping) => (
                  <tr key={mapping.id}>
                    <td className="px-3 py-2">{workspaceNameOf(mapping.scope)}</td>
                    <td className="px-3 py-2 font-medium">{mapping.groupDisplayName}</td>
                    <td className="px-3 py-2">{mapping.roleName}</td>
                    <td className="px-3 py-2">
                      <button type="button" onClick={() => setMembers(mapping)} className="text-accent underline-offset-2 hover:underline">
                        {mapping.memberCount === null ? "Members" : `${mapping.memberCount.toLocaleString("en-US")} members`}
                        <span className="sr-only"> of {mapping.groupDisplayName}</span>
                      </button>
                    </td>
                    <td className="px-3 py-2 text-ink-muted">
                      {new Date(mapping.createdAt).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC · {mapping.createdBy}
                    </td>
                    <td className="px-3 py-2 text-right">
                      {canAdmin && (
                        <button type="button" onClick={() => setDeleting(mapping)} className="rounded border border-line px-2 py-1 hover:bg-surface-sunken">
                          Delete<span className="sr-only"> mapping of {mapping.groupDisplayName} to {mapping.roleName} on {workspaceNameOf(mapping.scope)}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <TransferPanel workspaces={workspaces} canAdmin={canAdmin} />
      <DriftPanel workspaces={workspaces} latest={latest} canAdmin={canAdmin} />

      <MembersDialog mapping={members} onClose={() => setMembers(null)} />
      <DeleteMappingDialog mapping={deleting} onClose={() => setDeleting(null)} />
    </>
  );
}
