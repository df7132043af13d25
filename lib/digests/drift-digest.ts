import "server-only";

import { getConfig } from "@/lib/config";
import type { Database } from "@/lib/db";
import type { DriftReport } from "@/lib/mappings/collect";
import type { DriftKind } from "@/lib/mappings/drift";
import type { NotificationMessage } from "@/lib/notifications/message";
import { type Digest, fingerprintOf, postDigest } from "./post-digest";

/** Workspaces named in a digest; the rest are counted. */
const WORKSPACES_NAMED = 5;

const KIND_WORDS: Record<DriftKind, string> = {
  missing: "Mapped but missing in Azure",
  unmapped_group: "Group assignment not mapped",
  redundant_direct: "Redundant direct assignment",
  deleted_principal: "Assigned to a deleted identity",
  mapped_group_deleted: "Mapped group was deleted",
};
const KINDS = Object.keys(KIND_WORDS) as DriftKind[];

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function mappingsLink() {
  return { label: "Open the mappings", url: `${getConfig().publicOrigin}/mappings` };
}

/** What the scheduled drift check found, as a digest: counts per kind and the workspaces with the most. Undefined: no drift. */
export function driftDigest(report: DriftReport): Digest | undefined {
  const affected = report.workspaces.filter((workspace) => workspace.items.length > 0 || workspace.error !== null);
  if (affected.length === 0) return undefined;
  const items = affected.flatMap((workspace) => workspace.items);
  const unreadable = affected.filter((workspace) => workspace.error !== null);
  const facts = KINDS.map((kind) => ({ name: KIND_WORDS[kind], count: items.filter((item) => item.kind === kind).length }))
    .filter((entry) => entry.count > 0)
    .map((entry) => ({ name: entry.name, value: String(entry.count) }));
  if (unreadable.length > 0) facts.push({ name: "Workspaces that could not be read", value: String(unreadable.length) });
  const worst = [...affected].sort((a, b) => b.items.length - a.items.length || a.workspaceName.localeCompare(b.workspaceName));
  for (const workspace of worst.slice(0, WORKSPACES_NAMED)) {
    const counts = KINDS.map((kind) => ({ kind, count: workspace.items.filter((item) => item.kind === kind).length })).filter((entry) => entry.count > 0);
    const words = counts.map((entry) => `${entry.count} ${KIND_WORDS[entry.kind].toLowerCase()}`);
    if (workspace.error !== null) words.push("could not be read");
    facts.push({ name: `Workspace ${workspace.workspaceName}`, value: words.join(", ") });
  }
  if (worst.length > WORKSPACES_NAMED) facts.push({ name: "Other workspaces with drift", value: String(worst.length - WORKSPACES_NAMED) });
  const message: NotificationMessage = {
    title: `Drift: ${plural(items.length, "difference")} on ${plural(affected.length, "workspace")}`,
    summary:
      `The scheduled drift check found ${plural(items.length, "difference")} between the group mappings and Azure` +
      `${unreadable.length > 0 ? `, and ${plural(unreadable.length, "workspace")} it could not read` : ""}. Review and reconcile them in the console.`,
    facts,
    link: mappingsLink(),
  };
  return {
    fingerprint: fingerprintOf([...items.map((item) => item.key), ...unreadable.map((workspace) => `unreadable:${workspace.workspaceId.toLowerCase()}`)]),
    message,
  };
}

const ALL_CLEAR: () => NotificationMessage = () => ({
  title: "Drift: all clear",
  summary: "The scheduled drift check found no differences between the group mappings and Azure any more.",
  facts: [],
  link: mappingsLink(),
});

/** After the scheduled drift check: posts its digest to the digest channel when there is news. Never throws. */
export async function postDriftDigest(db: Database, report: DriftReport, now: Date): Promise<boolean> {
  return postDigest(db, "drift", driftDigest(report), ALL_CLEAR(), now);
}
