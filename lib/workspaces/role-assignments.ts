import "server-only";

import { z } from "zod";

import { type ArmIdentity, armListAll } from "@/lib/arm/client";

/** The api-version `@azure/arm-authorization` lists role assignments with. */
export const ROLE_ASSIGNMENTS_API_VERSION = "2022-04-01";

const RoleAssignmentWire = z.object({
  id: z.string().optional(),
  name: z.string().optional(),
  properties: z
    .object({
      scope: z.string().nullish(),
      roleDefinitionId: z.string().nullish(),
      principalId: z.string().nullish(),
      principalType: z.string().nullish(),
      description: z.string().nullish(),
      condition: z.string().nullish(),
      createdOn: z.string().nullish(),
      createdBy: z.string().nullish(),
    })
    .optional(),
});

/** A listed role assignment, in the SDK's flattened shape (what the callers read of it). */
export interface ListedRoleAssignment {
  readonly id?: string;
  readonly name?: string;
  readonly scope?: string;
  readonly roleDefinitionId?: string;
  readonly principalId?: string;
  readonly principalType?: string;
  readonly description?: string;
  readonly condition?: string;
  readonly createdOn?: Date;
  readonly createdBy?: string;
}

/**
 * `GET {scope}/providers/Microsoft.Authorization/roleAssignments?$filter=…`, every page, read as plain JSON. The same
 * request the SDK's `roleAssignments.listForScope` makes, without its model deserializer: on a workspace with 2,000
 * assignments that deserializer was the largest single cost of rendering the access page. `onPage` sees each page's
 * assignments as they arrive, and whether more follow (a page can look their principals up while ARM sends the next).
 */
export async function listRoleAssignmentsAt(
  identity: ArmIdentity,
  scope: string,
  filter: string,
  options: { readonly onPage?: (assignments: readonly ListedRoleAssignment[], more: boolean) => void } = {},
): Promise<ListedRoleAssignment[]> {
  const assignments: ListedRoleAssignment[] = [];
  await armListAll(identity, `${scope}/providers/Microsoft.Authorization/roleAssignments?$filter=${encodeURIComponent(filter)}`, ROLE_ASSIGNMENTS_API_VERSION, {
    onPage: (items, more) => {
      const page = items.map(toListedRoleAssignment);
      assignments.push(...page);
      options.onPage?.(page, more);
    },
  });
  return assignments;
}

function toListedRoleAssignment(item: unknown): ListedRoleAssignment {
  const { id, name, properties = {} } = RoleAssignmentWire.parse(item);
  return {
    id,
    name,
    scope: properties.scope ?? undefined,
    roleDefinitionId: properties.roleDefinitionId ?? undefined,
    principalId: properties.principalId ?? undefined,
    principalType: properties.principalType ?? undefined,
    description: properties.description ?? undefined,
    condition: properties.condition ?? undefined,
    createdOn: properties.createdOn ? new Date(properties.createdOn) : undefined,
    createdBy: properties.createdBy ?? undefined,
  };
}
