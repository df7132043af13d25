/**
 * The real @azure/arm-authorization client against the ARM handler, in process (the HTTPS server's own tests cover
 * the network). Proves paths, bodies, paging and errors are what the SDK expects.
 */
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { GetTokenOptions } from "@azure/core-auth";
import { beforeEach, describe, expect, it } from "vitest";

import type { Caller } from "../contract";
import { workspaceArmId } from "../tenant/arm-ids";
import { createTenant, CUSTOM_ROLE_IDS, EVERYONE_PRINCIPAL_ID, ROLE_IDS, SEEDED_BEYOND_ASSIGNMENTS, type Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import { inProcessHttpClient } from "../tenant/testing/sdk-transport";
import { TEST_NOW, TEST_ORIGIN, testSettings, userCaller } from "../tenant/testing/support";
import { createArmHandler } from "./index";

const credential = { getToken: () => Promise.resolve({ token: "sandbox-test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

function clientFor(tenant: Tenant, subscriptionId: string, caller: Caller): AuthorizationManagementClient {
  return new AuthorizationManagementClient(credential, subscriptionId, {
    endpoint: TEST_ORIGIN,
    credentialScopes: ["https://management.azure.com/.default"],
    httpClient: inProcessHttpClient(createArmHandler(tenant, testSettings()), () => caller),
    retryOptions: { maxRetries: 0 },
  });
}

let tenant: Tenant;
let production: string;
let workspace: string;

beforeEach(() => {
  tenant = createTenant({ seed: 21, scale: "default", now: TEST_NOW });
  production = [...tenant.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")?.subscriptionId ?? "";
  const w = [...tenant.workspaces.values()].find((x) => x.name === "mlw-churn-prod");
  workspace = workspaceArmId(w?.subscriptionId ?? "", w?.resourceGroup ?? "", w?.name ?? "");
});

const NAME = "6a0e5bd2-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
const parameters = () => ({
  roleDefinitionId: `/subscriptions/${production}/providers/Microsoft.Authorization/roleDefinitions/${ROLE_IDS.dataScientist}`,
  principalId: persona("no-role").objectId,
  principalType: "User",
});

describe("@azure/arm-authorization against the sandbox ARM", () => {
  it("creates, gets, lists, deletes and re-deletes a role assignment", async () => {
    const client = clientFor(tenant, production, userCaller("admin"));
    const created = await client.roleAssignments.create(workspace, NAME, parameters());
    expect(created.name).toBe(NAME);
    expect(created.principalId).toBe(persona("no-role").objectId);
    expect(created.scope).toBe(workspace);
    const got = await client.roleAssignments.get(workspace, NAME);
    expect(got.roleDefinitionId).toBe(parameters().roleDefinitionId);
    const listed = [];
    for await (const assignment of client.roleAssignments.listForScope(workspace, { filter: "atScope()" })) listed.push(assignment);
    expect(listed.map((a) => a.name)).toContain(NAME);
    const byPrincipal = [];
    for await (const a of client.roleAssignments.listForSubscription({ filter: `assignedTo('${persona("no-role").objectId}')` })) byPrincipal.push(a);
    expect(byPrincipal.map((a) => a.name)).toContain(NAME);
    const deleted = await client.roleAssignments.delete(workspace, NAME);
    expect(deleted.name).toBe(NAME);
    await expect(client.roleAssignments.delete(workspace, NAME)).resolves.toBeDefined();
    const byId = await client.roleAssignments
      .getById(`${workspace}/providers/Microsoft.Authorization/roleAssignments/${created.name ?? ""}`)
      .catch((e: unknown) => e);
    expect((byId as { statusCode?: number }).statusCode).toBe(404);
  });

  it("surfaces ARM's 403 and 409 as RestErrors with the right codes", async () => {
    const limited = clientFor(tenant, production, userCaller("limited-admin"));
    const denied = await limited.roleAssignments.create(workspace, NAME, parameters()).catch((e: unknown) => e);
    expect(denied).toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
    const admin = clientFor(tenant, production, userCaller("admin"));
    await admin.roleAssignments.create(workspace, NAME, parameters());
    const conflict = await admin.roleAssignments.create(workspace, "7a0e5bd2-3c4d-4e5f-8a9b-0c1d2e3f4a5b", parameters()).catch((e: unknown) => e);
    expect(conflict).toMatchObject({ statusCode: 409, code: "RoleAssignmentExists" });
  });

  it("pages through 4,000 assignments by following nextLink", async () => {
    const large = createTenant({ seed: 21, scale: "large", now: TEST_NOW });
    const sub = [...large.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")?.subscriptionId ?? "";
    const client = clientFor(large, sub, userCaller("admin"));
    let pages = 0;
    let rows = 0;
    for await (const page of client.roleAssignments.listForSubscription().byPage()) {
      pages++;
      rows += page.length;
    }
    expect(pages).toBe(4);
    expect(rows).toBe(4000);
  });

  it("lists a custom role at the resource group it is assignable at, not at the subscription unless asked for atScopeAndBelow()", async () => {
    const client = clientFor(tenant, production, userCaller("security"));
    const names = async (scope: string, filter?: string) => {
      const found: string[] = [];
      for await (const d of client.roleDefinitions.list(scope, filter ? { filter } : {})) found.push(d.name ?? "");
      return found;
    };
    const resourceGroup = `/subscriptions/${production}/resourceGroups/rg-ml-prod-eastus`;
    expect(await names(resourceGroup)).toContain(CUSTOM_ROLE_IDS.fraudModelReviewer);
    expect(await names(`/subscriptions/${production}`)).not.toContain(CUSTOM_ROLE_IDS.fraudModelReviewer);
    expect(await names(`/subscriptions/${production}`, "atScopeAndBelow()")).toContain(CUSTOM_ROLE_IDS.fraudModelReviewer);
  });

  it("answers assignedTo() with a group's id with a 400 the SDK throws as a RestError", async () => {
    const client = clientFor(tenant, production, userCaller("security"));
    const group = [...tenant.groups.values()].find((candidate) => candidate.displayName === "DS - Fraud")!;
    const listing = async () => {
      for await (const _ of client.roleAssignments.listForSubscription({ filter: `assignedTo('${group.id}')` })) break;
    };
    await expect(listing()).rejects.toMatchObject({ name: "RestError", statusCode: 400, code: "InvalidFilterInQueryString" });
  });

  it("lists role definitions with a roleName filter", async () => {
    const client = clientFor(tenant, production, userCaller("security"));
    const found = [];
    for await (const d of client.roleDefinitions.list(`/subscriptions/${production}`, { filter: "roleName eq 'AzureML Data Scientist'" })) found.push(d);
    expect(found.map((d) => d.name)).toEqual([ROLE_IDS.dataScientist]);
  });

  it("reads PIM eligibilities, activations and deny assignments with the SDK's own clients and api-versions", async () => {
    const w = [...tenant.workspaces.values()].find((x) => x.name === "mlw-fraud-prod")!;
    const fraud = workspaceArmId(w.subscriptionId, w.resourceGroup, w.name);
    const client = clientFor(tenant, production, userCaller("admin"));
    const eligible = [];
    for await (const item of client.roleEligibilityScheduleInstances.listForScope(fraud, { filter: "atScope()" })) eligible.push(item);
    const seeded = eligible.find((item) => item.name === SEEDED_BEYOND_ASSIGNMENTS.eligibility);
    expect(seeded).toMatchObject({ scope: fraud, memberType: "Direct", status: "Provisioned" });
    expect(seeded?.endDateTime).toBeInstanceOf(Date);
    expect(seeded?.expandedProperties?.roleDefinition?.displayName).toBe("AzureML Data Scientist");

    const active = [];
    for await (const item of client.roleAssignmentScheduleInstances.listForScope(fraud, { filter: "atScope()" })) active.push(item);
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({
      assignmentType: "Activated",
      originRoleAssignmentId: `${fraud}/providers/Microsoft.Authorization/roleAssignments/${SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment}`,
    });
    expect(active[0]?.endDateTime?.getTime()).toBe(TEST_NOW.getTime() + 7 * 3_600_000);

    const denies = [];
    for await (const item of client.denyAssignments.listForScope(fraud, { filter: "atScope()" })) denies.push(item);
    expect(denies.map((d) => [d.name, d.principals?.[0]?.id, d.isSystemProtected])).toEqual([
      [SEEDED_BEYOND_ASSIGNMENTS.denyAssignment, EVERYONE_PRINCIPAL_ID, true],
    ]);

    const refused = await (async () => {
      for await (const item of client.denyAssignments.listForScope(fraud, { filter: "everything" })) void item;
    })().catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: "InvalidFilterInQueryString" });
    const managed = await client.roleAssignments.delete(fraud, SEEDED_BEYOND_ASSIGNMENTS.activationRoleAssignment).catch((e: unknown) => e);
    expect(managed).toMatchObject({ statusCode: 400, code: "RoleAssignmentManagedByPim" });
  });
});

describe("the SDK's answer to ARM's MFA claims challenge", () => {
  /**
   * A credential that stands for Entra: it hands out a password-only token unless asked for claims, and records every
   * request. The caller ARM sees is the one the last token stands for.
   */
  function steppingUpClient(canSatisfy: boolean) {
    const requests: (GetTokenOptions | undefined)[] = [];
    let withMfa = false;
    const stepUp = {
      getToken: (_scopes: string | string[], options?: GetTokenOptions) => {
        requests.push(options);
        if (options?.claims && !canSatisfy) return Promise.reject(new Error("interaction_required"));
        withMfa = Boolean(options?.claims);
        return Promise.resolve({ token: withMfa ? "with-mfa" : "password-only", expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    const client = new AuthorizationManagementClient(stepUp, production, {
      endpoint: TEST_ORIGIN,
      credentialScopes: ["https://management.azure.com/.default"],
      httpClient: inProcessHttpClient(createArmHandler(tenant, testSettings()), () =>
        userCaller("step-up-admin", ["user_impersonation"], withMfa ? ["pwd", "mfa"] : ["pwd"]),
      ),
      retryOptions: { maxRetries: 0 },
    });
    return { client, requests };
  }

  it("asks the credential again with the challenge's claims and resends the PUT", async () => {
    const { client, requests } = steppingUpClient(true);
    const created = await client.roleAssignments.create(workspace, NAME, parameters());
    expect(created.name).toBe(NAME);
    expect(requests.map((options) => options?.claims)).toEqual([undefined, JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } })]);
  });

  it("creates nothing when the claims cannot be satisfied without the person: the credential's error is what the call throws", async () => {
    const { client, requests } = steppingUpClient(false);
    await expect(client.roleAssignments.create(workspace, NAME, parameters())).rejects.toThrow("interaction_required");
    expect(requests.at(-1)?.claims).toContain('"p1"');
    expect(tenant.roleAssignments.has(NAME)).toBe(false);
  });
});
