/**
 * The kinds of `Microsoft.MachineLearningServices/workspaces`: a classic workspace (`Default`), an Azure AI Foundry
 * hub (`Hub`) and its hub-based projects (`Project`, with `properties.hubResourceId`), and a feature store. Hub and
 * project are ARM siblings: nothing assigned on the hub is inherited by its projects through the scope chain.
 */
export const WORKSPACE_KINDS = ["Default", "Hub", "Project", "FeatureStore"] as const;
export type WorkspaceKind = (typeof WORKSPACE_KINDS)[number];

export const WORKSPACE_KIND_LABELS: Record<WorkspaceKind, string> = {
  Default: "Workspace",
  Hub: "AI hub",
  Project: "AI project",
  FeatureStore: "Feature store",
};

interface Groupable {
  readonly id: string;
  readonly name: string;
  readonly kind: WorkspaceKind;
  readonly hubResourceId: string | null;
}

export interface GroupedRow<T extends Groupable> {
  readonly workspace: T;
  /** The hub's name, for a project (from its id when the hub itself is not in the list). */
  readonly hubName: string | null;
  /** True when the row sits right under its hub's row. */
  readonly underHub: boolean;
}

/**
 * Orders workspaces so that each hub is followed by its projects (alphabetically), everything else keeping its
 * order. A project whose hub is not in the list (filtered out, or not readable) stays in place, naming its hub.
 */
export function groupProjectsUnderHubs<T extends Groupable>(workspaces: readonly T[]): GroupedRow<T>[] {
  const key = (id: string) => id.toLowerCase();
  const hubs = new Set(workspaces.filter((w) => w.kind === "Hub").map((w) => key(w.id)));
  const projectsOf = new Map<string, T[]>();
  for (const workspace of workspaces) {
    if (workspace.kind === "Project" && workspace.hubResourceId && hubs.has(key(workspace.hubResourceId))) {
      const list = projectsOf.get(key(workspace.hubResourceId)) ?? [];
      list.push(workspace);
      projectsOf.set(key(workspace.hubResourceId), list);
    }
  }
  const rows: GroupedRow<T>[] = [];
  for (const workspace of workspaces) {
    const hubId = workspace.hubResourceId;
    if (workspace.kind === "Project" && hubId && hubs.has(key(hubId))) continue;
    rows.push({ workspace, hubName: workspace.kind === "Project" && hubId ? (hubId.split("/").at(-1) ?? null) : null, underHub: false });
    for (const project of [...(projectsOf.get(key(workspace.id)) ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
      rows.push({ workspace: project, hubName: workspace.name, underHub: true });
    }
  }
  return rows;
}
