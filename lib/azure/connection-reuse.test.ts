/**
 * Every upstream client keeps its connections open between calls: MSAL's network client and the Graph SDK (Node's
 * fetch), the ARM pipeline (core-client's one keep-alive agent) and the plain ARM reads. A new TLS connection costs a
 * handshake (1–2 ms of CPU on each side); a check of a principal's access makes about 7 calls, so a client that
 * opened one per call would show here as dozens. Counted on a sandbox of this file's own: the shared one is busy with
 * other files' calls.
 */
import { afterAll, describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { createTenant } from "@/sandbox/tenant/index";
import { startPrivateSandbox } from "@/test/support/private-sandbox";

const tenant = await startPrivateSandbox();
const { checkWorkspaceAccess } = await import("@/lib/workspaces/check-workspace-access");
const { personaContext } = await import("@/test/support/persona-token");

const oracle = createTenant({ seed: 1, scale: "default" });
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const WORKSPACE = workspaceScope(fraud.subscriptionId, fraud.resourceGroup, fraud.name);
const CHECKS = 10;

afterAll(async () => {
  await tenant.close();
});

describe("upstream connections", () => {
  it("checks after the first reuse the connections it opened: far fewer TLS handshakes than calls", async () => {
    const admin = await personaContext("admin");
    const security = await personaContext("security");
    // Each request builds its own caller object (and so its own Graph and ARM clients); the connections are the process's.
    const check = () => checkWorkspaceAccess({ ...security.caller }, WORKSPACE, admin.caller.objectId);
    for (let warm = 0; warm < 3; warm++) await check();

    const before = { ...tenant.sandbox.tlsConnections };
    const since = await tenant.control.journal.lastSeq();
    for (let index = 0; index < CHECKS; index++) await check();
    const calls = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.system === "graph" || entry.system === "arm");

    expect(calls.length).toBeGreaterThanOrEqual(CHECKS * 5);
    expect(tenant.sandbox.tlsConnections.opened - before.opened).toBeLessThanOrEqual(2);
  });

  it("on-behalf-of exchanges at the token endpoint reuse a connection too", async () => {
    const admin = await personaContext("admin");
    // A fresh sign-in each time: its assertion has no token cached, so each check starts with two exchanges (Graph, ARM).
    const signIns = [];
    for (let index = 0; index < 4; index++) signIns.push(await personaContext("security"));
    await checkWorkspaceAccess(signIns[0]!.caller, WORKSPACE, admin.caller.objectId);

    const before = { ...tenant.sandbox.tlsConnections };
    const since = await tenant.control.journal.lastSeq();
    for (const signIn of signIns.slice(1)) await checkWorkspaceAccess(signIn.caller, WORKSPACE, admin.caller.objectId);
    const exchanges = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.system === "entra" && entry.path.endsWith("/token"));

    expect(exchanges.length).toBeGreaterThanOrEqual(6);
    expect(tenant.sandbox.tlsConnections.opened - before.opened).toBeLessThanOrEqual(2);
  });
});
