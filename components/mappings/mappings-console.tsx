"use client";

import { useState } from "react";

import type { StoredDriftReport } from "@/lib/mappings/drift-job";
import { useResumedStepUp } from "@/components/auth/step-up";
import { Button } from "@/components/ui/button";
import { CreateMappingDialog } from "./create-mapping-dialog";
import { DELETE_MAPPING_RESUME_KEY, type DeleteMappingChoices, DeleteMappingDialog } from "./delete-mapping-dialog";
import { DriftPanel } from "./drift-panel";
import { MembersDialog } from "./members-dialog";
import { type MappingRow, type WorkspaceOption, workspaceNameOf } from "./model";
import { TransferPanel } from "./transfer-panel";

type SortKey = "workspace" | "group" | "role" | "members" | "created";
interface Sort {
  readonly key: SortKey;
  readonly direction: "ascending" | "descending";
}

const COLUMNS: readonly { key: SortKey; label: string }[] = [
  { key: "workspace", label: "Workspace" },
  { key: "group", label: "Group" },
  { key: "role", label: "Role" },
  { key: "members", label: "Members" },
  { key: "created", label: "Created" },
];

function compareBy(key: SortKey): (a: MappingRow, b: MappingRow) => number {
  switch (key) {
    case "workspace":
      return (a, b) => workspaceNameOf(a.scope).localeCompare(workspaceNameOf(b.scope));
    case "group":
      return (a, b) => a.groupDisplayName.localeCompare(b.groupDisplayName);
    case "role":
      return (a, b) => a.roleName.localeCompare(b.roleName);
    // Unknown counts (Graph could not say) sort below every known one.
    case "members":
      return (a, b) => (a.memberCount ?? -1) - (b.memberCount ?? -1);
    case "created":
      return (a, b) => a.createdAt.localeCompare(b.createdAt);
  }
}

/**
 * The mappings page: all mappings (or one workspace's, from `?workspace=`), searchable and sortable; create/delete,
 * import/export, and the drift report with reconcile.
 */
export function MappingsConsole({
  mappings,
  workspaces,
  latest,
  canAdmin,
  initialWorkspace = "",
}: {
  mappings: readonly MappingRow[];
  workspaces: readonly WorkspaceOption[];
  latest: StoredDriftReport | null;
  canAdmin: boolean;
  /** A workspace id (any casing) to show first; empty for all. */
  initialWorkspace?: string;
}) {
  const [filter, setFilter] = useState("");
  const [workspace, setWorkspace] = useState(initialWorkspace.toLowerCase());
  const [sort, setSort] = useState<Sort>({ key: "workspace", direction: "ascending" });
  const [members, setMembers] = useState<MappingRow | null>(null);
  const [deleting, setDeleting] = useState<MappingRow | null>(null);
  // Back from signing in again for a claims challenge: ask again to delete the same mapping, if it is still there.
  const resumedDelete = useResumedStepUp<DeleteMappingChoices>(DELETE_MAPPING_RESUME_KEY, (choices) => {
    const again = mappings.find((candidate) => candidate.id === choices.mappingId);
    if (again) setDeleting(again);
  });
  const needle = filter.trim().toLowerCase();
  // Workspaces to filter by: those the admin can list, plus any a mapping names that the list lacks (no read access now).
  const workspaceChoices = new Map(workspaces.map((w) => [w.id.toLowerCase(), `${w.name} (${w.subscriptionName})`]));
  for (const mapping of mappings) {
    if (!workspaceChoices.has(mapping.scope.toLowerCase())) workspaceChoices.set(mapping.scope.toLowerCase(), workspaceNameOf(mapping.scope));
  }
  if (workspace !== "" && !workspaceChoices.has(workspace)) workspaceChoices.set(workspace, workspaceNameOf(workspace));
  const compare = compareBy(sort.key);
  const visible = mappings
    .filter(
      (m) =>
        (workspace === "" || m.scope.toLowerCase() === workspace) &&
        (needle === "" || [m.groupDisplayName, m.roleName, workspaceNameOf(m.scope)].some((value) => value.toLowerCase().includes(needle))),
    )
    .sort((a, b) => (sort.direction === "ascending" ? 1 : -1) * (compare(a, b) || a.id.localeCompare(b.id)));
  const sortBy = (key: SortKey) =>
    setSort((current) => ({ key, direction: current.key === key && current.direction === "ascending" ? "descending" : "ascending" }));

  return (
    <>
      <section aria-labelledby="mappings-heading" className="space-y-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="mappings-heading" className="text-lg font-semibold">
            Mappings{" "}
            <span className="text-ink-muted">({visible.length === mappings.length ? mappings.length : `${visible.length} of ${mappings.length}`})</span>
          </h2>
          <div className="flex flex-wrap items-end gap-2">
            <label className="flex flex-col gap-1">
              <span className="text-ink-muted">Filter by workspace</span>
              <select
                value={workspace}
                onChange={(event) => setWorkspace(event.target.value)}
                className="rounded border border-line bg-surface-raised px-2 py-1.5"
              >
                <option value="">All workspaces</option>
                {[...workspaceChoices.entries()]
                  .sort((a, b) => a[1].localeCompare(b[1]))
                  .map(([id, label]) => (
                    <option key={id} value={id}>
                      {label}
                    </option>
                  ))}
              </select>
            </label>
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
                  {COLUMNS.map((column) => (
                    <th key={column.key} scope="col" className="px-3 py-2 font-medium" aria-sort={sort.key === column.key ? sort.direction : undefined}>
                      <button type="button" onClick={() => sortBy(column.key)} className="flex items-center gap-1 rounded hover:text-ink">
                        {column.label}
                        <span aria-hidden="true">{sort.key === column.key ? (sort.direction === "ascending" ? "▲" : "▼") : ""}</span>
                      </button>
                    </th>
                  ))}
                  <th scope="col" className="px-3 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-line">
                {visible.length === 0 && (
                  <tr>
                    <td colSpan={6} className="px-3 py-3 text-ink-muted">
                      No mapping matches{workspace !== "" ? ` on ${workspaceChoices.get(workspace) ?? workspaceNameOf(workspace)}` : ""}
                      {needle !== "" ? ` and “${filter.trim()}”` : ""}.
                    </td>
                  </tr>
                )}
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
                      {new Date(mapping.createdAt).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC ·{" "}
                      {mapping.createdBy}
                    </td>
                    <td className="px-3 py-2 text-right">
                      {canAdmin && (
                        <Button size="sm" onClick={() => setDeleting(mapping)}>
                          Delete
                          <span className="sr-only">
                            {" "}
                            mapping of {mapping.groupDisplayName} to {mapping.roleName} on {workspaceNameOf(mapping.scope)}
                          </span>
                        </Button>
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
      <DeleteMappingDialog mapping={deleting} onClose={() => setDeleting(null)} resumed={resumedDelete !== undefined} />
    </>
  );
}
