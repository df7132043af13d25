import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET, CONSOLE_API_SCOPE, CONSOLE_SPA_CLIENT_ID, FAULT_SCOPE_HEADER } from "./contract";
import { isLoopbackAddress } from "./control/index";
import { call, decodeJwtPayload, postForm, postJson, redeemSpaCode, signInSpa, tempDataDir } from "./entra/test-support";
import { type RunningSandbox, classifyPath, normalisePath, startSandbox } from "./server";
import { writeTenantFile } from "./tenant-file";
import { PERSONAS } from "./tenant/index";

const admin = PERSONAS.find((persona) => persona.key === "admin")!;
let sandbox: RunningSandbox;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDataDir();
  sandbox = await startSandbox({ port: 0, dataDir, log: () => {} });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await postJson(sandbox, "/_sandbox/reset", {});
});

async function appToken(resource: "graph" | "arm"): Promise<string> {
  const scope = resource === "graph" ? "https://graph.microsoft.com/.default" : "https://management.azure.com/.default";
  const response = await postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, {
    grant_type: "client_credentials",
    client_id: CONSOLE_API_CLIENT_ID,
    client_secret: CONSOLE_API_CLIENT_SECRET,
    scope,
  });
  return response.json<{ access_token: string }>().access_token;
}

async function adminArmToken(): Promise<string> {
  const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
  const userToken = (await redeemSpaCode(sandbox, signIn)).json<{ access_token: string }>().access_token;
  const response = await postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, {
    grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
    requested_token_use: "on_behalf_of",
    client_id: CONSOLE_API_CLIENT_ID,
    client_secret: CONSOLE_API_CLIENT_SECRET,
    assertion: userToken,
    scope: "https://management.azure.com/.default",
  });
  return response.json<{ access_token: string }>().access_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("routing", () => {
  it("normalises leading slashes and decodes once, without URL parsing", () => {
    expect(normalisePath("//subscriptions/abc/providers?api-version=1")).toEqual({ path: "/subscriptions/abc/providers", rawQuery: "api-version=1" });
    expect(normalisePath("/v1.0/users/a%40b.com")?.path).toBe("/v1.0/users/a@b.com");
    expect(normalisePath("/v1.0/%E0%A4%A")).toBeUndefined();
  });

  it("classifies each system by its first segment", () => {
    expect(classifyPath("/")).toBe("index");
    expect(classifyPath("/_sandbox/state")).toBe("control");
    expect(classifyPath("/v1.0/me")).toBe("graph");
    expect(classifyPath("/beta/me")).toBe("graph");
    expect(classifyPath("/subscriptions")).toBe("arm");
    expect(classifyPath("/providers/Microsoft.Authorization/roleAssignments")).toBe("arm");
    expect(classifyPath(`/${randomUUID()}/oauth2/v2.0/token`)).toBe("entra");
    expect(classifyPath("/common/discovery/instance")).toBe("entra");
    expect(classifyPath("/organizations/v2.0/.well-known/openid-configuration")).toBe("entra");
    expect(classifyPath("/favicon.ico")).toBe("unknown");
  });

  it("routes //subscriptions (an SDK scope artefact) to ARM", async () => {
    const response = await call(sandbox, "//subscriptions?api-version=2022-12-01");
    expect(response.status).toBe(401);
    expect(response.json<{ error: { code: string } }>().error.code).toBe("AuthenticationFailed");
    const token = await adminArmToken();
    const listed = await call(sandbox, "//subscriptions?api-version=2022-12-01", { headers: bearer(token) });
    expect(listed.status).toBe(200);
    expect(listed.header("x-ms-request-id")).toBeTruthy();
  });

  it("serves an index page and 404s unknown paths", async () => {
    const index = await call(sandbox, "/");
    expect(index.status).toBe(200);
    expect(index.text).toContain(admin.userPrincipalName);
    expect((await call(sandbox, "/nothing-here")).status).toBe(404);
  });
});

describe("bearer tokens on Graph and ARM", () => {
  it("answers a missing token in each service's shape with WWW-Authenticate", async () => {
    const graph = await call(sandbox, "/v1.0/me");
    expect(graph.status).toBe(401);
    expect(graph.json<{ error: { code: string } }>().error.code).toBe("InvalidAuthenticationToken");
    expect(graph.header("www-authenticate")).toMatch(/^Bearer /);
    expect(graph.header("request-id")).toBeTruthy();
    const arm = await call(sandbox, "/subscriptions?api-version=2022-12-01");
    expect(arm.json<{ error: { code: string; message: string } }>().error).toEqual({
      code: "AuthenticationFailed",
      message: "Authentication failed. The 'Authorization' header is missing.",
    });
    expect(arm.header("www-authenticate")).toContain('error="invalid_token"');
    expect(arm.header("x-ms-request-id")).toBeTruthy();
  });

  it("refuses a token for the other service (audience)", async () => {
    const graphToken = await appToken("graph");
    const arm = await call(sandbox, "/subscriptions?api-version=2022-12-01", { headers: bearer(graphToken) });
    expect(arm.status).toBe(401);
    expect(arm.json<{ error: { code: string } }>().error.code).toBe("InvalidAuthenticationTokenAudience");
    const graph = await call(sandbox, "/v1.0/users", { headers: bearer(await appToken("arm")) });
    expect(graph.status).toBe(401);
    expect(graph.json<{ error: { message: string } }>().error.message).toBe("Invalid audience.");
  });

  it("refuses the console API's own v2 token and a forged signature", async () => {
    const signIn = await signInSpa(sandbox, admin.userPrincipalName, admin.password);
    const apiToken = (await redeemSpaCode(sandbox, signIn)).json<{ access_token: string }>().access_token;
    expect((await call(sandbox, "/v1.0/me", { headers: bearer(apiToken) })).status).toBe(401);
    const token = await appToken("arm");
    const [header, payload] = token.split(".");
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwtPayload(token), oid: randomUUID() })).toString("base64url")}.${token.split(".")[2]}`;
    expect(payload).toBeTruthy();
    const response = await call(sandbox, "/subscriptions?api-version=2022-12-01", { headers: bearer(tampered) });
    expect(response.json<{ error: { code: string } }>().error.code).toBe("InvalidAuthenticationToken");
  });

  it("reports ExpiredAuthenticationToken once the sandbox clock passes exp", async () => {
    const token = await appToken("arm");
    await postJson(sandbox, "/_sandbox/clock/advance", { seconds: 3601 });
    const arm = await call(sandbox, "/subscriptions?api-version=2022-12-01", { headers: bearer(token) });
    expect(arm.status).toBe(401);
    expect(arm.json<{ error: { code: string; message: string } }>().error.code).toBe("ExpiredAuthenticationToken");
    const graph = await call(sandbox, "/v1.0/users", { headers: bearer(await appToken("graph")) });
    expect(graph.status).not.toBe(401);
  });
});

describe("control API", () => {
  it("only answers loopback peers", () => {
    expect(isLoopbackAddress("127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("127.10.0.1")).toBe(true);
    expect(isLoopbackAddress("::1")).toBe(true);
    expect(isLoopbackAddress("::ffff:127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("10.0.0.5")).toBe(false);
    expect(isLoopbackAddress("::ffff:192.168.1.4")).toBe(false);
    expect(isLoopbackAddress("fe80::1")).toBe(false);
    expect(isLoopbackAddress(undefined)).toBe(false);
  });

  it("refuses a non-loopback peer with 403 before doing anything", async () => {
    const request = Object.assign(Readable.from([]), {
      method: "POST",
      url: "/_sandbox/reset",
      headers: {},
      socket: { remoteAddress: "10.1.2.3" },
    });
    const answer = await new Promise<{ status: number; body: string }>((resolve) => {
      let status = 0;
      const response = Object.assign(new EventEmitter(), {
        headersSent: false,
        writableEnded: false,
        destroyed: false,
        statusCode: 200,
        writeHead(code: number) {
          status = code;
          return response;
        },
        end(body?: string) {
          resolve({ status, body: body ?? "" });
        },
      });
      sandbox.server.emit("request", request, response);
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("loopback");
  });

  it("refuses what a web page could send: any request with an Origin, and writes whose body is not declared JSON", async () => {
    const before = (await call(sandbox, "/_sandbox/clock")).json<{ now: string }>();
    const fromPage = await call(sandbox, "/_sandbox/clock/advance", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ seconds: 86_400 }),
    });
    expect(fromPage.status).toBe(403);
    expect(fromPage.text).toContain("Origin");
    // Even a same-site page's read is refused: the control API has no browser callers.
    expect((await call(sandbox, "/_sandbox/state", { headers: { origin: `https://localhost:${sandbox.port}` } })).status).toBe(403);
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
      const simple = await call(sandbox, "/_sandbox/clock/advance", {
        method: "POST",
        headers: contentType === undefined ? {} : { "content-type": contentType },
        body: JSON.stringify({ seconds: 86_400 }),
      });
      expect(simple.status, String(contentType)).toBe(415);
    }
    // Nothing moved; a JSON write and a bodiless write from Node still work.
    const after = (await call(sandbox, "/_sandbox/clock")).json<{ now: string }>();
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeLessThan(3_600_000);
    expect((await postJson(sandbox, "/_sandbox/clock/advance", { seconds: 1 })).status).toBe(200);
    expect((await call(sandbox, "/_sandbox/clock/reset", { method: "POST" })).status).toBe(200);
  });

  it("refuses a control write without the sandbox's control token, or with another one; reads need none", async () => {
    const before = (await call(sandbox, "/_sandbox/clock", { withoutControlToken: true })).json<{ now: string }>();
    const advance = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ seconds: 86_400 }) };
    const without = await call(sandbox, "/_sandbox/clock/advance", { ...advance, withoutControlToken: true });
    expect(without.status).toBe(401);
    expect(without.json()).toMatchObject({ error: { code: "Unauthorized" } });
    expect(without.text).toContain("control token");
    const guessed = sandbox.controlToken.slice(0, -1) + (sandbox.controlToken.endsWith("A") ? "B" : "A");
    for (const token of [guessed, "", `${sandbox.controlToken}x`, "é".repeat(sandbox.controlToken.length)]) {
      const wrong = await call(sandbox, "/_sandbox/clock/advance", { ...advance, headers: { ...advance.headers, "x-sandbox-control-token": token } });
      expect(wrong.status, token).toBe(401);
    }
    expect((await call(sandbox, "/_sandbox/reset", { method: "POST", withoutControlToken: true })).status).toBe(401);
    const after = (await call(sandbox, "/_sandbox/clock", { withoutControlToken: true })).json<{ now: string }>();
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeLessThan(3_600_000);
    // A new start, a new token.
    expect(sandbox.controlToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("summarises state and validates settings", async () => {
    const state = (await call(sandbox, "/_sandbox/state")).json<{ tenantId: string; counts: Record<string, number>; keys: { kids: string[] } }>();
    expect(state.tenantId).toBe(sandbox.tenant.tenantId);
    expect(state.counts.users).toBeGreaterThanOrEqual(200);
    expect(state.keys.kids).toHaveLength(2);
    const bad = await postJson(sandbox, "/_sandbox/settings", { accessTokenLifetimeSeconds: -5, nonsense: 1 }, "PATCH");
    expect(bad.status).toBe(400);
    const good = await postJson(sandbox, "/_sandbox/settings", { propagationDelaySeconds: 30, roleAssignmentLimitPerSubscription: 10 }, "PATCH");
    expect(good.json()).toMatchObject({ propagationDelaySeconds: 30, roleAssignmentLimitPerSubscription: 10 });
    expect(sandbox.settings.propagationDelaySeconds).toBe(30);
    expect(sandbox.settings).toMatchObject({ resourceGraphQuotaPerWindow: 15, resourceGraphQuotaWindowSeconds: 5 });
    const quota = await postJson(sandbox, "/_sandbox/settings", { resourceGraphQuotaPerWindow: 3, resourceGraphQuotaWindowSeconds: 2 }, "PATCH");
    expect(quota.json()).toMatchObject({ resourceGraphQuotaPerWindow: 3, resourceGraphQuotaWindowSeconds: 2 });
    // A quota of none would refuse every query; a window of none would never throttle.
    expect(sandbox.settings.graphDefaultPageSize).toBe(100);
    expect((await postJson(sandbox, "/_sandbox/settings", { graphDefaultPageSize: 3 }, "PATCH")).json()).toMatchObject({ graphDefaultPageSize: 3 });
    // Graph's own bounds for a page: 1 to 999 items.
    for (const refused of [
      { resourceGraphQuotaPerWindow: 0 },
      { resourceGraphQuotaWindowSeconds: 0 },
      { graphDefaultPageSize: 0 },
      { graphDefaultPageSize: 1000 },
    ]) {
      expect((await postJson(sandbox, "/_sandbox/settings", refused, "PATCH")).status).toBe(400);
    }
  });

  it("resets to the seed: a new tenant object, default settings, the console certificate registered again", async () => {
    const before = sandbox.tenant;
    await postJson(sandbox, "/_sandbox/settings", { accessTokenLifetimeSeconds: 60 }, "PATCH");
    const reset = await postJson(sandbox, "/_sandbox/reset", {});
    expect(reset.status).toBe(200);
    expect(sandbox.tenant).not.toBe(before);
    expect(sandbox.settings.accessTokenLifetimeSeconds).toBe(3600);
    expect(sandbox.tenant.findApplication(CONSOLE_API_CLIENT_ID)?.certificates.length).toBeGreaterThan(0);
  });

  it("rotates signing keys: tokens signed by the previous key verify until it is dropped", async () => {
    const token = await appToken("graph");
    const oldKid = sandbox.keys.activeKid;
    const first = (await call(sandbox, "/_sandbox/keys/rotate", { method: "POST" })).json<{ activeKid: string; kids: string[] }>();
    expect(first.activeKid).not.toBe(oldKid);
    expect(first.kids).toEqual([first.activeKid, oldKid]);
    const jwks = (await call(sandbox, `/${sandbox.tenant.tenantId}/discovery/v2.0/keys`)).json<{ keys: { kid: string }[] }>();
    expect(jwks.keys.map((key) => key.kid)).toEqual(first.kids);
    expect((await call(sandbox, "/v1.0/users", { headers: bearer(token) })).status).not.toBe(401);
    const newToken = await appToken("graph");
    const header = JSON.parse(Buffer.from(newToken.split(".")[0] ?? "", "base64url").toString()) as { kid: string };
    expect(header.kid).toBe(first.activeKid);
    await call(sandbox, "/_sandbox/keys/rotate", { method: "POST" });
    expect((await call(sandbox, "/v1.0/users", { headers: bearer(token) })).status).toBe(401);
  });

  it("serves the outbox as JSON and HTML", async () => {
    sandbox.tenant.recordMail({
      id: randomUUID(),
      fromUserId: admin.objectId,
      fromAddress: admin.userPrincipalName,
      to: ["someone@contosoml.onmicrosoft.com"],
      cc: [],
      subject: "Access granted <b>now</b>",
      bodyContentType: "text",
      body: "You now have AzureML Data Scientist.",
      sentDateTime: new Date().toISOString(),
      sentByAppId: CONSOLE_API_CLIENT_ID,
    });
    const json = (await call(sandbox, "/_sandbox/outbox")).json<{ value: { subject: string }[] }>();
    expect(json.value.map((mail) => mail.subject)).toContain("Access granted <b>now</b>");
    const html = await call(sandbox, "/_sandbox/outbox.html");
    expect(html.header("content-type")).toContain("text/html");
    expect(html.text).toContain("Access granted &#60;b&#62;now&#60;/b&#62;");
  });

  it("404s unknown control routes", async () => {
    expect((await call(sandbox, "/_sandbox/nope")).status).toBe(404);
  });
});

describe("faults", () => {
  it("answers the next N matching calls with 429 and Retry-After, in Graph's shape", async () => {
    const token = await appToken("graph");
    const rule = await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/**", status: 429, retryAfterSeconds: 7, times: 2 });
    expect(rule.status).toBe(201);
    const first = await call(sandbox, "/v1.0/users", { headers: bearer(token) });
    expect(first.status).toBe(429);
    expect(first.header("retry-after")).toBe("7");
    expect(first.json<{ error: { code: string } }>().error.code).toBe("TooManyRequests");
    expect((await call(sandbox, "/v1.0/groups", { headers: bearer(token) })).status).toBe(429);
    expect((await call(sandbox, "/v1.0/users", { headers: bearer(token) })).status).not.toBe(429);
    const journal = (await call(sandbox, "/_sandbox/journal?system=graph")).json<{ value: { status: number; faultId: string | null }[] }>();
    expect(journal.value.filter((entry) => entry.status === 429 && entry.faultId === rule.json().id)).toHaveLength(2);
  });

  it("answers a 429 without Retry-After when the rule says null", async () => {
    const token = await appToken("graph");
    await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/users", status: 429, retryAfterSeconds: null, times: 1 });
    const throttled = await call(sandbox, "/v1.0/users", { headers: bearer(token) });
    expect(throttled.status).toBe(429);
    expect(throttled.header("retry-after")).toBeUndefined();
    expect((await call(sandbox, "/v1.0/users", { headers: bearer(token) })).status).toBe(200);
  });

  it("throttles single requests inside $batch only for rules with batchItems, each with its own Retry-After", async () => {
    const token = await appToken("graph");
    await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/groups", status: 429, retryAfterSeconds: 3, times: 1, batchItems: true });
    await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/users", status: 503, times: 1 });
    const batch = await call(sandbox, "/v1.0/$batch", {
      method: "POST",
      headers: { "content-type": "application/json", ...bearer(token) },
      body: JSON.stringify({
        requests: [
          { id: "g", method: "GET", url: "/groups?$top=1" },
          { id: "u", method: "GET", url: "/users?$top=1" },
          { id: "g2", method: "GET", url: "/groups?$top=1" },
        ],
      }),
    });
    expect(batch.status).toBe(200);
    const items = batch.json<{ responses: { id: string; status: number; headers?: Record<string, string>; body: { error?: { code: string } } }[] }>().responses;
    const byId = new Map(items.map((item) => [item.id, item]));
    expect(byId.get("g")).toMatchObject({ status: 429, body: { error: { code: "TooManyRequests" } } });
    expect(Object.entries(byId.get("g")?.headers ?? {}).find(([name]) => name.toLowerCase() === "retry-after")?.[1]).toBe("3");
    // A rule without batchItems leaves batch items alone; a `times: 1` rule is spent on the first item only.
    expect(byId.get("u")?.status).toBe(200);
    expect(byId.get("g2")?.status).toBe(200);
  });

  it("applies a rule with a scope only to calls that carry it, inside $batch by the outer call's", async () => {
    const token = await appToken("graph");
    await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/users", status: 503, scope: "file-a" });
    await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/groups", status: 429, batchItems: true, scope: "file-a" });
    const users = (scope?: string) => call(sandbox, "/v1.0/users?$top=1", { headers: { ...bearer(token), ...(scope ? { [FAULT_SCOPE_HEADER]: scope } : {}) } });
    expect((await users("file-a")).status).toBe(503);
    expect((await users("file-b")).status).toBe(200);
    expect((await users()).status).toBe(200);
    const batch = async (scope: string) =>
      (
        await call(sandbox, "/v1.0/$batch", {
          method: "POST",
          headers: { "content-type": "application/json", ...bearer(token), [FAULT_SCOPE_HEADER]: scope },
          body: JSON.stringify({ requests: [{ id: "g", method: "GET", url: "/groups?$top=1" }] }),
        })
      ).json<{ responses: { status: number }[] }>().responses[0]?.status;
    expect(await batch("file-a")).toBe(429);
    expect(await batch("file-b")).toBe(200);
    // A rule without a scope still applies to every call, scoped or not.
    await postJson(sandbox, "/_sandbox/faults", { method: "GET", path: "/v1.0/users", status: 500, times: 2 });
    expect((await users("file-b")).status).toBe(500);
    expect((await users()).status).toBe(500);
  });

  it("applies rates deterministically from the seed", async () => {
    const token = await appToken("arm");
    const run = async () => {
      await postJson(sandbox, "/_sandbox/reset", {});
      await postJson(sandbox, "/_sandbox/faults", { pathRegex: "^/subscriptions$", status: 503, rate: 0.5 });
      const statuses: number[] = [];
      for (let index = 0; index < 12; index++) statuses.push((await call(sandbox, "/subscriptions?api-version=2022-12-01", { headers: bearer(token) })).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first.some((status) => status !== 503)).toBe(true);
    expect(await run()).toEqual(first);
  });

  it("returns ARM's 500 shape and Entra's temporarily_unavailable on the token endpoint", async () => {
    await postJson(sandbox, "/_sandbox/faults", { method: "POST", path: "/*/oauth2/v2.0/token", status: 503, times: 1 });
    const token = await postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, { grant_type: "client_credentials" });
    expect(token.status).toBe(503);
    expect(token.json<{ error: string }>().error).toBe("temporarily_unavailable");
    await postJson(sandbox, "/_sandbox/faults", { path: "/subscriptions", status: 500, times: 1 });
    const arm = await call(sandbox, "/subscriptions?api-version=2022-12-01");
    expect(arm.json<{ error: { code: string } }>().error.code).toBe("InternalServerError");
  });

  it("hangs a call until the client gives up, and journals it with status 0", async () => {
    await postJson(sandbox, "/_sandbox/faults", { path: "/v1.0/me", hang: true, times: 1 });
    await expect(call(sandbox, "/v1.0/me", { timeoutMs: 300 })).rejects.toThrow(/timeout|socket hang up/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const journal = (await call(sandbox, "/_sandbox/journal?path=/v1.0/me")).json<{ value: { status: number }[] }>();
    expect(journal.value.at(-1)?.status).toBe(0);
  });

  it("adds latency and lists, removes and validates rules", async () => {
    const added = (await postJson(sandbox, "/_sandbox/faults", { path: "/v1.0/**", latencyMs: 20, jitterMs: 10 })).json<{ id: string }>();
    await call(sandbox, "/v1.0/users");
    const rules = (await call(sandbox, "/_sandbox/faults")).json<{ value: { id: string; applied: number }[] }>();
    expect(rules.value.find((rule) => rule.id === added.id)?.applied).toBe(1);
    expect((await call(sandbox, `/_sandbox/faults/${added.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await postJson(sandbox, "/_sandbox/faults", { path: "/x" })).status).toBe(400);
    expect((await postJson(sandbox, "/_sandbox/faults", { pathRegex: "(", status: 500 })).status).toBe(400);
  });
});

describe("base latency", () => {
  it("answers every Graph and ARM call no sooner than the latency after it arrived, refusals and injected faults included", async () => {
    const slow = await startSandbox({ port: 0, dataDir: tempDataDir(), latencyMs: 80, log: () => {} });
    const timed = async (path: string) => {
      const started = performance.now();
      const response = await call(slow, path);
      return { status: response.status, ms: performance.now() - started };
    };
    try {
      // A few milliseconds of slack: Node's timers count from the event loop's cached clock.
      const unauthenticatedGraph = await timed("/v1.0/users");
      expect(unauthenticatedGraph.status).toBe(401);
      expect(unauthenticatedGraph.ms).toBeGreaterThanOrEqual(75);
      const unauthenticatedArm = await timed("/subscriptions?api-version=2022-12-01");
      expect(unauthenticatedArm.status).toBe(401);
      expect(unauthenticatedArm.ms).toBeGreaterThanOrEqual(75);
      // A fault's own delay comes on top of the latency.
      await postJson(slow, "/_sandbox/faults", { path: "/v1.0/groups", status: 503, latencyMs: 50, times: 1 });
      const fault = await timed("/v1.0/groups");
      expect(fault.status).toBe(503);
      expect(fault.ms).toBeGreaterThanOrEqual(125);
    } finally {
      await slow.close();
    }
  });
});

describe("journal", () => {
  it("records method, path, status, caller and duration; filters; clears", async () => {
    const token = await appToken("graph");
    await call(sandbox, "/_sandbox/journal", { method: "DELETE" });
    await call(sandbox, "/v1.0/users?$top=1", { headers: bearer(token) });
    await call(sandbox, "/v1.0/users");
    const journal = (await call(sandbox, "/_sandbox/journal?system=graph")).json<{ value: Record<string, unknown>[] }>();
    expect(journal.value).toHaveLength(2);
    expect(journal.value[0]).toMatchObject({ method: "GET", path: "/v1.0/users", query: "$top=1", system: "graph", callerAppId: CONSOLE_API_CLIENT_ID });
    expect(typeof journal.value[0]?.durationMs).toBe("number");
    expect(journal.value[1]).toMatchObject({ status: 401, callerObjectId: null });
    const all = (await call(sandbox, "/_sandbox/journal")).json<{ value: { system: string }[] }>();
    expect(all.value.some((entry) => entry.system === "control")).toBe(false);
    const tokenCalls = (await call(sandbox, "/_sandbox/journal?system=entra&method=POST")).json<{ value: unknown[] }>();
    expect(tokenCalls.value).toHaveLength(0);
    await call(sandbox, "/_sandbox/journal", { method: "DELETE" });
    expect((await call(sandbox, "/_sandbox/journal")).json<{ value: unknown[] }>().value).toHaveLength(0);
  });
});

describe("loopback only", () => {
  it("refuses to start on a non-loopback address", async () => {
    await expect(startSandbox({ port: 0, host: "0.0.0.0", dataDir: tempDataDir() })).rejects.toThrow(/loopback/);
    await expect(startSandbox({ port: 0, host: "192.168.1.10", dataDir: tempDataDir() })).rejects.toThrow(/loopback/);
  });

  it("is not reachable on this machine's other interfaces", async () => {
    const addresses = Object.values(networkInterfaces())
      .flat()
      .filter((entry) => entry !== undefined && !entry.internal && entry.family === "IPv4")
      .map((entry) => entry!.address);
    for (const address of addresses) {
      const reachable = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: address, port: sandbox.port });
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      expect(reachable, `reachable on ${address}`).toBe(false);
    }
  });
});

describe("persistence and tenant.json", () => {
  it("persists state.json and restores tenant, settings and refresh tokens on the next start", async () => {
    const directory = tempDataDir();
    const first = await startSandbox({ port: 0, dataDir: directory, persist: true, log: () => {} });
    first.tenant.recordMail({
      id: randomUUID(),
      fromUserId: admin.objectId,
      fromAddress: admin.userPrincipalName,
      to: ["a@contosoml.onmicrosoft.com"],
      cc: [],
      subject: "kept across restarts",
      bodyContentType: "text",
      body: "",
      sentDateTime: new Date().toISOString(),
      sentByAppId: CONSOLE_API_CLIENT_ID,
    });
    first.settings.propagationDelaySeconds = 42;
    const signIn = await signInSpa(first, admin.userPrincipalName, admin.password);
    const refreshToken = (await redeemSpaCode(first, signIn)).json<{ refresh_token: string }>().refresh_token;
    await first.persist();
    await first.close();

    const second = await startSandbox({ port: 0, dataDir: directory, persist: true, log: () => {} });
    try {
      expect(second.tenant.outbox.map((mail) => mail.subject)).toContain("kept across restarts");
      expect(second.settings.propagationDelaySeconds).toBe(42);
      const refreshed = await postForm(
        second,
        `/${second.tenant.tenantId}/oauth2/v2.0/token`,
        { grant_type: "refresh_token", client_id: CONSOLE_SPA_CLIENT_ID, refresh_token: refreshToken, scope: CONSOLE_API_SCOPE },
        { origin: "http://localhost:3000" },
      );
      expect(refreshed.status).toBe(200);
      // Same CA and signing keys as before the restart.
      expect(second.tls.caPem).toBe(first.tls.caPem);
      expect(second.keys.kids).toEqual(first.keys.kids);
    } finally {
      await second.close();
    }
  });

  it("writes tenant.json with everything a client needs", async () => {
    const path = await writeTenantFile(sandbox);
    const file = JSON.parse(await readFile(path, "utf8")) as {
      confidentialCredential: { certificatePath: string; privateKeyPath: string };
      caPath: string;
      personas: unknown[];
    };
    const tid = sandbox.tenant.tenantId;
    expect(file).toMatchObject({
      authorityHost: sandbox.origin,
      tenantId: tid,
      authority: `${sandbox.origin}/${tid}`,
      knownAuthorities: [`localhost:${sandbox.port}`],
      spa: { clientId: CONSOLE_SPA_CLIENT_ID, redirectUri: "http://localhost:3000/auth/redirect" },
      api: { clientId: CONSOLE_API_CLIENT_ID, scope: CONSOLE_API_SCOPE },
      confidentialCredential: { clientId: CONSOLE_API_CLIENT_ID, clientSecret: CONSOLE_API_CLIENT_SECRET },
      caPath: sandbox.tls.caPath,
      graph: { baseUrl: sandbox.origin, customHosts: ["localhost"] },
      arm: { endpoint: sandbox.origin, credentialScopes: ["https://management.azure.com/.default"] },
    });
    expect(await readFile(file.confidentialCredential.certificatePath, "utf8")).toContain("BEGIN CERTIFICATE");
    expect(await readFile(file.confidentialCredential.privateKeyPath, "utf8")).toContain("PRIVATE KEY");
    expect(await readFile(file.caPath, "utf8")).toBe(sandbox.tls.caPem);
    expect(file.personas).toHaveLength(7);
    for (const persona of PERSONAS) {
      expect(file.personas).toContainEqual(
        expect.objectContaining({ userPrincipalName: persona.userPrincipalName, password: persona.password, objectId: persona.objectId }),
      );
    }
  });
});

describe("cloud metadata", () => {
  it("serves GET /metadata/endpoints without a token, pointing sign-in and Resource Manager at the sandbox", async () => {
    const object = await call(sandbox, `/metadata/endpoints?api-version=2022-09-01`);
    expect(object.status).toBe(200);
    expect(object.json()).toMatchObject({ resourceManager: `${sandbox.origin}/`, authentication: { loginEndpoint: sandbox.origin } });
    const list = await call(sandbox, `/metadata/endpoints?api-version=2019-05-01`);
    expect(Array.isArray(list.json())).toBe(true);
    const wrong = await call(sandbox, `/metadata/endpoints?api-version=2099-01-01`);
    expect(wrong.status).toBe(400);
    expect(wrong.json<{ error: { code: string } }>().error.code).toBe("InvalidApiVersionParameter");
    expect((await call(sandbox, `/metadata/endpoints`)).status).toBe(400);
    expect(classifyPath("/metadata/endpoints")).toBe("metadata");
  });
});
