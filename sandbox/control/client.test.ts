/** The control API's typed client against a running sandbox: every route it wraps, and its error. */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { call, tempDataDir } from "../entra/test-support";
import { type RunningSandbox, startSandbox } from "../server";
import { PERSONAS, ROLE_IDS, workspaceArmId } from "../tenant/index";
import { type ControlTransport, type SandboxControl, SandboxControlError, sandboxControl } from "./client";

const admin = PERSONAS.find((persona) => persona.key === "admin")!;
let sandbox: RunningSandbox;
let control: SandboxControl;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  // The sandbox's CA is its own (this worker trusts the shared one only): talk to it through the test helper.
  const transport: ControlTransport = async ({ method, url, body, headers }) => {
    const { pathname, search } = new URL(url);
    const response = await call(sandbox, `${pathname}${search}`, {
      method,
      body,
      headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    });
    return { status: response.status, body: response.text };
  };
  control = sandboxControl(sandbox.origin, { token: sandbox.controlToken, transport });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await control.reset();
});

describe("the control client", () => {
  it("reads the state and resets with another seed", async () => {
    const state = await control.state();
    expect(state).toMatchObject({ tenantId: sandbox.tenant.tenantId, seed: 1, scale: "default", faults: [] });
    expect(state.counts.users).toBeGreaterThan(5);
    expect((await control.reset({ seed: 7 })).seed).toBe(7);
    expect((await control.reset({ seed: 1 })).seed).toBe(1);
  });

  it("changes settings and moves the clock", async () => {
    expect(await control.updateSettings({ propagationDelaySeconds: 30 })).toMatchObject({ propagationDelaySeconds: 30 });
    expect((await control.settings()).propagationDelaySeconds).toBe(30);
    const advanced = await control.clock.advance(3600);
    expect(advanced.clockOffsetMs).toBe(3_600_000);
    expect(Date.parse((await control.clock.now()).now)).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await control.clock.reset()).clockOffsetMs).toBe(0);
  });

  it("adds a role assignment that counts at once, refuses an unknown scope or role, and removes it", async () => {
    const hub = [...sandbox.tenant.workspaces.values()].find((w) => w.name === "hub-ai-research")!;
    const rg = `/subscriptions/${hub.subscriptionId}/resourceGroups/${hub.resourceGroup}`;
    const owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    const before = sandbox.tenant.roleAssignmentsOfPrincipal(admin.objectId).length;
    const added = await control.roleAssignments.add({ scope: rg.toUpperCase(), principalId: admin.objectId, principalType: "User", roleDefinitionId: owner });
    expect(added.scope).toBe(rg);
    const record = sandbox.tenant.roleAssignments.get(added.name)!;
    expect(record).toMatchObject({ scope: rg, principalId: admin.objectId, roleDefinitionName: owner });
    expect(Date.parse(record.createdOn)).toBeLessThan(Date.now() - 3_600_000);
    await expect(
      control.roleAssignments.add({ scope: `${rg}-missing`, principalId: admin.objectId, principalType: "User", roleDefinitionId: owner }),
    ).rejects.toBeInstanceOf(SandboxControlError);
    await expect(
      control.roleAssignments.add({ scope: rg, principalId: admin.objectId, principalType: "User", roleDefinitionId: "00000000-0000-4000-8000-000000000000" }),
    ).rejects.toBeInstanceOf(SandboxControlError);
    await control.roleAssignments.remove(added.name);
    expect(sandbox.tenant.roleAssignmentsOfPrincipal(admin.objectId)).toHaveLength(before);
    await expect(control.roleAssignments.remove(added.name)).rejects.toBeInstanceOf(SandboxControlError);
  });

  it("adds, lists and removes fault rules", async () => {
    const rule = await control.faults.add({ method: "GET", path: "/v1.0/**", status: 429, times: 1 });
    expect(rule).toMatchObject({ status: 429, matched: 0, applied: 0 });
    expect(rule.id).toBeTruthy();
    expect((await control.faults.list()).map((listed) => listed.id)).toEqual([rule.id]);
    await control.faults.remove(rule.id);
    expect(await control.faults.list()).toEqual([]);
    await control.faults.add({ path: "/subscriptions", latencyMs: 1 });
    await control.faults.clear();
    expect(await control.faults.list()).toEqual([]);
  });

  it("reads the journal since a sequence number, filtered, and clears it", async () => {
    const before = await control.journal.lastSeq();
    await call(sandbox, `/${sandbox.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    await call(sandbox, "/v1.0/me");
    const since = await control.journal.since(before);
    expect(since.entries.map((entry) => entry.system)).toEqual(["entra", "graph"]);
    expect(since.lastSeq).toBe(before + 2);
    const graph = await control.journal.list({ system: "graph", pathContains: "/V1.0/ME", status: 401 });
    expect(graph.entries).toHaveLength(1);
    expect(graph.entries[0]).toMatchObject({ method: "GET", path: "/v1.0/me", status: 401 });
    await control.journal.clear();
    expect((await control.journal.list()).entries).toEqual([]);
  });

  it("rotates signing keys and forces and clears step-up demands", async () => {
    const { activeKid } = await control.keys.get();
    const rotated = await control.keys.rotate();
    expect(rotated.activeKid).not.toBe(activeKid);
    expect(rotated.kids).toContain(activeKid);
    const demand = await control.interactionRequired.demand({ user: admin.userPrincipalName });
    expect(demand).toMatchObject({ userObjectId: admin.objectId, errorCode: 50076 });
    expect((await control.interactionRequired.list()).map((listed) => listed.userObjectId)).toEqual([admin.objectId]);
    await control.interactionRequired.clear(admin.userPrincipalName);
    expect(await control.interactionRequired.list()).toEqual([]);
  });

  it("marks users whose ARM writes need MFA, starting from the seeded step-up persona, and resets to it", async () => {
    const stepUp = PERSONAS.find((persona) => persona.key === "step-up-admin")!.objectId;
    expect(await control.armWriteMfa.list()).toEqual([stepUp]);
    expect(await control.armWriteMfa.require(admin.userPrincipalName)).toEqual({ userObjectId: admin.objectId });
    expect((await control.state()).armWriteMfa).toEqual([stepUp, admin.objectId]);
    await control.armWriteMfa.clear(admin.userPrincipalName);
    expect(await control.armWriteMfa.list()).toEqual([stepUp]);
    await control.armWriteMfa.clear();
    expect(await control.armWriteMfa.list()).toEqual([]);
    await expect(control.armWriteMfa.require("nobody@example.com")).rejects.toMatchObject({ status: 404 });
    await control.reset();
    expect(await control.armWriteMfa.list()).toEqual([stepUp]);
  });

  it("turns Assignment required on the console API off and on, and a reset puts the seed's 'on' back", async () => {
    expect(await control.consoleApiAssignmentRequired.get()).toBe(true);
    await control.consoleApiAssignmentRequired.set(false);
    expect(await control.consoleApiAssignmentRequired.get()).toBe(false);
    await control.reset();
    expect(await control.consoleApiAssignmentRequired.get()).toBe(true);
  });

  it("reads and clears the outbox, and persists state.json", async () => {
    expect(await control.outbox.list()).toEqual([]);
    await control.outbox.clear();
    expect(existsSync(await control.persist())).toBe(true);
  });

  it("adds a PIM eligibility, an activation (with its role assignment) and a deny assignment", async () => {
    const tenant = sandbox.tenant;
    const workspace = [...tenant.workspaces.values()].find((w) => w.name === "mlw-churn-prod")!;
    const scope = workspaceArmId(workspace.subscriptionId, workspace.resourceGroup, workspace.name);
    const lead = PERSONAS.find((persona) => persona.key === "team-lead")!;
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const eligibility = await control.pim.addEligibility({ scope, principalId: lead.objectId, roleDefinitionId: ROLE_IDS.contributor });
    expect(sandbox.tenant.roleEligibilities.get(eligibility.name)).toMatchObject({ scope, endDateTime: null });
    const activation = await control.pim.addActivation({ scope, principalId: lead.objectId, roleDefinitionId: ROLE_IDS.computeOperator, endDateTime: end });
    expect(sandbox.tenant.roleAssignments.get(activation.roleAssignmentName)).toMatchObject({ scope, roleDefinitionName: ROLE_IDS.computeOperator });
    expect(sandbox.tenant.pimScheduleOfRoleAssignment(activation.roleAssignmentName)?.endDateTime).toBe(end);
    const deny = await control.addDenyAssignment({
      scope,
      denyAssignmentName: "test deny",
      actions: ["*/delete"],
      principals: [{ id: lead.objectId, type: "User" }],
    });
    expect(sandbox.tenant.denyAssignments.get(deny.name)).toMatchObject({ scope, doNotApplyToChildScopes: false });
    const refused = await control.pim.addActivation({ scope, principalId: lead.objectId, roleDefinitionId: ROLE_IDS.reader }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400 });
    const unknownScope = await control.pim
      .addEligibility({ scope: "/subscriptions/00000000-0000-4000-8000-000000000000", principalId: lead.objectId, roleDefinitionId: ROLE_IDS.reader })
      .catch((error: unknown) => error);
    expect((unknownScope as SandboxControlError).body).toContain("Unknown scope");
  });

  it("throws SandboxControlError with the status and body when the sandbox refuses", async () => {
    const refused = await control.updateSettings({ accessTokenLifetimeSeconds: -5 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SandboxControlError);
    expect(refused).toMatchObject({ method: "PATCH", route: "settings", status: 400 });
    expect((refused as SandboxControlError).body).toContain("accessTokenLifetimeSeconds");
  });
});
