import { beforeEach, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { createTenant, newRoleAssignment, type Tenant } from "../tenant/index";
import { appCaller, buildRequest, readReference, TEST_NOW, testSettings, userCaller } from "../tenant/testing/support";
import { authorizer, isAuthorized } from "./authorize";
import { createArmHandler } from "./index";
import { formatResetsAfter } from "./resource-graph-quota";

const URL_2024 = "/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01";
const WORKSPACES =
  "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id, name, kind, hubResourceId = tostring(properties.hubResourceId)";
const COUNTS =
  "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' | extend scope = tolower(tostring(properties.scope)) | summarize count() by scope";

let tenant: Tenant;
let handler: ReturnType<typeof createArmHandler>;

beforeEach(() => {
  tenant = createTenant({ seed: 11, scale: "default", now: TEST_NOW });
  handler = createArmHandler(tenant, testSettings());
});

/** The ARM handler answers synchronously; the type allows a promise for handlers that do not. */
function send(method: string, url: string, caller: Caller, body?: unknown): SandboxResponse {
  const response = handler(buildRequest(method, url, { caller, body }));
  if (response instanceof Promise) throw new Error("expected a synchronous answer");
  return response;
}

function query(body: unknown, caller: Caller = userCaller("admin"), url = URL_2024): SandboxResponse {
  return send("POST", url, caller, body);
}

interface QueryBody {
  totalRecords: number;
  count: number;
  resultTruncated: string;
  $skipToken?: string;
  facets: unknown[];
  data: Record<string, unknown>[];
}

const bodyOf = (response: SandboxResponse) => response.body as QueryBody;
const errorOf = (response: SandboxResponse) => (response.body as { error: { code: string; message: string; details?: { code: string }[] } }).error;
const production = () => [...tenant.subscriptions.values()].find((s) => s.displayName === "Contoso ML Production")!.subscriptionId;

describe("Resource Graph: the resources table", () => {
  it("returns the workspaces the caller can read, with kind and hub, as an object array with string resultTruncated", () => {
    const response = query({ subscriptions: [...tenant.subscriptions.keys()], query: WORKSPACES, options: { $top: 1000 } }, userCaller("security"));
    expect(response.status).toBe(200);
    const body = bodyOf(response);
    expect(body.resultTruncated).toBe("false");
    expect(body.$skipToken).toBeUndefined();
    expect(body.facets).toEqual([]);
    const readable = [...tenant.workspaces.values()];
    expect(body.totalRecords).toBe(body.data.length);
    expect(body.count).toBe(body.data.length);
    for (const w of readable) expect(body.data.map((row) => row.name)).toContain(w.name);
    const project = body.data.find((row) => row.kind === "Project");
    expect(project?.hubResourceId).toMatch(/\/providers\/Microsoft\.MachineLearningServices\/workspaces\//);
    expect(Object.keys(body.data[0]!)).toEqual(["id", "name", "kind", "hubResourceId"]);
  });

  it("shows a caller exactly the workspaces ARM's per-subscription lists show it", () => {
    const caller = userCaller("no-role");
    const get = (path: string) => send("GET", path, caller).body as { value: { id: string; subscriptionId?: string }[] };
    const fromArm = get("/subscriptions?api-version=2022-12-01")
      .value.flatMap((s) => get(`/subscriptions/${s.subscriptionId}/providers/Microsoft.MachineLearningServices/workspaces?api-version=2024-10-01`).value ?? [])
      .map((w) => w.id)
      .sort();
    const body = bodyOf(query({ query: WORKSPACES, options: { $top: 1000 } }, caller));
    expect(body.data.map((row) => row.id)).toEqual(fromArm);
    expect(fromArm).toContain(
      [...tenant.workspaces.values()]
        .filter((w) => w.name === "mlw-sandbox-dev")
        .map((w) => `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${w.name}`)[0],
    );
    expect(fromArm.length).toBeLessThan(tenant.workspaces.size);
  });

  it("pages by $skipToken in the request body, with totalRecords over all pages, until every row is read once", () => {
    const all = bodyOf(query({ query: WORKSPACES, options: { $top: 1000 } })).data.map((row) => row.id);
    const seen: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const body = bodyOf(query({ query: WORKSPACES, options: { $top: 2, ...(token ? { $skipToken: token } : {}) } }));
      expect(body.totalRecords).toBe(all.length);
      expect(body.count).toBe(body.data.length);
      seen.push(...body.data.map((row) => row.id));
      token = body.$skipToken;
      pages++;
    } while (token);
    expect(seen).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
  });

  it("answers 100 rows at most without $top, and refuses $top outside 1..1000 and a token from another query", () => {
    expect(errorOf(query({ query: WORKSPACES, options: { $top: 1001 } })).code).toBe("BadRequest");
    expect(errorOf(query({ query: WORKSPACES, options: { $top: 0 } })).code).toBe("BadRequest");
    const token = bodyOf(query({ query: WORKSPACES, options: { $top: 1 } })).$skipToken;
    const other = query({ query: COUNTS, options: { $skipToken: token } });
    expect(other.status).toBe(400);
    expect(errorOf(other).details?.map((d) => d.code)).toEqual(["InvalidSkipToken"]);
  });

  it("returns the table format when asked", () => {
    const data = bodyOf(query({ query: WORKSPACES, options: { resultFormat: "table", $top: 5 } })).data as unknown as {
      columns: { name: string }[];
      rows: unknown[][];
    };
    expect(data.columns.map((c) => c.name)).toEqual(["id", "name", "kind", "hubResourceId"]);
    expect(data.rows).toHaveLength(5);
  });
});

describe("Resource Graph: the authorizationresources table", () => {
  it("counts role assignments by lower-cased scope, matching the assignments ARM lists in the subscription", () => {
    const body = bodyOf(query({ subscriptions: [production()], query: COUNTS, options: { $top: 1000 } }));
    const total = body.data.reduce((sum, row) => sum + (row.count_ as number), 0);
    const inSubscription = [...tenant.roleAssignments.values()].filter((a) => a.scope.toLowerCase().startsWith(`/subscriptions/${production()}`)).length;
    expect(total).toBe(inSubscription);
    expect(body.data.every((row) => row.scope === String(row.scope).toLowerCase())).toBe(true);
  });

  it("includes assignments above the subscription only with AtScopeAboveAndBelow", () => {
    tenant.putRoleAssignment(
      newRoleAssignment({
        name: "0d1e2f30-0000-4000-8000-000000000001",
        scope: "/",
        roleDefinitionName: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        principalId: "c0ffee00-0000-4000-8000-000000000004",
        principalType: "User",
        createdOn: "2026-01-01T00:00:00.0000000Z",
      }),
    );
    const scopes = (filter?: string) =>
      bodyOf(
        query({ subscriptions: [production()], query: COUNTS, options: { $top: 1000, ...(filter ? { authorizationScopeFilter: filter } : {}) } }),
      ).data.map((row) => row.scope);
    expect(scopes()).not.toContain("/");
    expect(scopes("AtScopeAboveAndBelow")).toContain("/");
  });
});

describe("Resource Graph: the resourcecontainers table", () => {
  it("lists the visible subscriptions with the management groups above them, nearest first", () => {
    tenant.addManagementGroup({ name: "mg-top", displayName: "Top", parentName: null });
    tenant.addManagementGroup({ name: "mg-ml", displayName: "ML", parentName: "mg-top" });
    tenant.subscriptions.get(production().toLowerCase())!.managementGroup = "mg-ml";
    const text =
      "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, managementGroups = properties.managementGroupAncestorsChain";
    const rows = bodyOf(query({ query: text, options: { $top: 1000 } }, userCaller("security"))).data;
    expect(rows).toHaveLength(tenant.subscriptions.size);
    expect(rows.find((row) => row.subscriptionId === production())?.managementGroups).toEqual([
      { displayName: "ML", name: "mg-ml" },
      { displayName: "Top", name: "mg-top" },
    ]);
    expect(
      rows.filter((row) => row.subscriptionId !== production()).every((row) => Array.isArray(row.managementGroups) && row.managementGroups.length === 0),
    ).toBe(true);
  });
});

describe("Resource Graph: what it refuses, as Resource Graph does", () => {
  it.each([
    ["an unknown table", "securityresources | where type =~ 'x'"],
    ["an operator outside the subset", "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | take 5"],
    ["a filter other than type", "Resources | where name contains 'test' | project id, name, type, location"],
    ["an unclosed quote", "resources | where type =~ 'microsoft.machinelearningservices/workspaces"],
    ["an unknown column", "resources | where type =~ 'x' | project id, nope"],
  ])("%s: 400 BadRequest with InvalidQuery details", (_label, text) => {
    const response = query({ query: text });
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error.code).toBe("BadRequest");
    expect(error.message).toMatch(/^Please provide below info when asking for support: timestamp = .*, correlationId = .*\.$/);
    expect(error.details?.[0]?.code).toBe("InvalidQuery");
  });

  it("refuses more than 1,000 subscriptions, a body without a query, GET, and an unknown api-version", () => {
    const many = Array.from({ length: 1001 }, (_, i) => `00000000-0000-4000-8000-${i.toString().padStart(12, "0")}`);
    expect(errorOf(query({ subscriptions: many, query: WORKSPACES })).details?.[0]?.code).toBe("TooManySubscriptions");
    expect(errorOf(query({ options: {} })).code).toBe("InvalidRequestContent");
    expect(send("GET", URL_2024, userCaller("admin")).status).toBe(405);
    const unknown = query({ query: WORKSPACES }, userCaller("admin"), "/providers/Microsoft.ResourceGraph/resources?api-version=2099-01-01");
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).code).toBe("NoRegisteredProviderFound");
    expect(errorOf(unknown).message).toContain("2024-04-01");
    expect(query({ query: WORKSPACES }, userCaller("admin"), "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01").status).toBe(200);
  });
});

describe("authorizer: many checks for one caller", () => {
  it("answers as isAuthorized does for every persona, action and scope of the tenant", () => {
    tenant.addManagementGroup({ name: "mg-a", displayName: "A", parentName: null });
    tenant.subscriptions.get(production().toLowerCase())!.managementGroup = "mg-a";
    const scopes = [
      "/",
      "/providers/Microsoft.Management/managementGroups/mg-a",
      ...[...tenant.subscriptions.values()].map((s) => `/subscriptions/${s.subscriptionId}`),
      ...[...tenant.resourceGroups.values()].map((rg) => `/subscriptions/${rg.subscriptionId}/resourceGroups/${rg.name}`),
      ...[...tenant.workspaces.values()].map(
        (w) => `/subscriptions/${w.subscriptionId}/resourceGroups/${w.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/${w.name}`,
      ),
    ];
    const actions = [
      "Microsoft.MachineLearningServices/workspaces/read",
      "Microsoft.Authorization/roleAssignments/write",
      "Microsoft.Authorization/roleAssignments/read",
    ];
    const settings = testSettings();
    for (const key of ["admin", "limited-admin", "team-lead", "security", "no-role"] as const) {
      const caller = userCaller(key);
      const fast = authorizer(tenant, settings, caller, TEST_NOW);
      for (const scope of scopes) {
        for (const action of actions) {
          expect(fast(action, scope), `${key} ${action} ${scope}`).toBe(isAuthorized(tenant, settings, caller, TEST_NOW, action, scope));
        }
      }
    }
  });
});

describe("Resource Graph: the per-user query quota (Microsoft Learn, guidance for throttled requests)", () => {
  const at = (seconds: number) => new Date(TEST_NOW.getTime() + seconds * 1000);
  const ask = (caller: Caller, now: Date, body: unknown = { subscriptions: [production()], query: WORKSPACES }) =>
    (() => {
      const response = handler(buildRequest("POST", URL_2024, { caller, body, now }));
      if (response instanceof Promise) throw new Error("expected a synchronous answer");
      return response;
    })();
  const quota = (response: SandboxResponse) => [response.headers?.["x-ms-user-quota-remaining"], response.headers?.["x-ms-user-quota-resets-after"]];

  it("allows 15 queries per 5-second window by default, reporting what is left and when it resets on every answer", () => {
    const answers = Array.from({ length: 15 }, (_, i) => ask(userCaller("admin"), at(i * 0.2)));
    expect(answers.every((response) => response.status === 200)).toBe(true);
    expect(quota(answers[0]!)).toEqual(["14", "00:00:05"]);
    expect(quota(answers[14]!)).toEqual(["0", "00:00:03"]);
    const refused = ask(userCaller("admin"), at(3));
    expect(refused.status).toBe(429);
    expect(quota(refused)).toEqual(["0", "00:00:02"]);
    // The guidance documents the quota headers, not Retry-After, as what to wait for.
    expect(refused.headers?.["retry-after"]).toBeUndefined();
    // When the window ends the quota is whole again, with a fresh window.
    const renewed = ask(userCaller("admin"), at(5));
    expect(renewed.status).toBe(200);
    expect(quota(renewed)).toEqual(["14", "00:00:05"]);
  });

  it("refuses an over-quota query with Resource Graph's RateLimiting body (live body in Azure/azure-cli-extensions#3325)", () => {
    const live = readReference("arm-other/ResourceGraph_RateLimiting.azure-cli-extensions-3325.json") as {
      error: { code: string; message: string; details: { code: string; message: string }[] };
    };
    handler = createArmHandler(tenant, testSettings({ resourceGraphQuotaPerWindow: 1 }));
    expect(ask(userCaller("admin"), at(0)).status).toBe(200);
    const refused = ask(userCaller("admin"), at(1));
    expect(refused.status).toBe(429);
    const error = (refused.body as typeof live).error;
    expect(error.code).toBe(live.error.code);
    expect(error.details).toEqual(live.error.details);
    expect(live.error.message).toMatch(/^Please provide below info when asking for support: timestamp = \S+, correlationId = /);
    expect(error.message).toMatch(/^Please provide below info when asking for support: timestamp = \S+, correlationId = \S+\.$/);
  });

  it("counts each user apart, an app-only caller by its app, pages and refused queries alike, and not other ARM calls", () => {
    handler = createArmHandler(tenant, testSettings({ resourceGraphQuotaPerWindow: 2, resourceGraphQuotaWindowSeconds: 10 }));
    const first = ask(userCaller("admin"), at(0), { subscriptions: [production()], query: WORKSPACES, options: { $top: 1 } });
    const token = bodyOf(first).$skipToken;
    expect(token).toBeDefined();
    // A listing through ARM is not a Resource Graph query.
    expect(send("GET", "/subscriptions?api-version=2022-12-01", userCaller("admin")).headers?.["x-ms-user-quota-remaining"]).toBeUndefined();
    const bad = ask(userCaller("admin"), at(1), { subscriptions: [production()], query: "resources | take 1" });
    expect(bad.status).toBe(400);
    expect(quota(bad)).toEqual(["0", "00:00:09"]);
    expect(ask(userCaller("admin"), at(2), { subscriptions: [production()], query: WORKSPACES, options: { $top: 1, $skipToken: token } }).status).toBe(429);
    expect(quota(ask(userCaller("security"), at(2)))).toEqual(["1", "00:00:10"]);
    expect(quota(ask(appCaller(), at(2)))).toEqual(["1", "00:00:10"]);
  });

  it("starts a fresh window when the sandbox clock is moved back before the current one", () => {
    handler = createArmHandler(tenant, testSettings({ resourceGraphQuotaPerWindow: 1 }));
    expect(ask(userCaller("admin"), at(10)).status).toBe(200);
    expect(ask(userCaller("admin"), at(11)).status).toBe(429);
    expect(ask(userCaller("admin"), at(0)).status).toBe(200);
  });
});

describe("formatResetsAfter", () => {
  it("writes hh:mm:ss, rounding up to whole seconds", () => {
    expect(formatResetsAfter(0)).toBe("00:00:00");
    expect(formatResetsAfter(1)).toBe("00:00:01");
    expect(formatResetsAfter(3_000)).toBe("00:00:03");
    expect(formatResetsAfter(3_723_000)).toBe("01:02:03");
  });
});

describe("Resource Graph: tenant scope, where conditions and order by", () => {
  const PAGE = "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id, name, resourceGroup";

  it("reads every subscription the caller can see when the request names none, as naming them all does", () => {
    const named = bodyOf(query({ subscriptions: [...tenant.subscriptions.keys()], query: PAGE, options: { $top: 1000 } }, userCaller("security")));
    const tenantScope = bodyOf(query({ query: PAGE, options: { $top: 1000 } }, userCaller("security")));
    expect(tenantScope.data).toEqual(named.data);
    expect(tenantScope.totalRecords).toBe(tenant.workspaces.size);
  });

  it("refuses a tenant-scope query over more than 1,000 subscriptions unless partial scopes are allowed, and then reads 1,000", () => {
    const template = [...tenant.subscriptions.values()][0]!;
    for (let i = 0; i < 1001; i++) {
      const subscriptionId = `10000000-0000-4000-8000-${i.toString().padStart(12, "0")}`;
      tenant.subscriptions.set(subscriptionId, { ...template, subscriptionId, displayName: `extra ${i}`, managementGroup: undefined });
    }
    const caller = userCaller("security");
    const name = "0d1e2f30-0000-4000-8000-0000000000aa";
    tenant.putRoleAssignment(
      // Reader at the root: every subscription is visible to the caller.
      newRoleAssignment({
        name,
        scope: "/",
        roleDefinitionName: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        principalId: caller.objectId,
        principalType: "User",
        createdOn: "2026-01-01T00:00:00.0000000Z",
      }),
    );
    const refused = query({ query: PAGE }, caller);
    expect(refused.status).toBe(400);
    expect(errorOf(refused).details?.map((d) => d.code)).toEqual(["TooManySubscriptions"]);
    const containers = "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId";
    const partial = query({ query: containers, options: { allowPartialScopes: true, $top: 1000 } }, caller);
    expect(partial.status).toBe(200);
    expect(bodyOf(partial).totalRecords).toBe(1000);
    expect(errorOf(query({ query: PAGE, options: { allowPartialScopes: "yes" } }, caller)).details?.[0]?.code).toBe("InvalidParameter");
  });

  it("filters with contains (any case), in, !startswith, and, or and parentheses", () => {
    const names = (text: string) =>
      bodyOf(query({ query: text, options: { $top: 1000 } }, userCaller("security")))
        .data.map((row) => row.name as string)
        .sort();
    const all = [...tenant.workspaces.values()];
    expect(names(`${PAGE} | where name contains 'FRAUD'`)).toEqual(
      all
        .filter((w) => w.name.includes("fraud"))
        .map((w) => w.name)
        .sort(),
    );
    expect(names(`${PAGE} | where name in ('mlw-fraud-prod', 'proj-genai', 'MLW-CHURN-PROD')`)).toEqual(["mlw-fraud-prod", "proj-genai"]);
    expect(names(`${PAGE} | where name in~ ('MLW-CHURN-PROD')`)).toEqual(["mlw-churn-prod"]);
    expect(names(`${PAGE} | where name !startswith 'mlw-' and (name contains 'genai' or name contains 'nlp')`)).toEqual(["proj-genai", "proj-nlp"]);
    expect(names(`${PAGE} | where name == 'MLW-FRAUD-PROD' or name =~ 'MLW-CHURN-DEV'`)).toEqual(["mlw-churn-dev"]);
  });

  it("reads KQL string escapes, so an escaped quote is text and not the end of the literal", () => {
    const ok = query({ query: `${PAGE} | where name contains 'it\\'s | not a pipe' or name contains "\\\\"` }, userCaller("security"));
    expect(ok.status).toBe(200);
    expect(bodyOf(ok).data).toEqual([]);
    for (const bad of [
      `${PAGE} | where name contains 'x`,
      `${PAGE} | where name contains '\\q'`,
      `${PAGE} | where name matches regex 'x'`,
      `${PAGE} | where nope contains 'x'`,
    ]) {
      const response = query({ query: bad }, userCaller("security"));
      expect(response.status, bad).toBe(400);
      expect(errorOf(response).details?.[0]?.code).toBe("InvalidQuery");
    }
  });

  it("orders by several keys and pages with $skip, totalRecords counting the whole result", () => {
    const ordered = `${PAGE} | order by resourceGroup asc, name desc`;
    const all = bodyOf(query({ query: ordered, options: { $top: 1000 } }, userCaller("security"))).data;
    const expected = [...all].sort((a, b) =>
      a.resourceGroup === b.resourceGroup
        ? (a.name as string) < (b.name as string)
          ? 1
          : -1
        : (a.resourceGroup as string) < (b.resourceGroup as string)
          ? -1
          : 1,
    );
    expect(all).toEqual(expected);
    const page = bodyOf(query({ query: ordered, options: { $top: 3, $skip: 2 } }, userCaller("security")));
    expect(page.data).toEqual(all.slice(2, 5));
    expect(page.totalRecords).toBe(all.length);
  });
});
