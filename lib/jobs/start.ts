import "server-only";

import { getDatabase } from "@/lib/db";
import { log } from "@/lib/log";
import { startScheduler } from "./scheduler";

export async function startServer(): Promise<void> {
  try {
    await getDatabase();
    startScheduler();
  } catch (error) {
    log("error", "startup", "database unavailable at start-up", { error: error instanceof Error ? error.message : String(error) });
  }
}
