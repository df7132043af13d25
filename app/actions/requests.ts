"use server";

import { z } from "zod";

import { delegatedContext, serverAction } from "@/lib/actions/server-action";
import { systemActor } from "@/lib/auth/audit-actor";
import { getDatabase } from "@/lib/db";
import { requestClock } from "@/lib/requests/clock";
import { REQUEST_EXPIRY_JOB } from "@/lib/requests/jobs";
import {
  approveAccessRequest as approve,
  cancelAccessRequest as cancel,
  decisionSchema,
  denyAccessRequest as deny,
  retryAccessRequest as retry,
} from "@/lib/requests/decide-request";
import { runRequestJobs } from "@/lib/requests/run-request-jobs";
import { submitAccessRequest as submit, submitRequestSchema } from "@/lib/requests/submit-request";

/** Files an access request (or an extension); a refusal names the field it is about, and the form keeps the input. */
export const submitAccessRequest = serverAction("submitAccessRequest", submitRequestSchema, async (context, input) => {
  const { request } = await submit(delegatedContext(context), input);
  return { id: request.id };
});

export const cancelAccessRequest = serverAction("cancelAccessRequest", decisionSchema, async (context, input) => {
  const { message } = await cancel(delegatedContext(context), input);
  return { message };
});

export const approveAccessRequest = serverAction("approveAccessRequest", decisionSchema, async (context, input) => {
  const { request, message, claims } = await approve(delegatedContext(context), input);
  return { message, status: request.status, ...(claims ? { claims } : {}) };
});

export const denyAccessRequest = serverAction("denyAccessRequest", decisionSchema, async (context, input) => {
  const { message } = await deny(delegatedContext(context), input);
  return { message };
});

export const retryAccessRequest = serverAction("retryAccessRequest", decisionSchema, async (context, input) => {
  const { request, message, claims } = await retry(delegatedContext(context), input);
  return { message, status: request.status, ...(claims ? { claims } : {}) };
});

/** Runs the expiry job now (as the console's identity, like the schedule would); safe next to the scheduled run. */
export const runRequestJobsNow = serverAction("runRequestJobsNow", z.strictObject({}), async ({ session }) => {
  const startedIn = { id: session.sessionId, clientAddress: session.clientAddress, userAgent: session.userAgent };
  return runRequestJobs(await getDatabase(), systemActor(REQUEST_EXPIRY_JOB, startedIn), await requestClock());
});
