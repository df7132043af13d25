/**
 * Role assignments listed page by page: ARM answers a thousand at a time, and each page is read while the next is on
 * its way. Runs on a sandbox of its own, whose workspace is given more assignments than one page holds.
 */
import { randomUUID } from "node:crypto";

import { afterAll, describe, expect, it } from "vitest";

import { scopeCovers } from "@/sandbox/arm/scopes";
import { newRoleAssignment } from "@/sandbox/tenant/model";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { WORKSPACE } from "@/test/reliability/support/churn-workspace";

const tenant = await startPrivateSandbox();
const { armListAll } = await import("@/lib/arm/client");
const { listRoleAssignmentsAt } = await import("./role-assignments");
const { personaContext } = await import("@/test/support/persona-token");

const READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const model = tenant.sandbox.tenant;
const ASSIGNMENTS_PATH = `${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments`;

afterAll(() => tenant.close());

for (let index = 0; index < 1_100; index++) {
  model.putRoleAssignment(
    newRoleAssignment({
      name: randomUUID(),
      scope: WORKSPACE,
      roleDefinitionName: READER,
      principalId: randomUUID(),
      principalType: "User",
      createdOn: "2025-01-02T03:04:05.1234567Z",
    }),
  );
}

describe("role assignments at a scope", () => {
  it("are every assignment ARM lists over its pages, in its order", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("admin")).caller } as const;
    const since = await tenant.control.journal.lastSeq();
    const listed = await listRoleAssignmentsAt(identity, WORKSPACE, "atScope()");
    const lists = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.path.toLowerCase() === ASSIGNMENTS_PATH.toLowerCase());
    const expected = [...model.roleAssignments.values()].filter((assignment) => scopeCovers(model, assignment.scope, WORKSPACE));
    expect(lists.length).toBe(Math.ceil(expected.length / 1000));
    expect(lists.length).toBeGreaterThan(1);
    expect(listed.map((assignment) => assignment.name)).toEqual(expected.map((assignment) => assignment.name));
    const fresh = listed.find((assignment) => assignment.principalType === "User" && assignment.roleDefinitionId?.endsWith(READER));
    expect(fresh?.createdOn).toBeInstanceOf(Date);
  });

  it("end with what reading a page threw, once the next page was asked for", async () => {
    const identity = { kind: "delegated", caller: (await personaContext("admin")).caller } as const;
    const since = await tenant.control.journal.lastSeq();
    const refusal = new Error("this page is not readable");
    await expect(
      armListAll(identity, `${ASSIGNMENTS_PATH}?$filter=${encodeURIComponent("atScope()")}`, "2022-04-01", () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    // The second page had been asked for when the first was handed on; its answer is not left unhandled.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lists = (await tenant.control.journal.since(since)).entries.filter((entry) => entry.path.toLowerCase() === ASSIGNMENTS_PATH.toLowerCase());
    expect(lists).toHaveLength(2);
  });
});
