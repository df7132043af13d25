"use client";

import Link from "next/link";
import { useId, useMemo, useState } from "react";

import { groupProjectsUnderHubs, WORKSPACE_KIND_LABELS } from "@/lib/shared/workspace-kinds";
import type { WorkspaceSummary } from "@/lib/workspaces/list-workspaces";
import { workspacePath } from "./format";
import { TableHeader } from "@/components/ui/table";

const ALL = "";

interface WorkspaceListProps {
  /** One page of the estate, or all of it. */
  readonly workspaces: readonly WorkspaceSummary[];
  /** Workspaces matching `search` in the whole estate. */
  readonly total: number;
  readonly skip: number;
  readonly pageSize: number;
  /** The search the server ran (empty for none). */
  readonly search: string;
  /** Why the search in the address was not run. */
  readonly searchProblem?: string;
  /** The longest search the server takes (a prop: the schema module brings zod, whose eval probe the CSP blocks). */
  readonly searchMaxLength: number;
}

/** `/workspaces` with a search and a position; empty values are left out. */
function listHref(search: string, skip: number): string {
  const params = new URLSearchParams();
  if (search !== "") params.set("q", search);
  if (skip > 0) params.set("skip", String(skip));
  const query = params.toString();
  return query === "" ? "/workspaces" : `/workspaces?${query}`;
}

/**
 * The workspace table with a search box and subscription / region filters. When the whole estate is on the page the
 * box filters in the browser as you type; when it is bigger than a page, the same box also searches the whole estate
 * on the server (Enter), and Previous / Next move through the pages. Subscription and region filter the rows shown.
 */
export function WorkspaceList({ workspaces, total, skip, pageSize, search, searchProblem, searchMaxLength }: WorkspaceListProps) {
  const complete = skip === 0 && search === "" && total <= workspaces.length;
  const [query, setQuery] = useState(search);
  const [subscription, setSubscription] = useState(ALL);
  const [region, setRegion] = useState(ALL);
  const id = useId();

  const subscriptions = useMemo(
    () => [...new Map(workspaces.map((w) => [w.subscriptionId, w.subscriptionName])).entries()].sort((a, b) => a[1].localeCompare(b[1])),
    [workspaces],
  );
  const regions = useMemo(() => [...new Set(workspaces.map((w) => w.location))].sort(), [workspaces]);

  const visible = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return workspaces.filter(
      (w) =>
        (subscription === ALL || w.subscriptionId === subscription) &&
        (region === ALL || w.location === region) &&
        (needle === "" ||
          [w.name, w.friendlyName ?? "", w.resourceGroup, w.subscriptionName, w.location, WORKSPACE_KIND_LABELS[w.kind]].some((value) =>
            value.toLowerCase().includes(needle),
          )),
    );
  }, [workspaces, query, subscription, region]);
  const rows = useMemo(() => groupProjectsUnderHubs(visible), [visible]);

  return (
    <div className="space-y-3">
      {searchProblem && (
        <p role="alert" className="rounded-md border border-danger/40 bg-surface-raised px-4 py-3 text-danger">
          {searchProblem}
        </p>
      )}
      <div className="flex flex-wrap items-end gap-3">
        <form
          method="get"
          action="/workspaces"
          // The whole estate is here: filtering as you type is the search; there is nothing to ask the server.
          onSubmit={(event) => complete && event.preventDefault()}
          className="flex items-end gap-2"
        >
          <label className="flex flex-col gap-1">
            <span className="text-ink-muted">Search workspaces</span>
            <input
              type="search"
              name="q"
              value={query}
              maxLength={searchMaxLength}
              onChange={(event) => setQuery(event.target.value)}
              placeholder="Name, resource group…"
              className="w-72 rounded border border-line bg-surface-raised px-2 py-1.5"
            />
          </label>
          {!complete && (
            <button type="submit" className="rounded border border-line bg-surface-raised px-3 py-1.5">
              Search all
            </button>
          )}
          {search !== "" && (
            <Link href="/workspaces" className="py-1.5 text-accent underline-offset-2 hover:underline">
              Clear search
            </Link>
          )}
        </form>
        <label className="flex flex-col gap-1">
          <span className="text-ink-muted">Subscription</span>
          <select
            value={subscription}
            onChange={(event) => setSubscription(event.target.value)}
            className="rounded border border-line bg-surface-raised px-2 py-1.5"
          >
            <option value={ALL}>All subscriptions</option>
            {subscriptions.map(([subscriptionId, name]) => (
              <option key={subscriptionId} value={subscriptionId}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1">
          <span className="text-ink-muted">Region</span>
          <select value={region} onChange={(event) => setRegion(event.target.value)} className="rounded border border-line bg-surface-raised px-2 py-1.5">
            <option value={ALL}>All regions</option>
            {regions.map((location) => (
              <option key={location} value={location}>
                {location}
              </option>
            ))}
          </select>
        </label>
        <p id={`${id}-count`} aria-live="polite" className="ml-auto text-ink-muted">
          {complete
            ? visible.length === workspaces.length
              ? `${workspaces.length} workspaces`
              : `${visible.length} of ${workspaces.length} workspaces`
            : `${workspaces.length === 0 ? "None" : `${skip + 1}–${skip + workspaces.length}`} of ${total.toLocaleString("en-US")} workspaces${search === "" ? "" : ` matching “${search}”`}${visible.length === workspaces.length ? "" : `, ${visible.length} shown`}`}
        </p>
      </div>
      <div className="overflow-x-auto rounded-md border border-line bg-surface-raised">
        <table className="w-full text-left" aria-describedby={`${id}-count`}>
          <caption className="sr-only">Azure ML workspaces you can read</caption>
          <TableHeader
            className="border-b border-line"
            columns={["Workspace", "Subscription", "Resource group", "Region", { label: "Role assignments", className: "text-right" }]}
          />
          <tbody className="divide-y divide-line">
            {rows.map(({ workspace: w, hubName, underHub }) => (
              <tr key={w.id} className="hover:bg-surface-sunken" data-kind={w.kind}>
                <td className={underHub ? "py-2 pl-8 pr-3" : "px-3 py-2"}>
                  <Link href={workspacePath(w.subscriptionId, w.resourceGroup, w.name)} className="font-medium text-accent underline-offset-2 hover:underline">
                    {w.name}
                  </Link>
                  {w.kind !== "Default" && (
                    <span className="ml-2 rounded border border-line px-1.5 py-0.5 text-xs text-ink-muted">{WORKSPACE_KIND_LABELS[w.kind]}</span>
                  )}
                  {w.friendlyName && w.friendlyName !== w.name && <div className="text-ink-muted">{w.friendlyName}</div>}
                  {hubName && <div className="text-xs text-ink-muted">{underHub ? `Project of ${hubName}` : `Project of ${hubName} (hub not listed)`}</div>}
                </td>
                <td className="px-3 py-2">{w.subscriptionName}</td>
                <td className="px-3 py-2 font-mono text-xs">{w.resourceGroup}</td>
                <td className="px-3 py-2">{w.location}</td>
                <td className="px-3 py-2 text-right tabular-nums">
                  {w.roleAssignmentCount === null ? (
                    <span className="text-ink-muted" title="Your Azure roles don't let you read this subscription's role assignments">
                      —
                    </span>
                  ) : (
                    w.roleAssignmentCount
                  )}
                </td>
              </tr>
            ))}
            {visible.length === 0 && (
              <tr>
                <td colSpan={5} className="px-3 py-6 text-center text-ink-muted">
                  {workspaces.length > 0
                    ? "No workspace matches these filters."
                    : search !== ""
                      ? "No workspace matches this search."
                      : skip > 0
                        ? "This page is past the end of the list."
                        : "You can't read any Azure ML workspace."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {!complete && (skip > 0 || skip + pageSize < total) && (
        <nav aria-label="Workspace pages" className="flex justify-end gap-3">
          {skip > 0 && (
            <Link href={listHref(search, Math.max(0, skip - pageSize))} className="text-accent underline-offset-2 hover:underline">
              Previous {pageSize}
            </Link>
          )}
          {skip + pageSize < total && (
            <Link href={listHref(search, skip + pageSize)} className="text-accent underline-offset-2 hover:underline">
              Next {Math.min(pageSize, total - skip - pageSize)}
            </Link>
          )}
        </nav>
      )}
    </div>
  );
}
