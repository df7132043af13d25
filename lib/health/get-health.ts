import "server-only";

import type { Session } from "@/lib/auth/session";
import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { pingDatabase } from "@/lib/db/client";
import { GATEHOUSE_VERSION } from "@/lib/version";

export type HealthStatus = "ok" | "degraded";

/** What anyone (a load balancer, a probe) learns: whether this instance can serve, nothing that fingerprints it. */
export interface PublicHealth {
  readonly status: HealthStatus;
}

/** What a signed-in person with a console role also sees: no secrets, no tenant data. */
export interface Health extends PublicHealth {
  readonly version: string;
  readonly mode: "sandbox" | "azure";
  readonly database: { readonly engine: "pglite" | "postgres"; readonly reachable: boolean };
}

/**
 * The instance's health. The version, mode and database engine are shown only to a session holding a console role:
 * anonymous callers (probes) get the status alone, so the endpoint does not tell attackers which version to target.
 */
export async function getHealth(session: Session | null): Promise<PublicHealth | Health> {
  const config = getConfig();
  const reachable = await getDatabase().then(pingDatabase, () => false);
  const status: HealthStatus = reachable ? "ok" : "degraded";
  if (!session || session.principal.roles.length === 0) return { status };
  return { status, version: GATEHOUSE_VERSION, mode: config.mode, database: { engine: config.database.kind, reachable } };
}

/** Whether `health` carries the details (the caller held a console role). */
export function hasHealthDetails(health: PublicHealth | Health): health is Health {
  return "version" in health;
}
