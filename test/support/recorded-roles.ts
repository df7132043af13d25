/**
 * The sandbox's recorded public data, read by pure tests: the built-in role definitions (AML and the companion storage,
 * Key Vault and registry roles) and the provider-operations catalogue ARM would serve.
 */
import { readdirSync, readFileSync } from "node:fs";

import { catalogueFromProviderOperations, type OperationsCatalogue } from "@/lib/permissions/catalogue";
import type { RoleToExpand } from "@/lib/permissions/expand-role";
import type { PermissionBlock } from "@/lib/shared/rbac-actions";

interface BuiltInRoleFile {
  properties: { roleName: string; permissions: Partial<PermissionBlock>[] };
}

function readRoles(file: string): RoleToExpand[] {
  const roles = JSON.parse(readFileSync(`sandbox/tenant/data/${file}`, "utf8")) as BuiltInRoleFile[];
  return roles.map((role) => ({
    name: role.properties.roleName,
    permissions: role.properties.permissions.map((block) => ({
      actions: block.actions ?? [],
      notActions: block.notActions ?? [],
      dataActions: block.dataActions ?? [],
      notDataActions: block.notDataActions ?? [],
    })),
  }));
}

export const amlBuiltInRoles: readonly RoleToExpand[] = readRoles("builtin-role-definitions.aml.json");
export const linkedBuiltInRoles: readonly RoleToExpand[] = readRoles("builtin-role-definitions.linked.json");

export function builtInRole(name: string): RoleToExpand {
  const role = [...amlBuiltInRoles, ...linkedBuiltInRoles].find((candidate) => candidate.name === name);
  if (!role) throw new Error(`no recorded built-in role named ${name}`);
  return role;
}

const CATALOGUE_DIRECTORY = "sandbox/arm/data/provider-operations";

export function recordedCatalogue(): OperationsCatalogue {
  const files = readdirSync(CATALOGUE_DIRECTORY).filter((file) => file.endsWith(".json"));
  return catalogueFromProviderOperations(files.map((file) => JSON.parse(readFileSync(`${CATALOGUE_DIRECTORY}/${file}`, "utf8")) as unknown));
}
