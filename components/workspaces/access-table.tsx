"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import dynamic from "next/dynamic";
import { useId, useRef, useState } from "react";

import { useResumedStepUp } from "@/components/auth/step-up";
import { download } from "@/components/shared/download";
import { formatDateTime } from "@/components/shared/format";
import { Button } from "@/components/ui/button";
import { ORIGIN_LABELS } from "@/lib/shared/arm-scope";
import { notOfferedReason } from "@/lib/shared/principal-status";
import type { AccessRow } from "@/lib/workspaces/get-workspace-access";
import { AccessTableFilters } from "./access-table-filters";
import { toCsv, toJson } from "./export";
import { isRecent, principalName, principalTypeLabel, shortScope } from "./format";
import { type RevokeChoices, revokeResumeKey } from "./revoke-resume-key";
import { type AccessTableState, isRemovableHere, type SortKey, useAccessTableState } from "./use-access-table-state";

// The removal dialog (and the dialog machinery it brings) is downloaded when a removal is first asked for: most views
// of the page remove nothing.
const RevokeDialog = dynamic(() => import("./revoke-dialog").then((module) => module.RevokeDialog));

const ROW_ESTIMATE = 64;

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
 * select direct assignments to remove (not those PIM made: they are removed in PIM). Only the rows in the viewport are rendered, so thousands stay smooth; the
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
  const table = useAccessTableState(rows);
  // Mounted from the first removal on, then kept: closing and reopening behave as a dialog that was always there.
  const [revokeAsked, setRevokeAsked] = useState(false);
  if (table.revokeTargets !== null && !revokeAsked) setRevokeAsked(true);
  const { visible, sort } = table;
  const scrollRef = useRef<HTMLDivElement>(null);
  // Back from signing in again for a claims challenge: reopen the removal of the assignments that are still there.
  const resumed = useResumedStepUp<RevokeChoices>(revokeResumeKey(workspaceId), (choices) => {
    const wanted = new Set(choices.assignmentIds.map((assignmentId) => assignmentId.toLowerCase()));
    const targets = rows.filter((row) => wanted.has(row.assignmentId.toLowerCase()) && row.origin === "workspace");
    if (targets.length > 0) table.revoke(targets, choices.orphanCleanup === true);
  });

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
          {table.orphanCount > 0 && ` · ${table.orphanCount} with identity not found`}
        </p>
      </div>

      <AccessTableFilters filters={table.filters} setFilter={table.setFilter} options={table.options} onExport={exportAs} />

      {canRevoke && <SelectionBar table={table} />}

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
                    checked={table.allVisibleSelected}
                    disabled={table.visibleDirect.length === 0}
                    onChange={(event) => table.toggleAllVisible(event.target.checked)}
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
                  <button type="button" onClick={() => table.sortBy(column.key)} className="flex items-center gap-1 rounded hover:text-ink">
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
                  checked={table.selected.has(row.assignmentId)}
                  onToggle={table.toggle}
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

      {canRevoke && revokeAsked && (
        <RevokeDialog
          workspaceId={workspaceId}
          targets={table.revokeTargets ?? []}
          open={table.revokeTargets !== null}
          onOpenChange={(open) => {
            if (!open) table.closeRevoke();
          }}
          onRevoked={table.forget}
          orphanCleanup={table.orphanCleanup}
          resumed={resumed !== undefined}
        />
      )}
    </section>
  );
}

/** For admins: how many direct assignments are selected, and the buttons that remove them or clean up orphans. */
function SelectionBar({ table }: { table: AccessTableState }) {
  const { selectedRows, orphanTargets } = table;
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md border border-line bg-surface-raised px-3 py-2">
      <span aria-live="polite">{selectedRows.length === 0 ? "Select direct assignments to remove them." : `${selectedRows.length} selected`}</span>
      <Button variant="danger" disabled={selectedRows.length === 0} onClick={() => table.revoke(selectedRows)}>
        Remove selected
      </Button>
      {selectedRows.length > 0 && <Button onClick={table.clearSelection}>Clear selection</Button>}
      <Button variant="warning" disabled={orphanTargets.length === 0} onClick={table.cleanUpOrphans} className="ml-auto">
        Clean up orphans ({orphanTargets.length})
      </Button>
      {table.heldBackCount > 0 && (
        <span className="basis-full text-right text-xs text-ink-muted" data-testid="orphans-held-back">
          {table.heldBackCount} not offered for clean-up: a partner organisation&apos;s group, a principal Graph cannot look up, or one created moments ago (see
          each row).
        </span>
      )}
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
  // Why "Clean up orphans" leaves this row out although the directory lookup did not return an ordinary principal.
  const notReason = notOfferedReason(row.principalStatus, row.principalType);
  const direct = row.origin === "workspace";
  const removable = isRemovableHere(row);
  return (
    <tr ref={measure} data-index={dataIndex} aria-rowindex={rowIndex} className="border-t border-line align-top hover:bg-surface-sunken">
      {canRevoke && (
        <td className="px-3 py-2">
          {removable ? (
            <input
              type="checkbox"
              aria-label={`Select ${name}, ${row.roleName}`}
              checked={checked}
              onChange={(event) => onToggle(row.assignmentId, event.target.checked)}
            />
          ) : (
            <span className="sr-only">{direct ? "Made by PIM: remove it in PIM" : "Inherited: remove at its scope"}</span>
          )}
        </td>
      )}
      <td className="px-3 py-2 break-words">
        {row.principalStatus === "not_found" ? (
          <>
            <span className="font-medium text-warning">⚠ Identity not found</span>
            <span className="block break-all font-mono text-xs text-ink-muted">{row.principalId}</span>
          </>
        ) : row.principal === undefined ? (
          <span className="break-all font-mono text-xs">{row.principalId}</span>
        ) : (
          <>
            <span className="font-medium">{name}</span>
            {row.principal === null && <span className="block break-all font-mono text-xs text-ink-muted">{row.principalId}</span>}
          </>
        )}
        {notReason && <span className="mt-1 block text-xs text-ink-muted">{notReason}</span>}
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
        {row.pim && (
          <span className="mt-1 block text-xs font-medium text-warning">
            {row.pim.assignmentType === "Activated" ? "PIM-activated" : "PIM assignment"}
            {row.pim.endDateTime ? ` until ${formatDateTime(row.pim.endDateTime)}` : ""}
            <span className="block font-normal text-ink-muted">remove it in PIM</span>
          </span>
        )}
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
      <td className="px-3 py-2 break-all font-mono text-xs">
        {row.condition ? (
          <span title={row.condition}>
            <span className="block font-sans font-medium text-warning">Only where this condition holds:</span>
            {row.condition}
          </span>
        ) : (
          <span className="text-ink-muted">—</span>
        )}
      </td>
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
