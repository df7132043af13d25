import "server-only";

import { z } from "zod";

import { armListAll, type ArmIdentity } from "@/lib/arm/client";
import { isPrivilegedRole } from "@/lib/shared/aml-roles";
import type { PermissionBlock } from "@/lib/shared/rbac-actions";

export interface RoleDefinition {
  /** The role definition's GUID (lower case): the same for a built-in role in every subscription. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly builtIn: boolean;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  /** The permission blocks as ARM defines them (evaluated one by one, not flattened). */
  readonly permissions: readonly PermissionBlock[];
  /** Can change who has access (or do anything), or is on the list of roles Gatehouse always treats as privileged. */
  readonly privileged: boolean;
}

const RoleDefinitionWire = z.object({
  id: z.string(),
  name: z.string(),
  properties: z.object({
    roleName: z.string(),
    description: z.string().nullable().optional(),
    type: z.string().optional(),
    permissions: z
      .array(
        z.object({
          actions: z.array(z.string()).optional(),
          notActions: z.array(z.string()).optional(),
          dataActions: z.array(z.string()).optional(),
          notDataActions: z.array(z.string()).optional(),
        }),
      )
      .optional(),
  }),
});

/** Whose read a cached entry is: the console's own identity, or one signed-in person of one tenant. */
function callerKey(identity: ArmIdentity): string {
  return identity.kind === "app" ? "app" : `${identity.caller.tenantId}/${identity.caller.objectId}`.toLowerCase();
}

export function roleDefinitionGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.split("/").pop() ?? roleDefinitionId).toLowerCase();
}

// Role definitions change rarely, so one fetch serves a person's page views for a while: the access page then needs no
// role-definition call at all when warm. The cache is per caller: what one person may read (custom roles included) is
// never served to another, who may not be allowed to read the scope at all.
const CACHE_TTL_MS = 10 * 60_000;
/**
 * Bounded by count as well as age: a real tenant's definitions at one scope are hundreds of built-in roles with their
 * action lists, and the entries are per person and scope, so people browsing many workspaces would otherwise hold
 * them all for ten minutes, without limit, against the server's 256 MB heap (docs/deploy.md "Memory"). The oldest go
 * first; an evicted entry only means one more ARM read.
 */
const DEFAULT_CACHE_MAX_ENTRIES = 50;
let cacheMaxEntries = DEFAULT_CACHE_MAX_ENTRIES;
const cache = new Map<string, { expiresAt: number; definitions: Promise<ReadonlyMap<string, RoleDefinition>> }>();

/** How many callers × scopes are cached now, and (tests) a smaller bound to reach; no argument restores the default. */
export function roleDefinitionsCacheSize(): number {
  return cache.size;
}

export function limitRoleDefinitionsCache(maxEntries = DEFAULT_CACHE_MAX_ENTRIES): void {
  cacheMaxEntries = maxEntries;
}

/**
 * The role definitions (built-in and custom) by GUID, as ARM lists them at `scope`: those assignable at the scope or
 * above it (RoleDefinitions_List, "applicable at scope and above"). A custom role whose assignable scopes are a resource
 * group or a workspace is listed only there, so callers about one workspace ask at the workspace. With `below`, ARM's
 * `atScopeAndBelow()` filter adds the roles assignable somewhere below: for naming the roles of many workspaces at once.
 */
export function getRoleDefinitions(
  identity: ArmIdentity,
  scope: string,
  options: { below?: boolean; now?: number; fresh?: boolean } = {},
): Promise<ReadonlyMap<string, RoleDefinition>> {
  const now = options.now ?? Date.now();
  const key = `${callerKey(identity)} ${scope.toLowerCase()}${options.below ? " and below" : ""}`;
  const cached = cache.get(key);
  // `fresh`: decisions that must not rest on a definition up to 10 minutes old (the lockout guard) read ARM again.
  if (cached && cached.expiresAt > now && !options.fresh) return cached.definitions;
  for (const [entry, value] of cache) if (value.expiresAt <= now) cache.delete(entry);
  // Re-read entries move to the end, so the oldest read is the first to go.
  cache.delete(key);
  while (cache.size >= cacheMaxEntries) cache.delete(cache.keys().next().value!);
  const definitions: Promise<ReadonlyMap<string, RoleDefinition>> = armListAll(
    identity,
    `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleDefinitions${options.below ? `?$filter=${encodeURIComponent("atScopeAndBelow()")}` : ""}`,
    "2022-04-01",
  ).then((items) => {
    const byId = new Map<string, RoleDefinition>();
    for (const item of items) {
      const wire = RoleDefinitionWire.parse(item);
      const permissions = (wire.properties.permissions ?? []).map((block) => ({
        actions: block.actions ?? [],
        notActions: block.notActions ?? [],
        dataActions: block.dataActions ?? [],
        notDataActions: block.notDataActions ?? [],
      }));
      const id = roleDefinitionGuid(wire.id);
      byId.set(id, {
        id,
        name: wire.properties.roleName,
        description: wire.properties.description ?? "",
        builtIn: wire.properties.type === "BuiltInRole",
        actions: permissions.flatMap((permission) => permission.actions ?? []),
        notActions: permissions.flatMap((permission) => permission.notActions ?? []),
        dataActions: permissions.flatMap((permission) => permission.dataActions ?? []),
        permissions,
        privileged: isPrivilegedRole(id, permissions),
      });
    }
    return byId;
  });
  cache.set(key, { expiresAt: now + CACHE_TTL_MS, definitions });
  // A failed fetch must not be served from the cache.
  definitions.catch(() => cache.delete(key));
  return definitions;
}
