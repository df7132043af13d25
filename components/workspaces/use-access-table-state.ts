"use client";

import { useMemo, useState } from "react";

import type { AssignmentOrigin } from "@/lib/shared/arm-scope";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { principalName, principalTypeLabel } from "./format";

export type SortKey = "principal" | "type" | "secondaryId" | "role" | "origin" | "condition" | "created";
export interface Sort {
  readonly key: SortKey;
  readonly direction: "ascending" | "descending";
}

/** The value of a filter that lets every row through. */
export const ALL = "";

export interface AccessFilters {
  readonly query: string;
  readonly role: string;
  readonly type: string;
  readonly origin: string;
  readonly orphansOnly: boolean;
}

const NO_FILTERS: AccessFilters = { query: "", role: ALL, type: ALL, origin: ALL, orphansOnly: false };

/** Closest scope first: the workspace's own assignments, then what it inherits from further up. */
const ORIGIN_ORDER: Record<AssignmentOrigin, number> = { workspace: 0, resourceGroup: 1, subscription: 2, managementGroup: 3, root: 4, other: 5 };

const SORT_VALUES: Record<SortKey, (row: AccessRow) => string | number> = {
  // Orphans ("Identity not found") sort together, after names.
  principal: (row) => (row.principalStatus === "not_found" ? "\uffff" : principalName(row).toLowerCase()),
  type: (row) => principalTypeLabel(row),
  secondaryId: (row) => (row.principal?.secondaryId ?? "").toLowerCase(),
  role: (row) => row.roleName.toLowerCase(),
  origin: (row) => ORIGIN_ORDER[row.origin],
  condition: (row) => (row.condition ? 0 : 1),
  created: (row) => row.createdOn ?? "",
};

/** The rows that pass the filters, in the sort's order; rows that compare equal keep the server's order. */
export function visibleRows(rows: readonly AccessRow[], filters: AccessFilters, sort: Sort): AccessRow[] {
  const needle = filters.query.trim().toLowerCase();
  const filtered = rows.filter(
    (row) =>
      (filters.role === ALL || row.roleName === filters.role) &&
      (filters.type === ALL || principalTypeLabel(row) === filters.type) &&
      (filters.origin === ALL || row.origin === filters.origin) &&
      (!filters.orphansOnly || row.principalStatus === "not_found") &&
      (needle === "" ||
        [principalName(row), row.principalId, row.principal?.secondaryId ?? "", row.roleName, row.scope, row.description ?? "", row.createdBy ?? ""].some(
          (value) => value.toLowerCase().includes(needle),
        )),
  );
  const read = SORT_VALUES[sort.key];
  const factor = sort.direction === "ascending" ? 1 : -1;
  return filtered
    .map((row, index) => ({ row, index, value: read(row) }))
    .sort((a, b) => {
      const order = typeof a.value === "number" && typeof b.value === "number" ? a.value - b.value : String(a.value).localeCompare(String(b.value));
      return order !== 0 ? order * factor : a.index - b.index;
    })
    .map((entry) => entry.row);
}

/** Whether the workspace page may remove a row: made on the workspace itself, and not by PIM (removed in PIM). */
export function isRemovableHere(row: Pick<AccessRow, "origin" | "pim">): boolean {
  return row.origin === "workspace" && row.pim === null;
}

/**
 * The access table's state: filters, sort, the selection of direct assignments to remove, and the rows a removal
 * dialog is open for. Only direct assignments (made on the workspace itself) can be selected: inherited ones are
 * removed where they were made, and PIM's in PIM.
 */
export function useAccessTableState(rows: readonly AccessRow[]) {
  const [filters, setFilters] = useState<AccessFilters>(NO_FILTERS);
  const [sort, setSort] = useState<Sort>({ key: "origin", direction: "ascending" });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [revokeTargets, setRevokeTargets] = useState<readonly AccessRow[] | null>(null);
  // Opened by "Clean up orphans": the server then removes only what it confirms deleted itself.
  const [orphanCleanup, setOrphanCleanup] = useState(false);

  const options = useMemo(
    () => ({
      roles: [...new Set(rows.map((row) => row.roleName))].sort((a, b) => a.localeCompare(b)),
      types: [...new Set(rows.map((row) => principalTypeLabel(row)))].sort(),
      origins: [...new Set(rows.map((row) => row.origin))].sort((a, b) => ORIGIN_ORDER[a] - ORIGIN_ORDER[b]),
    }),
    [rows],
  );
  // Only identities the directory says are gone: never a partner's group, a type Graph cannot look up, or one
  // assigned within the replication window (lib/shared/principal-status.ts).
  const orphanCount = useMemo(() => rows.filter((row) => row.principalStatus === "not_found").length, [rows]);
  const directIds = useMemo(() => new Set(rows.filter(isRemovableHere).map((row) => row.assignmentId)), [rows]);
  const visible = useMemo(() => visibleRows(rows, filters, sort), [rows, filters, sort]);

  // Selection only ever holds direct assignments that still exist.
  const selectedRows = rows.filter((row) => selected.has(row.assignmentId) && directIds.has(row.assignmentId));
  const visibleDirect = visible.filter(isRemovableHere);
  const allVisibleSelected = visibleDirect.length > 0 && visibleDirect.every((row) => selected.has(row.assignmentId));
  const orphanTargets = rows.filter((row) => row.principalStatus === "not_found" && isRemovableHere(row));
  /** Direct rows the directory did not return ordinarily that clean-up leaves out: partners', unresolvable, recent. */
  const heldBackCount = rows.filter(
    (row) => isRemovableHere(row) && (row.principalStatus === "partner" || row.principalStatus === "not_resolvable" || row.principalStatus === "recent"),
  ).length;

  function setFilter<Key extends keyof AccessFilters>(key: Key, value: AccessFilters[Key]) {
    setFilters((previous) => ({ ...previous, [key]: value }));
  }

  function toggle(assignmentId: string, on: boolean) {
    setSelected((previous) => {
      const next = new Set(previous);
      if (on) next.add(assignmentId);
      else next.delete(assignmentId);
      return next;
    });
  }

  function toggleAllVisible(on: boolean) {
    setSelected((previous) => {
      const next = new Set(previous);
      for (const row of visibleDirect) {
        if (on) next.add(row.assignmentId);
        else next.delete(row.assignmentId);
      }
      return next;
    });
  }

  /** Removed assignments leave the selection. */
  function forget(assignmentIds: readonly string[]) {
    setSelected((previous) => {
      const next = new Set(previous);
      for (const assignmentId of assignmentIds) next.delete(assignmentId);
      return next;
    });
  }

  function sortBy(key: SortKey) {
    setSort((previous) =>
      previous.key === key ? { key, direction: previous.direction === "ascending" ? "descending" : "ascending" } : { key, direction: "ascending" },
    );
  }

  return {
    filters,
    setFilter,
    options,
    orphanCount,
    sort,
    sortBy,
    visible,
    selected,
    selectedRows,
    visibleDirect,
    allVisibleSelected,
    orphanTargets,
    heldBackCount,
    orphanCleanup,
    toggle,
    toggleAllVisible,
    clearSelection: () => setSelected(new Set()),
    forget,
    revokeTargets,
    /** Opens the removal dialog for these rows (as an orphan clean-up when resumed from one). */
    revoke: (targets: readonly AccessRow[], asOrphanCleanup = false) => {
      setOrphanCleanup(asOrphanCleanup);
      setRevokeTargets(targets);
    },
    /** Selects every orphaned direct assignment and opens the removal dialog for them. */
    cleanUpOrphans: () => {
      setSelected(new Set(orphanTargets.map((row) => row.assignmentId)));
      setOrphanCleanup(true);
      setRevokeTargets(orphanTargets);
    },
    closeRevoke: () => setRevokeTargets(null),
  };
}

export type AccessTableState = ReturnType<typeof useAccessTableState>;
