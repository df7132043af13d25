/**
 * The Graph SDK's transport (`node:https`, in place of `fetch`), against the shared test sandbox: what the SDK reads
 * of an answer (status, headers, JSON, errors) arrives as `fetch` gave it, a request's body and headers
 * arrive whole, and an attempt that gets no answer fails at its time limit instead of waiting.
 */
import { GraphError } from "@microsoft/microsoft-graph-client";
import { afterEach, describe, expect, it } from "vitest";

import { createTenant } from "@/sandbox/tenant/index";
import { personaContext, sandboxOrigin } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";
import { delegatedGraphClient } from "./client";
import { gzipSync } from "node:zlib";

import { decodedBody, sendOverHttps } from "./transport";

const oracle = createTenant({ seed: 1, scale: "default" });
const someUser = [...oracle.users.values()][0]!;
const graph = () => `${sandboxOrigin()}/v1.0`;

afterEach(async () => {
  await testSandbox().faults.clear();
});

describe("Graph over node:https", () => {
  it("a GET and a POST with a JSON body come back parsed, as the SDK returned them over fetch", async () => {
    const client = delegatedGraphClient((await personaContext("admin")).caller);
    const user = (await client.api(`/users/${someUser.id}`).select("id,displayName").get()) as { id: string; displayName: string };
    expect(user).toMatchObject({ id: someUser.id, displayName: someUser.displayName });
    const found = (await client.api("/directoryObjects/getByIds").post({ ids: [someUser.id], types: ["user"] })) as { value: { id: string }[] };
    expect(found.value.map((object) => object.id)).toEqual([someUser.id]);
  });

  it("a refusal reaches the SDK's error handling with its status, code and headers", async () => {
    const client = delegatedGraphClient((await personaContext("admin")).caller);
    const failure = await client
      .api("/users/00000000-0000-4000-8000-0000000000ff")
      .get()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ statusCode: 404, code: "Request_ResourceNotFound" });
    expect((failure as GraphError).headers?.get("content-type")).toMatch(/json/);
  });

  it("an error answer is read as fetch read it: status, not ok, its JSON body", async () => {
    const refused = await sendOverHttps(`${graph()}/organization`, { headers: {} }, 10_000);
    expect(refused.status).toBe(401);
    expect(refused.ok).toBe(false);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBeTruthy();
  });

  it("an attempt with no answer fails at its time limit, as a TimeoutError", async () => {
    await testSandbox().faults.add({ method: "GET", path: "/v1.0/organization", hang: true, times: 1 });
    const failure = await sendOverHttps(`${graph()}/organization`, { headers: {} }, 300).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: "TimeoutError" });
  });

  it("refuses what it cannot send: another scheme than https, a body that is neither text nor bytes", async () => {
    await expect(sendOverHttps("http://localhost:1/v1.0/me", {}, 1_000)).rejects.toThrow(/only called over https/);
    await expect(sendOverHttps(`${graph()}/me`, { method: "POST", body: { not: "serialised" } as unknown as string }, 1_000)).rejects.toThrow(/text or bytes/);
  });

  it("a compressed answer is handed on decoded; an encoding not asked for is refused, never passed on as JSON", async () => {
    const json = Buffer.from(JSON.stringify({ value: [{ id: someUser.id }] }));
    expect((await decodedBody(gzipSync(json), "gzip")).toString()).toBe(json.toString());
    expect(await decodedBody(json, null)).toBe(json);
    expect(await decodedBody(json, "identity")).toBe(json);
    await expect(decodedBody(json, "br")).rejects.toThrow(/'br', which was not asked for/);
    await expect(decodedBody(json, "gzip")).rejects.toThrow();
  });
});
