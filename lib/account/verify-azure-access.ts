import "server-only";

import { z } from "zod";

import { armError, armGet } from "@/lib/arm/client";
import type { DelegatedCaller } from "@/lib/azure/tokens";
import type { AppError } from "@/lib/errors";
import { delegatedGraphClient, graphError } from "@/lib/graph/client";

const GraphMe = z.object({ displayName: z.string().nullable(), userPrincipalName: z.string().nullable() });
const SubscriptionList = z.object({
  value: z.array(z.object({ subscriptionId: z.string(), displayName: z.string(), state: z.string().optional() })),
});

export type Check<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string; readonly reference?: string; readonly claims?: string };

export interface AzureAccessReport {
  readonly graph: Check<{ displayName: string; userPrincipalName: string }>;
  readonly arm: Check<{ subscriptions: { id: string; displayName: string }[] }>;
}

function failed(error: AppError): Check<never> {
  return { ok: false, message: error.userMessage, reference: error.upstreamRequestId, claims: error.claims };
}

/**
 * Calls Graph and ARM as the signed-in person (on-behalf-of), in parallel, and reports each separately so one
 * failing service does not hide the other.
 */
export async function verifyAzureAccess(caller: DelegatedCaller): Promise<AzureAccessReport> {
  const [graph, arm] = await Promise.all([
    delegatedGraphClient(caller)
      .api("/me")
      .select(["displayName", "userPrincipalName"])
      .get()
      .then((body: unknown) => {
        const me = GraphMe.parse(body);
        return { ok: true as const, value: { displayName: me.displayName ?? "", userPrincipalName: me.userPrincipalName ?? "" } };
      })
      .catch((error: unknown) => failed(graphError(error))),
    armGet({ kind: "delegated", caller }, "/subscriptions", "2022-12-01")
      .then((body) => {
        const list = SubscriptionList.parse(body);
        return {
          ok: true as const,
          value: { subscriptions: list.value.map((item) => ({ id: item.subscriptionId, displayName: item.displayName })) },
        };
      })
      .catch((error: unknown) => failed(armError(error))),
  ]);
  return { graph, arm };
}
