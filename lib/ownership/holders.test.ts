import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DatabaseHandle } from "@/lib/db/client";
import { storageEngines } from "@/test/support/databases";
import { makeUserActor } from "@/test/support/builders/audit";
import { type AccessKey, holdAssignment, holdAssignments, type HoldInput } from "./holders";

const SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-holders";
const ROLE = "f6c7c914-8db3-469d-8ca1-694a8f32e121";

describe.each(storageEngines())("holding assignments on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  const access = (): AccessKey => ({
    scope: SCOPE,
    principalId: randomUUID(),
    principalType: "User",
    roleDefinitionId: ROLE,
    roleName: "AzureML Data Scientist",
  });
  const hold = (on: AccessKey, overrides: Partial<HoldInput> = {}): HoldInput => ({
    access: on,
    assignmentName: randomUUID(),
    created: true,
    holder: { kind: "direct" },
    grantedBy: makeUserActor(),
    now: new Date(),
    ...overrides,
  });

  it("holds several accesses in one go as it holds each alone: whether Gatehouse made each, and a holder already there", async () => {
    const bundle = { kind: "bundle", bundleGrantId: randomUUID(), expiresAt: null } as const;
    const [fresh, sameName, otherName, heldAlready] = [access(), access(), access(), access()];
    // Held earlier by a direct grant whose PUT created them, and one already by this bundle.
    const earlier = await handle.db.transaction(async (tx) =>
      Promise.all([sameName, otherName].map((on) => holdAssignment(tx, hold(on)))).then(async (held) => [
        ...held,
        await holdAssignment(tx, hold(heldAlready, { holder: bundle })),
      ]),
    );
    const results = await handle.db.transaction((tx) =>
      holdAssignments(tx, [
        hold(fresh, { holder: bundle }),
        // Found in place under the name on record: still Gatehouse's.
        hold(sameName, { created: false, assignmentName: earlier[0]!.assignment.assignmentName.toUpperCase(), holder: bundle }),
        // Found in place under another name: the assignment that carries it now is not one Gatehouse made.
        hold(otherName, { created: false, holder: bundle }),
        hold(heldAlready, { created: false, assignmentName: earlier[2]!.assignment.assignmentName, holder: bundle }),
      ]),
    );
    expect(results.map((result) => result.assignment.principalId)).toEqual([fresh, sameName, otherName, heldAlready].map((on) => on.principalId));
    expect(results.map((result) => result.assignment.createdByGatehouse)).toEqual([true, true, false, true]);
    expect(results.map((result) => result.alreadyHeld)).toEqual([false, false, false, true]);
    expect(results[2]!.assignment.id).toBe(earlier[1]!.assignment.id);
    expect(results[3]!.holder.id).toBe(earlier[2]!.holder.id);
    expect(results.map((result) => result.holder.preExisting)).toEqual([false, true, true, false]);
    // One holder_added event for each holder added, naming its own access; none for the one already there.
    expect(results.map((result) => result.events.map((event) => [event.action, event.target?.principalId]))).toEqual([
      [["assignment.holder_added", fresh.principalId]],
      [["assignment.holder_added", sameName.principalId]],
      [["assignment.holder_added", otherName.principalId]],
      [],
    ]);
  });

  it("refuses two holds on the same access in one call, and writes nothing", async () => {
    const on = access();
    await expect(
      handle.db.transaction((tx) =>
        holdAssignments(tx, [hold(on), hold({ ...on, principalId: on.principalId.toUpperCase() }, { holder: { kind: "mapping", mappingId: randomUUID() } })]),
      ),
    ).rejects.toThrow("two holds on the same access");
    const [result] = await handle.db.transaction((tx) => holdAssignments(tx, [hold(on)]));
    expect(result!.alreadyHeld).toBe(false);
  });
});
