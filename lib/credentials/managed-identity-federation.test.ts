/** A user-assigned identity's federated credentials read from ARM: per-item parsing and the refusals ARM can give. */
import { beforeEach, describe, expect, it, vi } from "vitest";

import { upstreamError } from "@/lib/azure/errors";
import type { InventoryServicePrincipal } from "./inventory";
import { readManagedIdentityFederation } from "./managed-identity-federation";

const armListAll = vi.hoisted(() => vi.fn());
vi.mock("@/lib/arm/client", () => ({ armListAll }));

const ID = (name: string) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

function identity(name: string, userAssigned = true): InventoryServicePrincipal {
  return {
    id: `sp-${name}`,
    appId: `app-${name}`,
    displayName: name,
    managedIdentity: true,
    credentials: [],
    owners: [],
    userAssignedIdentityId: userAssigned ? ID(name) : null,
    federated: [],
    unreadableFederated: 0,
    federatedUnread: null,
  };
}

const refusal = (status: number) =>
  upstreamError({
    system: "Azure Resource Manager",
    status,
    code: status === 403 ? "AuthorizationFailed" : "x",
    message: "m",
    requestId: undefined,
    retryAfter: undefined,
  });

beforeEach(() => {
  armListAll.mockReset();
});

describe("readManagedIdentityFederation", () => {
  it("reads each user-assigned identity's list, item by item, and names those it could not read and why", async () => {
    const answer = (path: string, apiVersion: string): unknown[] => {
      expect(apiVersion).toBe("2023-01-31");
      if (path === `${ID("aks")}/federatedIdentityCredentials`) {
        return [
          {
            name: "scoring",
            properties: { issuer: "https://oidc.prod-aks.azure.com/t/i/", subject: "system:serviceaccount:ns:sa", audiences: ["api://AzureADTokenExchange"] },
          },
          {
            name: "flexible",
            properties: {
              issuer: "https://token.actions.githubusercontent.com",
              claimsMatchingExpression: { value: "claims['sub'] matches 'repo:c/r:*'", languageVersion: 1 },
            },
          },
          { name: "odd", properties: { subject: "no issuer" } },
        ];
      }
      if (path.includes("locked")) throw refusal(403);
      if (path.includes("flaky")) throw refusal(503);
      if (path.includes("deleted")) throw refusal(404);
      return [];
    };
    armListAll.mockImplementation((_identity: unknown, path: string, apiVersion: string) => Promise.resolve().then(() => answer(path, apiVersion)));
    const aks = identity("aks");
    const locked = identity("locked");
    const flaky = identity("flaky");
    const deleted = identity("deleted");
    const systemAssigned = identity("system", false);
    const result = await readManagedIdentityFederation([aks, locked, flaky, deleted, systemAssigned]);

    expect(armListAll).toHaveBeenCalledTimes(4);
    expect(result.armCalls).toBe(4);
    expect(aks.federated).toEqual([
      { name: "scoring", issuer: "https://oidc.prod-aks.azure.com/t/i/", subject: "system:serviceaccount:ns:sa" },
      {
        name: "flexible",
        issuer: "https://token.actions.githubusercontent.com",
        subject: null,
        claimsMatchingExpression: "claims['sub'] matches 'repo:c/r:*'",
      },
    ]);
    expect(aks.unreadableFederated).toBe(1);
    expect([locked.federatedUnread, flaky.federatedUnread, deleted.federatedUnread, systemAssigned.federatedUnread]).toEqual([
      "forbidden",
      "failed",
      null,
      null,
    ]);
    expect(result.warnings).toEqual([
      "Federated credentials of managed identity locked could not be read: Gatehouse's identity needs Reader on it.",
      "Federated credentials of managed identity flaky could not be read; try again later.",
      "Some federated credentials of aks could not be read; those identities are shown with the rest.",
    ]);
  });
});
