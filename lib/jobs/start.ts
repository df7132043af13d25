import "server-only";

import { ConfigError, getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { describeError, log } from "@/lib/log";
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
    await getDatabase();
    startScheduler();
  } catch (error) {
    log("error", "startup", "database unavailable at start-up", { error: describeError(error) });
  }
}
