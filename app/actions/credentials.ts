"use server";

import { z } from "zod";

import type { SnapshotSummary } from "@/lib/shared/credentials";
import { serverAction } from "@/lib/actions/server-action";
import { requestRefresh } from "@/lib/credentials/refresh";
import { findSnapshot } from "@/lib/credentials/store";
import { getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";

/**
 * Starts a credential inventory refresh (Graph and ARM read as the console's own identity) and returns its snapshot
 * at once; the page polls `getCredentialRefreshStatus`. Joins a refresh that is already running.
 */
export const refreshCredentialInventory = serverAction("refreshCredentialInventory", z.strictObject({}), async ({ actor }): Promise<SnapshotSummary> =>
  requestRefresh(await getDatabase(), actor),
);

/** The progress (or outcome) of one refresh. */
export const getCredentialRefreshStatus = serverAction(
  "getCredentialRefreshStatus",
  z.strictObject({ snapshotId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
  async (_context, input): Promise<SnapshotSummary> => {
    const snapshot = await findSnapshot(await getDatabase(), input.snapshotId);
    if (!snapshot) {
      throw new AppError({ code: "not_found", message: `no credential snapshot ${input.snapshotId}`, userMessage: "That refresh no longer exists." });
    }
    return snapshot;
  },
);
