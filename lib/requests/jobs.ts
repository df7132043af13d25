import "server-only";

import { getConfig } from "@/lib/config";
import { getDatabase } from "@/lib/db";
import { systemActor } from "@/lib/auth/audit-actor";
import { requestClock } from "./clock";
import { getRequestPolicy } from "./policy";
import { runRequestJobs } from "./run-request-jobs";

export const REQUEST_EXPIRY_JOB = "access-request-expiry";

/**
 * The access-request job for the scheduler: lapses, reminders and expiry, as the console's own identity. Building it
 * reads and validates the request policy, so a bad policy file stops start-up with a message naming each problem.
 */
export function requestExpiryJob() {
  getRequestPolicy();
  return {
    name: REQUEST_EXPIRY_JOB,
    intervalMs: getConfig().jobs.requestExpiryIntervalMs,
    run: async () => ({ ...(await runRequestJobs(await getDatabase(), systemActor(REQUEST_EXPIRY_JOB), await requestClock())) }),
  };
}
