"use server";

import { z } from "zod";

import type { SnapshotSummary } from "@/lib/shared/credentials";
import { serverAction } from "@/lib/actions/server-action";
import { requestRefresh } from "@/lib/credentials/refresh";
import { getDatabase } from "@/lib/db";

/**
 * Starts a credential inventory refresh (Graph and ARM read as the console's own identity) and returns its snapshot
 * at once; the page polls `getCredentialRefreshStatus`. Joins a refresh that is already running.
 */
export const refreshCredentialInventory = serverAction("refreshCredentialInventory", z.strictObject({}), async ({ actor }): Promise<SnapshotSummary> =>
  requestRefresh(await getDatabase(), actor),
);
