"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useId, useMemo, useRef, useState } from "react";

import { type AssignmentOrigin, ORIGIN_LABELS } from "@/lib/shared/arm-scope";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { download } from "@/components/shared/download";
import { formatDateTime } from "@/components/shared/format";
import { toCsv, toJson } from "./export";
import { isRecent, principalName, principalTypeLabel, shortScope } from "./format";
import { RevokeDialog } from "./revoke-dialog";

type SortKey = "principal" | "type" | "secondaryId" | "role" | "origin" | "condition" | "created";
type Sort = { key: SortKey; direction: "ascending" | "descending" };

const ORIGIN_ORDER: Record<AssignmentOrigin, number> = { workspace: 0, resourceGroup: 1, subscription: 2, managementGroup: 3, root: 4, other: 5 };
const ROW_ESTIMATE = 64;
const ALL = "";

const SORT_VALUES: Record<SortKey, (row: AccessRow) => string | number> = {
  // Orphans ("Identity not found") sort together, after names.
  principal: (row) => (row.principal === null ? "\uffff" : principalName(row).toLowerCase()),
  type: (row) => principalTypeLabel(row),
  secondaryId: (row) => (row.principal?.secondaryId ?? "").toLowerCase(),
  role: (row) => row.roleName.toLowerCase(),
  origin: (row) => ORIGIN_ORDER[row.origin],
  condition: (row) => (row.condition ? 0 : 1),
  created: (row) => row.createdOn ?? "",
};

const COLUMNS: ReadonlyArray<{ key: SortKey; label: string; width: string }> = [
  { key: "principal", label: "Principal", width: "w-[19%]" },
  { key: "type", label: "Type", width: "w-[9%]" },
  { key: "secondaryId", label: "UPN / app id", width: "w-[17%]" },
  { key: "role", label: "Role", width: "w-[15%]" },
  { key: "origin", label: "Where from", width: "w-[15%]" },
  { key: "condition", label: "Condition", width: "w-[8%]" },
  { key: "created", label: "Created", width: "w-[14%]" },
];

/**
 * Every role assignment that applies to the workspace: sort, filter, search, export what is in view, and (for admins)
 * select direct assignments to remove. Only the rows in the viewport are rendered, so thousands stay smooth; the
 * table keeps its semantics (aria-rowcount / aria-rowindex tell assistive technology the full size).
 */
export function AccessTable({
  rows,
  renderedAt,
  workspaceId,
  workspaceName,
  canRevoke,
}: {
  rows: readonly AccessRow[];
  /** When the server read the rows (ms since epoch), for the "new" badge. */
  renderedAt: number;
  workspaceId: string;
  workspaceName: string;
  canRevoke: boolean;
}) {
  const id = useId();
  const [query, setQuery] = useState("");
  const [role, setRole] = useState(ALL);
  const [type, setType] = useState(ALL);
  const [origin, setOrigin] = useState(ALL);
  const [orphansOnly, setOrphansOnly] = useState(false);
  const [sort, setSort] = useState<Sort>({ key: "origin", direction: "ascending" });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [revokeTargets, setRevokeTargets] = useState<readonly AccessRow[] | null>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  const roles = useMemo(() => [...new Set(rows.map((row) => row.roleName))].sort((a, b) => a.localeCompare(b)), [rows]);
  const types = useMemo(() => [...new Set(rows.map((row) => principalTypeLabel(row)))].sort(), [rows]);
  const origins = useMemo(() => [...new Set(rows.map((row) => row.origin))].sort((a, b) => ORIGIN_ORDER[a] - ORIGIN_ORDER[b]), [rows]);
  const orphanCount = useMemo(() => rows.filter((row) => row.principal === null).length, [rows]);
  const directIds = useMemo(() => new Set(rows.filter((row) => row.origin === "workspace").map((row) => row.assignmentId)), [rows]);

  const visible = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const filtered = rows.filter(
      (row) =>
        (role === ALL || row.roleName === role) &&
        (type === ALL || principalTypeLabel(row) === type) &&
        (origin === ALL || row.origin === origin) &&
        (!orphansOnly || row.principal === null) &&
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
  }, [rows, query, role, type, origin, orphansOnly, sort]);

  // Selection only ever holds direct assignments that still exist.
  const selectedRows = rows.filter((row) => selected.has(row.assignmentId) && directIds.has(row.assignmentId));
  const visibleDirect = visible.filter((row) => row.origin === "workspace");
  const allVisibleSelected = visibleDirect.length > 0 && visibleDirect.every((row) => selected.has(row.assignmentId));
  const orphanTargets = rows.filter((row) => row.principal === null && row.origin === "workspace");

  // TanStack Virtual keeps its state outside React; the component re-renders on scroll through its own subscription.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_ESTIMATE,
    overscan: 12,
    initialRect: { width: 1200, height: 640 },
    getItemKey: (index) => visible[index]?.assignmentId ?? index,
  });
  const items = virtualizer.getVirtualItems();
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = items.length > 0 ? virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0) : 0;
  const columnCount = COLUMNS.length + (canRevoke ? 1 : 0);

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

  function sortBy(key: SortKey) {
    setSort((previous) => (previous.key === key ? { key, direction: previous.direction === "ascending" ? "descending" : "ascending" } : { key, direction: "ascending" }));
  }

  function exportAs(format: "csv" | "json") {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
    const base = `gatehouse-${workspaceName}-access-${stamp}Z`;
    if (format === "csv") download(toCsv(visible), `${base}.csv`, "text/csv;charset=utf-8");
    else download(toJson(visible), `${base}.json`, "application/json");
  }

  const filtered = visible.length !== rows.length;
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-3">
        <h2 id={`${id}-heading`} className="text-lg font-semibold">
          Who has access
        </h2>
        <p aria-live="polite" className="text-ink-muted" data-testid="assignment-count">
          {filtered ? `${visible.length} of ${rows.length} role assignments` : `${rows.length} role assignments`}
          {orphanCount > 0 && ` · ${orphanCount} with identity not found`}
        </p>
      </div>

      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1">
          <span className="text-ink-muted">Search assignments</span>
          <input
            type="search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            placeholder="Name, UPN, object id, role…"
            className="w-64 rounded border border-line bg-surface-raised px-2 py-1.5"
          />
        </label>
        <FilterSelect label="Role" value={role} onChange={setRole} all="All roles" options={roles.map((name) => [name, name])} />
        <FilterSelect label="Principal type" value={type} onChange={setType} all="All types" options={types.map((name) => [name, name])} />
        <FilterSelect label="Where from" value={origin} onChange={setOrigin} all="Anywhere" options={origins.map((value) => [value, ORIGIN_LABELS[value]])} />
        <label className="flex items-center gap-2 py-1.5">
          <input type="checkbox" checked={orphansOnly} onChange={(event) => setOrphansOnly(event.target.checked)} />
          <span>Identity not found only</span>
        </label>
        <div className="ml-auto flex flex-wrap gap-2">
          <button type="button" onClick={() => exportAs("csv")} className="rounded border border-line px-3 py-1.5 hover:bg-surface-sunken">
            Export CSV
          </button>
          <button type="button" onClick={() => exportAs("json")} className="rounded border border-line px-3 py-1.5 hover:bg-surface-sunken">
            Export JSON
          </button>
        </div>
      </div>

      {canRevoke && (
        <div className="flex flex-wrap items-center gap-3 rounded-md border border-line bg-surface-raised px-3 py-2">
          <span aria-live="polite">
            {selectedRows.length === 0 ? "Select direct assignments to remove them." : `${selectedRows.length} selected`}
          </span>
          <button
            type="button"
            disabled={selectedRows.length === 0}
            onClick={() => setRevokeTargets(selectedRows)}
            className="rounded border border-danger px-3 py-1.5 font-medium text-danger hover:bg-surface-sunken disabled:opacity-50"
          >
            Remove selected
          </button>
          {selectedRows.length > 0 && (
            <button type="button" onClick={() => setSelected(new Set())} className="rounded border border-line px-3 py-1.5 hover:bg-surface-sunken">
              Clear selection
            </button>
          )}
          <button
            type="button"
            disabled={orphanTargets.length === 0}
            onClick={() => {
              setSelected(new Set(orphanTargets.map((row) => row.assignmentId)));
              setRevokeTargets(orphanTargets);
            }}
            className="ml-auto rounded border border-warning px-3 py-1.5 font-medium text-warning hover:bg-surface-sunken disabled:opacity-50"
          >
            Clean up orphans ({orphanTargets.length})
          </button>
        </div>
      )}

      <div
        ref={scrollRef}
        tabIndex={0}
        role="region"
        aria-label="Role assignments (scrollable)"
        className="max-h-[70vh] overflow-auto rounded-md border border-line bg-surface-raised"
      >
        <table className="w-full min-w-[64rem] table-fixed border-collapse text-left" aria-rowcount={visible.length + 1} aria-labelledby={`${id}-heading`}>
          <thead className="sticky top-0 z-[1] bg-surface-sunken text-ink-muted">
            <tr aria-rowindex={1}>
              {canRevoke && (
                <th scope="col" className="w-12 px-3 py-2">
                  <input
                    type="checkbox"
                    aria-label="Select all direct assignments in view"
                    checked={allVisibleSelected}
                    disabled={visibleDirect.length === 0}
                    onChange={(event) => toggleAllVisible(event.target.checked)}
                  />
                </th>
              )}
              {COLUMNS.map((column) => (
                <th
                  key={column.key}
                  scope="col"
                  className={`${column.width} px-3 py-2 font-medium`}
                  aria-sort={sort.key === column.key ? sort.direction : undefined}
                >
                  <button type="button" onClick={() => sortBy(column.key)} className="flex items-center gap-1 rounded hover:text-ink">
                    {column.label}
                    <span aria-hidden="true">{sort.key === column.key ? (sort.direction === "ascending" ? "▲" : "▼") : ""}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {paddingTop > 0 && (
              <tr aria-hidden="true">
                <td colSpan={columnCount} style={{ height: paddingTop, padding: 0 }} />
              </tr>
            )}
            {items.map((item) => {
              const row = visible[item.index];
              if (!row) return null;
              return (
                <AccessTableRow
                  key={item.key}
                  row={row}
                  rowIndex={item.index + 2}
                  measure={virtualizer.measureElement}
                  dataIndex={item.index}
                  renderedAt={renderedAt}
                  canRevoke={canRevoke}
                  checked={selected.has(row.assignmentId)}
                  onToggle={toggle}
                />
              );
            })}
            {paddingBottom > 0 && (
              <tr aria-hidden="true">
                <td colSpan={columnCount} style={{ height: paddingBottom, padding: 0 }} />
              </tr>
            )}
            {visible.length === 0 && (
              <tr>
                <td colSpan={columnCount} className="px-3 py-6 text-center text-ink-muted">
                  {rows.length === 0 ? "No role assignment applies to this workspace." : "No assignment matches these filters."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      {canRevoke && (
        <RevokeDialog
          workspaceId={workspaceId}
          targets={revokeTargets ?? []}
          open={revokeTargets !== null}
          onOpenChange={(open) => {
            if (!open) setRevokeTargets(null);
          }}
          onRevoked={(ids) =>
            setSelected((previous) => {
              const next = new Set(previous);
              for (const assignmentId of ids) next.delete(assignmentId);
              return next;
            })
          }
        />
      )}
    </section>
  );
}

function FilterSelect({
  label,
  value,
  onChange,
  all,
  options,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  all: string;
  options: ReadonlyArray<readonly [string, string]>;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-ink-muted">
        {label}
      </label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)} className="max-w-56 rounded border border-line bg-surface-raised px-2 py-1.5">
        <option value={ALL}>{all}</option>
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </div>
  );
}

function AccessTableRow({
  row,
  rowIndex,
  dataIndex,
  measure,
  renderedAt,
  canRevoke,
  checked,
  onToggle,
}: {
  row: AccessRow;
  rowIndex: number;
  dataIndex: number;
  measure: (element: Element | null) => void;
  renderedAt: number;
  canRevoke: boolean;
  checked: boolean;
  onToggle: (assignmentId: string, on: boolean) => void;
}) {
  const name = principalName(row);
  const direct = row.origin === "workspace";
  return (
    <tr ref={measure} data-index={dataIndex} aria-rowindex={rowIndex} className="border-t border-line align-top hover:bg-surface-sunken">
      {canRevoke && (
        <td className="px-3 py-2">
          {direct ? (
            <input type="checkbox" aria-label={`Select ${name}, ${row.roleName}`} checked={checked} onChange={(event) => onToggle(row.assignmentId, event.target.checked)} />
          ) : (
            <span className="sr-only">Inherited: remove at its scope</span>
          )}
        </td>
      )}
      <td className="px-3 py-2 break-words">
        {row.principal === null ? (
          <>
            <span className="font-medium text-warning">⚠ Identity not found</span>
            <span className="block break-all font-mono text-xs text-ink-muted">{row.principalId}</span>
          </>
        ) : row.principal === undefined ? (
          <span className="break-all font-mono text-xs">{row.principalId}</span>
        ) : (
          <span className="font-medium">{row.principal.displayName}</span>
        )}
      </td>
      <td className="px-3 py-2">{principalTypeLabel(row)}</td>
      <td className="px-3 py-2 break-all font-mono text-xs">{row.principal?.secondaryId ?? ""}</td>
      <td className="px-3 py-2">
        <span title={row.roleDescription || undefined} className={row.roleDescription ? "cursor-help underline decoration-dotted underline-offset-2" : ""}>
          {row.roleName}
        </span>
        {row.roleDescription && <span className="sr-only">: {row.roleDescription}</span>}
        {row.description && <span className="block text-xs text-ink-muted">“{row.description}”</span>}
      </td>
      <td className="px-3 py-2">
        {ORIGIN_LABELS[row.origin]}
        {direct && row.heldBy.length > 0 && (
          <span className="mt-1 block text-xs text-ink-muted">
            Held by{" "}
            {row.heldBy.map((holder, index) => (
              <span key={holder.id}>
                {index > 0 && "; "}
                {holder.href ? (
                  <a href={holder.href} className="underline decoration-dotted underline-offset-2 hover:text-ink">
                    {holder.label}
                  </a>
                ) : (
                  holder.label
                )}
              </span>
            ))}
          </span>
        )}
        {!direct && (
          <span className="block text-xs text-ink-muted" title={row.scope}>
            {canRevoke ? `inherited — manage at ${shortScope(row.scope)}` : shortScope(row.scope)}
          </span>
        )}
      </td>
      <td className="px-3 py-2 break-all font-mono text-xs">{row.condition ? <span title={row.condition}>{row.condition}</span> : <span className="text-ink-muted">—</span>}</td>
      <td className="px-3 py-2 text-xs">
        {formatDateTime(row.createdOn)}
        {row.createdBy && <span className="block break-all text-ink-muted">by {row.createdBy}</span>}
        {isRecent(row.createdOn, renderedAt) && (
          <span className="mt-1 inline-block rounded bg-accent/15 px-1.5 py-0.5 font-medium text-accent">new — may take up to 10 minutes to take effect</span>
        )}
      </td>
    </tr>
  );
}
