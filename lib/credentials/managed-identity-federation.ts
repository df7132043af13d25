import "server-only";

import { z } from "zod";

import { armListAll, type ArmIdentity } from "@/lib/arm/client";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";
import type { InventoryServicePrincipal } from "./inventory";

/**
 * User-assigned managed identities' federated credentials. Azure keeps them on the identity's ARM resource
 * (`…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}/federatedIdentityCredentials`, REST API
 * 2023-01-31), not in Graph, so they are read from ARM as the console's own identity: that needs
 * `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read` on the identity, which Reader
 * on it (or on its resource group or subscription) gives. One list call per user-assigned identity, a few at a time.
 */

export const MANAGED_IDENTITY_API_VERSION = "2023-01-31";
const CONCURRENCY = 4;

// `subject` is optional: a flexible credential (newer api-versions) has a claims expression instead.
const FederatedWire = z.object({
  name: z.string(),
  properties: z.object({
    issuer: z.string(),
    subject: z.string().nullable().optional(),
    claimsMatchingExpression: z.object({ value: z.string() }).nullable().optional(),
  }),
});

/**
 * Fills `federated`, `unreadableFederated` and `federatedUnread` on each user-assigned managed identity. Never throws:
 * an identity whose credentials cannot be read stays on the dashboard, named in a warning.
 */
export async function readManagedIdentityFederation(
  servicePrincipals: readonly InventoryServicePrincipal[],
): Promise<{ armCalls: number; warnings: string[] }> {
  const identity: ArmIdentity = { kind: "app" };
  const targets = servicePrincipals.filter((sp) => sp.userAssignedIdentityId !== null);
  let armCalls = 0;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const sp = targets[next++]!;
      armCalls += 1;
      try {
        const items = await armListAll(identity, `${sp.userAssignedIdentityId}/federatedIdentityCredentials`, MANAGED_IDENTITY_API_VERSION);
        for (const item of items) {
          const parsed = FederatedWire.safeParse(item);
          if (!parsed.success) {
            sp.unreadableFederated += 1;
            continue;
          }
          const { issuer, subject, claimsMatchingExpression } = parsed.data.properties;
          sp.federated.push({
            name: parsed.data.name,
            issuer,
            subject: subject ?? null,
            ...(claimsMatchingExpression ? { claimsMatchingExpression: claimsMatchingExpression.value } : {}),
          });
        }
      } catch (error) {
        // Deleted since Graph listed it: it has no credentials left to show.
        if (error instanceof AppError && error.code === "not_found") continue;
        sp.federatedUnread = error instanceof AppError && error.code === "upstream_forbidden" ? "forbidden" : "failed";
        log("warn", "arm", "managed identity federated credentials unreadable", { identity: sp.userAssignedIdentityId, error: describeError(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));

  const warnings: string[] = [];
  const names = (predicate: (sp: InventoryServicePrincipal) => boolean) => targets.filter(predicate).map((sp) => sp.displayName);
  const forbidden = names((sp) => sp.federatedUnread === "forbidden");
  if (forbidden.length > 0) {
    warnings.push(
      `Federated credentials of managed ${forbidden.length === 1 ? "identity" : "identities"} ${forbidden.join(", ")} could not be read: Gatehouse's identity needs Reader on ${forbidden.length === 1 ? "it" : "them"}.`,
    );
  }
  const failed = names((sp) => sp.federatedUnread === "failed");
  if (failed.length > 0) {
    warnings.push(
      `Federated credentials of managed ${failed.length === 1 ? "identity" : "identities"} ${failed.join(", ")} could not be read; try again later.`,
    );
  }
  const odd = names((sp) => sp.unreadableFederated > 0);
  if (odd.length > 0) warnings.push(`Some federated credentials of ${odd.join(", ")} could not be read; those identities are shown with the rest.`);
  return { armCalls, warnings };
}
