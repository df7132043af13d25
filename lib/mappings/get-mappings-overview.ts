import "server-only";

import type { DelegatedCaller } from "@/lib/azure/tokens";
import { type Database, getDatabase } from "@/lib/db";
import { isAppError } from "@/lib/errors";
import { delegatedGraphClient } from "@/lib/graph/client";
import { describeError, log } from "@/lib/log";
import { listWorkspaces } from "@/lib/workspaces/list-workspaces";
import { transitiveMemberCount } from "./directory";
import type { MappingRecord } from "./drift";
import { latestDriftReport } from "./drift-job";
import { listMappings } from "./store";

export interface MappingOverviewRow extends MappingRecord {
  /** People in the group (transitively); null when Graph could not count them. */
  readonly memberCount: number | null;
}

/** A workspace the person can choose in the mappings page's forms. */
export interface WorkspaceOption {
  readonly id: string;
  readonly name: string;
  readonly subscriptionName: string;
}

export interface MappingsOverview {
  readonly mappings: readonly MappingOverviewRow[];
  readonly latest: Awaited<ReturnType<typeof latestDriftReport>>;
  /** The workspaces the person can read (for the "map a group" form), or why they could not be listed. */
  readonly workspaces: { readonly ok: true; readonly list: readonly WorkspaceOption[] } | { readonly ok: false; readonly message: string };
}

/**
 * The mappings page's data, the counterpart of `getWorkspaceAccess`: every mapping with its group's member count (one
 * Graph `$count` per group, as the person), the latest drift report, and the workspaces the person can read.
 */
export async function getMappingsOverview(caller: DelegatedCaller, options: { db?: Database } = {}): Promise<MappingsOverview> {
  const db = options.db ?? (await getDatabase());
  const graph = delegatedGraphClient(caller);
  const [mappings, latest, workspaces] = await Promise.all([
    listMappings(db),
    latestDriftReport(db),
    listWorkspaces({ kind: "delegated", caller }).then(
      (list) => ({ ok: true as const, list: list.workspaces.map((w) => ({ id: w.id, name: w.name, subscriptionName: w.subscriptionName })) }),
      (error: unknown) => {
        if (!isAppError(error)) log("error", "mappings", "listing workspaces failed", { error: describeError(error) });
        return { ok: false as const, message: isAppError(error) ? error.userMessage : "Workspaces could not be listed." };
      },
    ),
  ]);
  const groupIds = [...new Set(mappings.map((mapping) => mapping.groupId))];
  const counts = new Map(await Promise.all(groupIds.map(async (id) => [id, await transitiveMemberCount(graph, id)] as const)));
  return { mappings: mappings.map((mapping) => ({ ...mapping, memberCount: counts.get(mapping.groupId) ?? null })), latest, workspaces };
}
