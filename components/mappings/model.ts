import type { MappingRecord } from "@/lib/mappings/drift";

/** A mapping as the mappings page lists it: the record plus the group's member count (null when Graph could not say). */
export interface MappingRow extends MappingRecord {
  readonly memberCount: number | null;
}

/** A workspace the admin can choose in the mappings page's forms. */
export interface WorkspaceOption {
  readonly id: string;
  readonly name: string;
  readonly subscriptionName: string;
}

/** The workspace's name: the last segment of its ARM scope. */
export function workspaceNameOf(scope: string): string {
  return scope.split("/").pop() ?? scope;
}
