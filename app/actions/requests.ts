"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { systemActor } from "@/lib/auth/audit-actor";
import { getDatabase } from "@/lib/db";
import { requestClock } from "@/lib/requests/clock";
import {
  approveAccessRequest as approve,
  cancelAccessRequest as cancel,
  decisionSchema,
  denyAccessRequest as deny,
  retryAccessRequest as retry,
} from "@/lib/requests/decide-request";
import { runRequestJobs } from "@/lib/requests/run-request-jobs";
import { submitAccessRequest as submit, submitRequestSchema } from "@/lib/requests/submit-request";

function refresh(): void {
  revalidatePath("/requests", "layout");
}

/** Files an access request (or an extension); per-field refusals come back with the input kept by the form. */
export const submitAccessRequest = serverAction("submitAccessRequest", submitRequestSchema, async (context, input) => {
  const result = await submit(delegatedContext(context), input);
  refresh();
  return result.ok ? { ok: true as const, id: result.request.id } : result;
});

export const cancelAccessRequest = serverAction("cancelAccessRequest", decisionSchema, async (context, input) => {
  const result = await cancel(delegatedContext(context), input);
  refresh();
  return result.ok ? { ok: true as const, message: result.message } : result;
});

export const approveAccessRequest = serverAction("approveAccessRequest", decisionSchema, async (context, input) => {
  const result = await approve(delegatedContext(context), input);
  refresh();
  return result.ok ? { ok: true as const, message: result.message, status: result.request.status } : result;
});

export const denyAccessRequest = serverAction("denyAccessRequest", decisionSchema, async (context, input) => {
  const result = await deny(delegatedContext(context), input);
  refresh();
  return result.ok ? { ok: true as const, message: result.message } : result;
});

export const retryAccessRequest = serverAction("retryAccessRequest", decisionSchema, async (context, input) => {
  const result = await retry(delegatedContext(context), input);
  refresh();
  return result.ok ? { ok: true as const, message: result.message, status: result.request.status } : result;
});

/** Runs the expiry job now (as the console's identity, like the schedule would); safe next to the scheduled run. */
export const runRequestJobsNow = serverAction("runRequestJobsNow", z.strictObject({}), async () => {
  const result = await runRequestJobs(await getDatabase(), systemActor(), await requestClock());
  refresh();
  return result;
});
