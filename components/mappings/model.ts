export type { MappingOverviewRow as MappingRow, WorkspaceOption } from "@/lib/mappings/get-mappings-overview";

/** The workspace's name: the last segment of its ARM scope. */
export function workspaceNameOf(scope: string): string {
  return scope.split("/").pop() ?? scope;
}
