/** A stored group mapping (a `group_mappings` row): valid defaults with unique ids, overridable per test. */
import { randomUUID } from "node:crypto";

import type { groupMappings } from "@/lib/mappings/schema";
import { ROLE_IDS } from "@/sandbox/tenant/index";
import { makeUserActor, WORKSPACE_SCOPE } from "./audit";

type MappingRow = typeof groupMappings.$inferInsert;

/** Members of a new group hold AzureML Data Scientist on the builders' workspace; `scopeKey` follows `scope`. */
export function makeMapping(overrides: Partial<MappingRow> = {}): MappingRow {
  const scope = overrides.scope ?? WORKSPACE_SCOPE;
  return {
    id: randomUUID(),
    scope,
    scopeKey: scope.toLowerCase(),
    groupId: randomUUID(),
    groupDisplayName: "ML Researchers",
    roleDefinitionId: ROLE_IDS.dataScientist,
    roleName: "AzureML Data Scientist",
    assignmentName: randomUUID(),
    createdBy: makeUserActor(),
    createdAt: new Date(),
    ...overrides,
  };
}
