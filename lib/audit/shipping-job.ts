import "server-only";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { checkpointSigner, loadCheckpointPrivateKey } from "./checkpoint";
import { shipAuditTrail } from "./ship";
import { logsIngestionSink } from "./sink";

/** Ships the audit trail to Azure Monitor (or the sandbox's ingestion endpoint) with signed checkpoints. */
export function auditShippingJob() {
  const { audit, mode } = getConfig();
  return {
    name: "audit-shipping",
    intervalMs: audit.shipIntervalMs,
    run: async (): Promise<Record<string, number>> => {
      if (!audit.sink || !audit.checkpointKeyPath) return { skipped: 1 };
      const key = await loadCheckpointPrivateKey(audit.checkpointKeyPath, { createIfMissing: mode === "sandbox" });
      const result = await shipAuditTrail(await getDatabase(), logsIngestionSink(audit.sink), checkpointSigner(key), {
        checkpointEveryEvents: audit.checkpointEveryEvents,
        checkpointIntervalMs: audit.checkpointIntervalMs,
      });
      return { ...result };
    },
  };
}
