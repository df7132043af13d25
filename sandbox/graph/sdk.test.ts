/**
 * The real @microsoft/microsoft-graph-client against the Graph handler, in process: paging with PageIterator,
 * getByIds, $batch through BatchRequestContent, ConsistencyLevel headers, and GraphError for Graph's errors.
 */
import { BatchRequestContent, BatchResponseContent, Client, type GraphError, type PageCollection, PageIterator } from "@microsoft/microsoft-graph-client";
import { beforeEach, describe, expect, it } from "vitest";

import type { Caller } from "../contract";
import { createTenant, type Tenant } from "../tenant/index";
import { persona } from "../tenant/personas";
import { inProcessGraphMiddleware } from "../tenant/testing/sdk-transport";
import { appCaller, TEST_NOW, TEST_ORIGIN, testSettings, userCaller } from "../tenant/testing/support";
import { createGraphHandler } from "./index";

let tenant: Tenant;

beforeEach(() => {
  tenant = createTenant({ seed: 31, scale: "default", now: TEST_NOW });
});

function clientFor(caller: Caller): Client {
  return Client.initWithMiddleware({
    baseUrl: TEST_ORIGIN,
    customHosts: new Set(["localhost"]),
    middleware: inProcessGraphMiddleware(createGraphHandler(tenant, testSettings()), () => caller),
  });
}

describe("@microsoft/microsoft-graph-client against the sandbox Graph", () => {
  it("pages through every user with PageIterator", async () => {
    const client = clientFor(appCaller());
    const first = (await client.api("/users").select("id,displayName").top(37).get()) as PageCollection;
    const ids: string[] = [];
    const iterator = new PageIterator(client, first, (user: { id: string }) => {
      ids.push(user.id);
      return true;
    });
    await iterator.iterate();
    expect(ids).toHaveLength(tenant.users.size);
    expect(new Set(ids).size).toBe(tenant.users.size);
  });

  it("counts and searches with ConsistencyLevel: eventual", async () => {
    const client = clientFor(appCaller());
    const result = (await client.api("/users").header("ConsistencyLevel", "eventual").count(true).search('"displayName:avery"').get()) as {
      "@odata.count": number;
      value: { id: string }[];
    };
    expect(result["@odata.count"]).toBe(result.value.length);
    expect(result.value.map((u) => u.id)).toContain(persona("admin").objectId);
  });

  it("resolves ids with getByIds", async () => {
    const client = clientFor(userCaller("admin"));
    const ids = [persona("team-lead").objectId, persona("security").objectId];
    const result = (await client.api("/directoryObjects/getByIds").post({ ids, types: ["user"] })) as { value: { id: string }[] };
    expect(result.value.map((o) => o.id)).toEqual(ids);
  });

  it("runs a $batch built with BatchRequestContent", async () => {
    const client = clientFor(userCaller("admin"));
    // graph-client 3.0.7 strips only the host from full URLs, so steps are written without the version segment
    // (msgraph-sdk-javascript#1451); a version-prefixed step fails as on Graph (#1178).
    const batch = new BatchRequestContent([
      { id: "1", request: new Request(`${TEST_ORIGIN}/me`, { method: "GET" }) },
      { id: "2", request: new Request(`${TEST_ORIGIN}/users/${persona("team-lead").objectId}/transitiveMemberOf`, { method: "GET" }) },
      { id: "3", request: new Request(`${TEST_ORIGIN}/users/00000000-0000-4000-8000-000000000000`, { method: "GET" }) },
      { id: "4", request: new Request(`${TEST_ORIGIN}/v1.0/me`, { method: "GET" }) },
    ]);
    const raw: unknown = await client.api("/$batch").post(await batch.getContent());
    const responses = new BatchResponseContent(raw as never);
    expect(responses.getResponseById("1").status).toBe(200);
    expect(responses.getResponseById("2").status).toBe(200);
    expect(responses.getResponseById("3").status).toBe(404);
    expect(responses.getResponseById("4").status).toBe(400);
    expect(((await responses.getResponseById("4").json()) as { error: { message: string } }).error.message).toBe("Resource not found for the segment 'v1.0'.");
    const me = (await responses.getResponseById("1").json()) as { id: string };
    expect(me.id).toBe(persona("admin").objectId);
  });

  it("raises GraphError with Graph's status and code", async () => {
    const client = clientFor(userCaller("admin", ["User.Read"]));
    const error = (await client
      .api("/applications")
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe("Authorization_RequestDenied");
    const top = (await clientFor(appCaller())
      .api("/users")
      .top(1000)
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect(top.statusCode).toBe(400);
    expect(top.code).toBe("Request_UnsupportedQuery");
  });

  it("sends mail into the outbox", async () => {
    const client = clientFor(appCaller());
    await client.api(`/users/${persona("admin").objectId}/sendMail`).post({
      message: {
        subject: "Hello",
        body: { contentType: "Text", content: "Hi" },
        toRecipients: [{ emailAddress: { address: "security@contosoml.onmicrosoft.com" } }],
      },
    });
    expect(tenant.outbox.map((m) => m.subject)).toEqual(["Hello"]);
  });
});
