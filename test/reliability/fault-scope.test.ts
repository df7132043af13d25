/**
 * Fault rules on the shared test sandbox answer only the calls of the file that added them: the other worker's file
 * runs at the same time against the same sandbox (test/support/fault-scope.ts). Both transports the console's SDKs use
 * carry the file's scope: node:https (the ARM pipeline) and fetch (the Graph SDK, MSAL).
 */
import { afterEach, describe, expect, it } from "vitest";

import { armGet } from "@/lib/arm/client";
import { delegatedGraphClient } from "@/lib/graph/client";
import type { FaultRule } from "@/sandbox/control/faults";
import { asFaultScope, fileFaultScope } from "@/test/support/fault-scope";
import { personaContext } from "@/test/support/persona-token";
import { testSandbox } from "@/test/support/sandbox-control";

// What another file's scope looks like to the sandbox while both run.
const OTHER_FILE = "file-another-test-file";

// 400 with a code of its own: never retried and not a failure to the circuit breakers, so one test's faults leave
// the next test's calls alone.
const armRule = { method: "GET", path: "/subscriptions", status: 400, errorCode: "InjectedScopeFault" } as const;
const graphRule = { method: "GET", path: "/v1.0/me", status: 400, errorCode: "InjectedScopeFault" } as const;

afterEach(() => testSandbox().faults.clear());

async function applied(rule: FaultRule): Promise<number | undefined> {
  return (await testSandbox().faults.list()).find((listed) => listed.id === rule.id)?.applied;
}

describe("fault rules on the shared test sandbox", () => {
  it("a rule another file adds does not answer this file's calls, and does answer that file's", async () => {
    const { caller } = await personaContext("security");
    const arm = await testSandbox().faults.add({ ...armRule, scope: OTHER_FILE });
    const graph = await testSandbox().faults.add({ ...graphRule, scope: OTHER_FILE });

    const subscriptions = (await armGet({ kind: "delegated", caller }, "/subscriptions", "2022-12-01")) as { value: unknown[] };
    expect(subscriptions.value.length).toBeGreaterThan(0);
    const me = (await delegatedGraphClient(caller).api("/me").get()) as { id: string };
    expect(me.id).toBe(caller.objectId);
    expect([await applied(arm), await applied(graph)]).toEqual([0, 0]);

    // The same calls made as the other file: the rules answer them, so both transports carried the scope.
    await asFaultScope(OTHER_FILE, async () => {
      await expect(armGet({ kind: "delegated", caller }, "/subscriptions", "2022-12-01")).rejects.toThrow();
      await expect(delegatedGraphClient(caller).api("/me").get()).rejects.toThrow();
    });
    expect([await applied(arm), await applied(graph)]).toEqual([1, 1]);
  });

  it("a rule this file adds answers its own calls and not another file's", async () => {
    const { caller } = await personaContext("security");
    const arm = await testSandbox().faults.add(armRule);
    expect(arm.scope).toBe(fileFaultScope());

    await asFaultScope(OTHER_FILE, () => expect(armGet({ kind: "delegated", caller }, "/subscriptions", "2022-12-01")).resolves.toBeDefined());
    expect(await applied(arm)).toBe(0);
    await expect(armGet({ kind: "delegated", caller }, "/subscriptions", "2022-12-01")).rejects.toThrow();
    expect(await applied(arm)).toBe(1);
  });
});
