import { beforeEach, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { createTenant, type Tenant } from "../tenant/index";
import { buildRequest, TEST_NOW, testSettings, userCaller } from "../tenant/testing/support";
import { createArmHandler } from "./index";

let tenant: Tenant;
let handler: ReturnType<typeof createArmHandler>;

beforeEach(() => {
  tenant = createTenant({ seed: 11, scale: "default", now: TEST_NOW });
  handler = createArmHandler(tenant, testSettings());
});

function get(url: string, caller: Caller = userCaller("admin")): SandboxResponse {
  const response = handler(buildRequest("GET", url, { caller }));
  if (response instanceof Promise) throw new Error("expected a synchronous answer");
  return response;
}

const production = () => [...tenant.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")!.subscriptionId;
const valueOf = (response: SandboxResponse) => (response.body as { value: Record<string, unknown>[]; nextLink?: string }).value;
const errorOf = (response: SandboxResponse) => (response.body as { error: { code: string; message: string } }).error;
const TYPE_FILTER = "$filter=resourceType eq 'Microsoft.MachineLearningServices/workspaces'";

describe("GET /subscriptions/{id}/resources", () => {
  it("lists the workspaces as generic resources (no properties), filtered by resource type, with $expand fields on request", () => {
    const response = get(`/subscriptions/${production()}/resources?api-version=2021-04-01&${TYPE_FILTER}&$expand=createdTime,provisioningState`);
    expect(response.status).toBe(200);
    const items = valueOf(response);
    const expected = [...tenant.workspaces.values()].filter((w) => w.subscriptionId === production()).length;
    expect(items).toHaveLength(expected);
    expect(items[0]).toMatchObject({ type: "Microsoft.MachineLearningServices/workspaces", provisioningState: "Succeeded" });
    expect(items[0]).toHaveProperty("createdTime");
    expect(items[0]).not.toHaveProperty("properties");
    expect(items[0]).not.toHaveProperty("changedTime");
    const storage = valueOf(get(`/subscriptions/${production()}/resources?api-version=2021-04-01&$filter=resourceType eq 'Microsoft.Storage/storageAccounts'`));
    expect(storage.length).toBeGreaterThan(0);
    expect(storage.every((item) => item.type === "Microsoft.Storage/storageAccounts" && !("properties" in item))).toBe(true);
  });

  it("pages by $top with an absolute nextLink, and lists a resource group's resources only", () => {
    const first = get(`/subscriptions/${production()}/resources?api-version=2021-04-01&$top=2`);
    const body = first.body as { value: { id: string }[]; nextLink?: string };
    expect(body.value).toHaveLength(2);
    expect(body.nextLink).toMatch(/^https:\/\/.+\/resources\?.*skipToken=/);
    const second = get(body.nextLink!);
    expect(valueOf(second)[0]?.id).not.toBe(body.value[0]?.id);
    const rg = [...tenant.workspaces.values()].find((w) => w.subscriptionId === production())!.resourceGroup;
    const inGroup = valueOf(get(`/subscriptions/${production()}/resourceGroups/${rg}/resources?api-version=2021-04-01`));
    expect(inGroup.length).toBeGreaterThan(0);
    expect(inGroup.every((item) => String(item.id).includes(`/resourceGroups/${rg}/`))).toBe(true);
  });

  it("refuses filters, expansions and api-versions it cannot serve, as ARM does", () => {
    const filter = get(`/subscriptions/${production()}/resources?api-version=2021-04-01&$filter=name eq 'x'`);
    expect(filter.status).toBe(400);
    expect(errorOf(filter)).toEqual({ code: "InvalidFilterInQueryString", message: "Invalid $filter 'name eq 'x'' specified in the query string." });
    expect(errorOf(get(`/subscriptions/${production()}/resources?api-version=2021-04-01&$expand=properties`)).code).toBe("InvalidExpandQueryString");
    expect(errorOf(get(`/subscriptions/${production()}/resources?api-version=2021-04-01&$top=0`)).code).toBe("InvalidTopQueryString");
    const version = get(`/subscriptions/${production()}/resources?api-version=2099-01-01`);
    expect(version.status).toBe(400);
    expect(errorOf(version).code).toBe("NoRegisteredProviderFound");
    expect(errorOf(get(`/subscriptions/${production()}/resources`)).code).toBe("MissingApiVersionParameter");
  });

  it("answers 403 to a caller who can read nothing in the subscription", () => {
    const listed = valueOf(get("/subscriptions?api-version=2022-12-01", userCaller("no-role"))).map((s) => s.subscriptionId);
    const unseen = [...tenant.subscriptions.values()].find((s) => !listed.includes(s.subscriptionId))!.subscriptionId;
    const response = get(`/subscriptions/${unseen}/resources?api-version=2021-04-01`, userCaller("no-role"));
    expect(response.status).toBe(403);
    expect(errorOf(response).code).toBe("AuthorizationFailed");
  });
});

describe("GET /providers", () => {
  it("lists the providers the sandbox serves with their api-versions", () => {
    const providers = valueOf(get("/providers?api-version=2021-04-01"));
    const graph = providers.find((p) => p.namespace === "Microsoft.ResourceGraph") as { resourceTypes: { resourceType: string; apiVersions: string[] }[] };
    expect(graph.resourceTypes[0]).toMatchObject({ resourceType: "resources" });
    expect(graph.resourceTypes[0]?.apiVersions).toContain("2024-04-01");
    expect(providers.map((p) => p.id)).toContain("/providers/Microsoft.MachineLearningServices");
    expect(errorOf(get("/providers?api-version=2099-01-01")).code).toBe("NoRegisteredProviderFound");
    expect(errorOf(get("/providers")).code).toBe("MissingApiVersionParameter");
  });
});
