/**
 * Security test plan row 20, the breaker: when ARM or Graph keeps failing, the console stops calling it for a while
 * instead of sending every admin's request through retries into a service that is down — calls fail at once, say
 * when to try again, and reach nothing (the sandbox's journal shows no call). Opening and closing over time are in
 * lib/azure/circuit-breaker.test.ts with a clock; this shows the breaker is in the path of real calls.
 *
 * A breaker lives per process, and this file opens both, so it runs in a worker and on a sandbox of its own.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";

import { type PrivateSandbox, startPrivateSandbox } from "@/test/support/private-sandbox";
import { DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";

const tenant: PrivateSandbox = await startPrivateSandbox();

const { grantWorkspaceRoles } = await import("@/lib/workspaces/grant-workspace-roles");
const { searchPrincipals } = await import("@/lib/graph/search-principals");
const { personaContext } = await import("@/test/support/persona-token");

afterEach(async () => {
  await tenant.control.faults.clear();
});
afterAll(async () => {
  await tenant.close();
});

const callsSince = async (since: number, prefix: string) =>
  (await tenant.control.journal.since(since)).entries.filter((entry) => entry.path.toLowerCase().startsWith(prefix.toLowerCase()));

describe("the circuit breaker in front of ARM and Graph (own sandbox tenant)", () => {
  it("after ARM fails attempt after attempt, a grant fails at once, reaches nothing and says when to try again", async () => {
    const admin = await personaContext("admin");
    // What the admin is told: a grant's per-principal result, or the error when the grant could not start.
    const grant = (index: number): Promise<string> =>
      grantWorkspaceRoles(admin, {
        workspaceId: WORKSPACE,
        roleDefinitionId: DATA_SCIENTIST,
        principals: [{ id: FREE_USERS[index]!.id, kind: "user", displayName: FREE_USERS[index]!.displayName }],
      }).then(
        ([result]) => {
          expect(result).toMatchObject({ status: "failed" });
          return result!.message;
        },
        (error: { userMessage?: string }) => error.userMessage ?? "(no message)",
      );
    await tenant.control.faults.add({ path: "/subscriptions/**", status: 503 });
    // Each grant fails after its retries; within a few grants the breaker opens, and the next grant is told so.
    const PAUSED = /^Azure Resource Manager is not answering, so Gatehouse paused its calls to it\. Nothing was changed\. Try again in \d+ seconds?\.$/;
    const told: string[] = [];
    let index = 0;
    while (!told.some((message) => PAUSED.test(message)) && index < 10) told.push(await grant(index++));
    expect(told.at(-1)).toMatch(PAUSED);
    expect(told.slice(0, -1).every((message) => /having problems|did not answer/.test(message))).toBe(true);

    await tenant.control.faults.clear();
    const since = await tenant.control.journal.lastSeq();
    expect(await grant(index)).toMatch(
      /^Azure Resource Manager is not answering, so Gatehouse paused its calls to it\. Nothing was changed\. Try again in \d+ seconds?\.$/,
    );
    expect(await callsSince(since, "/subscriptions/")).toEqual([]);
  });

  it("after Graph fails attempt after attempt, a search fails at once with the same kind of message and reaches nothing", async () => {
    const admin = await personaContext("admin");
    await tenant.control.faults.add({ path: "/v1.0/**", status: 503 });
    const paused = /^Microsoft Graph is not answering, so Gatehouse paused its calls to it\./;
    const told: string[] = [];
    while (!told.some((message) => paused.test(message)) && told.length < 10) {
      told.push(
        await searchPrincipals(admin.caller, "ada", ["user"]).then(
          () => "(found)",
          (error: { userMessage?: string }) => error.userMessage ?? "",
        ),
      );
    }
    expect(told.at(-1)).toMatch(paused);

    await tenant.control.faults.clear();
    const since = await tenant.control.journal.lastSeq();
    await expect(searchPrincipals(admin.caller, "ada", ["user"])).rejects.toMatchObject({
      code: "upstream_unavailable",
      userMessage: expect.stringMatching(paused) as string,
    });
    expect(await callsSince(since, "/v1.0/")).toEqual([]);
  });
});
