import "server-only";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { pingDatabase } from "@/lib/db/client";
import { GATEHOUSE_VERSION } from "@/lib/version";

export interface Health {
  readonly status: "ok" | "degraded";
  readonly version: string;
  readonly mode: "sandbox" | "azure";
  readonly database: { readonly engine: "pglite" | "postgres"; readonly reachable: boolean };
}

/** What an operator or load balancer may know without signing in: no secrets, no tenant data. */
export async function getHealth(): Promise<Health> {
  const config = getConfig();
  const reachable = await getDatabase().then(pingDatabase, () => false);
  return {
    status: reachable ? "ok" : "degraded",
    version: GATEHOUSE_VERSION,
    mode: config.mode,
    database: { engine: config.database.kind, reachable },
  };
}
