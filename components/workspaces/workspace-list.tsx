"use client";

import Link from "next/link";
import { useId, useMemo, useState } from "react";

import { groupProjectsUnderHubs, WORKSPACE_KIND_LABELS } from "@/lib/shared/workspace-kinds";
import type { WorkspaceSummary } from "@/lib/workspaces/list-workspaces";
import { workspacePath } from "./format";
import { TableHeader } from "@/components/ui/table";

const ALL = "";

/** The workspace table with a search box and subscription / region filters, all in the browser. */
export function WorkspaceList({ workspaces }: { workspaces: readonly WorkspaceSummary[] }) {
  const [query, setQuery] = useState("");
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
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col gap-1">
          <span className="text-ink-muted">Search workspaces</span>
          <input
            type="search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            placeholder="Name, resource group…"
            className="w-72 rounded border border-line bg-surface-raised px-2 py-1.5"
          />
        </label>
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
          {visible.length === workspaces.length ? `${workspaces.length} workspaces` : `${visible.length} of ${workspaces.length} workspaces`}
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
                  {workspaces.length === 0 ? "You can't read any Azure ML workspace." : "No workspace matches these filters."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
