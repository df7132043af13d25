import "server-only";

import { z } from "zod";

import { armListAll, type ArmIdentity } from "@/lib/arm/client";

export interface RoleDefinition {
  /** The role definition's GUID (lower case): the same for a built-in role in every subscription. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly builtIn: boolean;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
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
        }),
      )
      .optional(),
  }),
});

export function roleDefinitionGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.split("/").pop() ?? roleDefinitionId).toLowerCase();
}

// Role definitions change rarely and are the same for everyone who can read the subscription, so one fetch serves
// every page view for a while: the access page then needs no role-definition call at all when warm.
const CACHE_TTL_MS = 10 * 60_000;
const cache = new Map<string, { expiresAt: number; definitions: Promise<ReadonlyMap<string, RoleDefinition>> }>();

/** The role definitions usable in a subscription (built-in and custom), by GUID. */
export function getRoleDefinitions(identity: ArmIdentity, subscriptionId: string, now = Date.now()): Promise<ReadonlyMap<string, RoleDefinition>> {
  const key = subscriptionId.toLowerCase();
  const cached = cache.get(key);
  if (cached && cached.expiresAt > now) return cached.definitions;
  const definitions: Promise<ReadonlyMap<string, RoleDefinition>> = armListAll(identity, `/subscriptions/${key}/providers/Microsoft.Authorization/roleDefinitions`, "2022-04-01").then(
    (items) => {
      const byId = new Map<string, RoleDefinition>();
      for (const item of items) {
        const wire = RoleDefinitionWire.parse(item);
        const permissions = wire.properties.permissions ?? [];
        byId.set(roleDefinitionGuid(wire.id), {
          id: roleDefinitionGuid(wire.id),
          name: wire.properties.roleName,
          description: wire.properties.description ?? "",
          builtIn: wire.properties.type === "BuiltInRole",
          actions: permissions.flatMap((permission) => permission.actions ?? []),
          notActions: permissions.flatMap((permission) => permission.notActions ?? []),
          dataActions: permissions.flatMap((permission) => permission.dataActions ?? []),
        });
      }
      return byId;
    },
  );
  cache.set(key, { expiresAt: now + CACHE_TTL_MS, definitions });
  // A failed fetch must not be served from the cache.
  definitions.catch(() => cache.delete(key));
  return definitions;
}
