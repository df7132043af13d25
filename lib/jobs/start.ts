import "server-only";

import { ConfigError, getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { logConsoleSetupCheck } from "@/lib/health/run-self-check";
import { describeError, log } from "@/lib/log";
import { logPolicyRouteCheck } from "@/lib/requests/routing";
import { startScheduler } from "./scheduler";

export async function startServer(): Promise<void> {
  // A bad configuration stops the server before it serves anything, with the one message that lists every problem
  // (`npm start` checks it first too; the standalone server in the container has only this check).
  try {
    getConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  try {
    const db = await getDatabase();
    startScheduler();
    // In azure mode, say what the tenant's setup still lacks; not awaited, so start-up never waits on Entra or ARM.
    if (getConfig().mode === "azure") void logConsoleSetupCheck(db);
    // The request policy was validated as the scheduler started; its approver groups are checked in Graph, not awaited:
    // a missing group is logged (its routes fall back to Console.Admin), Graph unreachable is a warning.
    void logPolicyRouteCheck();
  } catch (error) {
    log("error", "startup", "database unavailable at start-up", { error: describeError(error) });
  }
}
