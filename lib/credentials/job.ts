import "server-only";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { systemActor } from "@/lib/auth/audit-actor";
import { CREDENTIAL_JOB, scheduledInventory } from "./refresh";

/** The scheduled credential inventory: once per interval across instances, as the console's own identity, read-only. */
export function credentialInventoryJob(): { name: string; intervalMs: number; run(): Promise<Record<string, number>> } {
  return {
    name: CREDENTIAL_JOB,
    intervalMs: getConfig().credentials.refreshIntervalMs,
    run: async () => scheduledInventory(await getDatabase(), systemActor(CREDENTIAL_JOB)),
  };
}
