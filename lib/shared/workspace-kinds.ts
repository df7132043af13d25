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
