import "server-only";

import { pruneSessions } from "@/lib/auth/session-store";
import { getDatabase } from "@/lib/db";
import { pruneRateLimitBuckets } from "./rate-limit";
import { flushRefusalTallies } from "./refusal-tally";

/**
 * Every minute, once across instances: each finished minute's refusal tallies become their audit events, and rate-limit
 * windows that ended are deleted, and so are sessions that ended or expired more than 30 days ago. Tallies of a minute
 * still being counted wait for the next run.
 */
export function abuseLimitsJob() {
  return {
    name: "abuse-limits",
    intervalMs: 60_000,
    run: async () => {
      const db = await getDatabase();
      const now = new Date();
      const flushed = await flushRefusalTallies(db, now);
      return {
        refusalEvents: flushed.events,
        refusals: flushed.refusals,
        bucketsPruned: await pruneRateLimitBuckets(db, now),
        sessionsPruned: await pruneSessions(db, now),
      };
    },
  };
}
