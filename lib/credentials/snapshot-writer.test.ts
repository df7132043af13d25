/**
 * The snapshot built and stored while the directory's answers arrive: whatever order the answers come in, the stored
 * snapshot is the one `buildSnapshot` makes from the whole inventory; an identity is stored only once nothing it
 * shows can change; and a part that cannot be stored fails the run.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import type { WorkspaceRole } from "@/lib/shared/credentials";
import type { DatabaseHandle } from "@/lib/db/client";
import { storageEngines } from "@/test/support/databases";
import { type BuiltSnapshot, buildSnapshot } from "./build-rows";
import type { InventoryApplication, InventoryServicePrincipal } from "./inventory";
import { SnapshotWriter } from "./snapshot-writer";
import { completeSnapshot, createRunningSnapshot, findSnapshot, identityDetails, snapshotRows } from "./store";

const WINDOWS = [7, 30, 90] as const;
const NOW = new Date("2026-06-01T00:00:00Z");
const secret = (keyId: string, endDateTime: string) => ({ kind: "secret" as const, keyId, displayName: keyId, startDateTime: null, endDateTime });
const owner = (id: string) => ({ id, displayName: `Owner ${id}`, mail: `${id}@contoso.test` });
const role: WorkspaceRole = {
  workspace: "mlw-fraud-prod",
  workspaceScope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod",
  assignmentScope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod",
  roleId: "b78c5d69-af96-48a3-bf8d-a8b4d589de94",
  roleName: "AzureML Data Scientist",
  privileged: false,
};

/** A directory as the lists leave it: navigations (owners, federated credentials) not yet read. */
function listedDirectory(): { applications: InventoryApplication[]; servicePrincipals: InventoryServicePrincipal[] } {
  const applications: InventoryApplication[] = Array.from({ length: 6 }, (_, n) => ({
    id: `app-object-${n}`,
    appId: `APP-${n}`,
    displayName: `app ${n}`,
    credentials: [secret(`k${n}`, n % 2 ? "2026-06-03T00:00:00Z" : "2027-06-01T00:00:00Z")],
    federated: [],
    unreadableFederated: 0,
    owners: [],
  }));
  const sp = (n: number, appId: string, extra: Partial<InventoryServicePrincipal> = {}): InventoryServicePrincipal => ({
    id: `sp-${n}`,
    appId,
    displayName: `sp ${n}`,
    managedIdentity: false,
    credentials: [],
    owners: [],
    userAssignedIdentityId: null,
    federated: [],
    unreadableFederated: 0,
    federatedUnread: null,
    ...extra,
  });
  const servicePrincipals = [
    // The service principals of apps 0 and 1; app 1's carries a secret of its own (its owners are a navigation).
    sp(0, "app-0"),
    sp(1, "app-1", { credentials: [secret("sk1", "2026-05-01T00:00:00Z")] }),
    // A multi-tenant app's service principal with a secret, and a managed identity.
    sp(2, "other-tenant-app", { credentials: [secret("sk2", "2026-06-20T00:00:00Z")] }),
    sp(3, "mi-app", {
      managedIdentity: true,
      userAssignedIdentityId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi",
    }),
    // Nothing to show: no application here, no credentials, not a managed identity.
    sp(4, "first-party"),
  ];
  return { applications, servicePrincipals };
}

/** What the navigations answer: owners and federated credentials, filled in as `readDirectoryInventory` does. */
function answerApplication(app: InventoryApplication, n: number): void {
  app.owners = [owner(`o${n}`)];
  if (n === 2) app.federated.push({ name: "github", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/ml" });
}

/** The same rows in the same order, counts and identities (identities in any order: they are stored, not shown, in it). */
function expectSameSnapshot(actual: BuiltSnapshot, expected: BuiltSnapshot): void {
  const byKey = (identities: BuiltSnapshot["identities"]) => [...identities].sort((a, b) => a.identityKey.localeCompare(b.identityKey));
  expect(actual.rows).toEqual(expected.rows);
  expect(actual.counts).toEqual(expected.counts);
  expect(byKey(actual.identities)).toEqual(byKey(expected.identities));
}

const roles = new Map<string, readonly WorkspaceRole[]>([["sp-1", [role]]]);
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe.each(storageEngines())("the snapshot written while answers arrive, on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });

  async function newSnapshot(): Promise<number> {
    return createRunningSnapshot(handle.db, { trigger: "manual", requestedBy: null, now: NOW, windows: WINDOWS });
  }

  it("stores identities in parts as they complete, and ends with the snapshot buildSnapshot makes, in any order of answers", async () => {
    for (const order of [
      [0, 1, 2, 3, 4, 5],
      [5, 3, 1, 4, 0, 2],
    ]) {
      const directory = listedDirectory();
      const id = await newSnapshot();
      const writer = new SnapshotWriter(handle.db, id, WINDOWS, () => NOW, 1);
      // Answers may come before the lists end and before the roles are known: nothing is built until both are.
      answerApplication(directory.applications[order[0]!]!, order[0]!);
      writer.objectRead("application", order[0]!);
      writer.listed(directory.applications, directory.servicePrincipals);
      for (const index of [0, 3, 4]) writer.objectRead("servicePrincipal", index);
      await tick();
      expect(await snapshotRows(handle.db, id)).toEqual([]);
      writer.rolesRead(roles);
      writer.managedIdentitiesRead();
      for (const n of order.slice(1)) {
        answerApplication(directory.applications[n]!, n);
        writer.objectRead("application", n);
      }
      // Every application's identity but app 1's (its service principal's owners are still on their way), and the
      // managed identity; nothing of the multi-tenant app's service principal yet.
      await vi.waitFor(async () => {
        const stored = await snapshotRows(handle.db, id);
        expect(stored.map((row) => row.identityKey).sort()).toEqual(["app:app-0", "app:app-2", "app:app-3", "app:app-4", "app:app-5", "mi:sp-3"]);
      });
      directory.servicePrincipals[1]!.owners = [owner("sp-owner-1")];
      writer.objectRead("servicePrincipal", 1);
      directory.servicePrincipals[2]!.owners = [owner("sp-owner-2")];
      writer.objectRead("servicePrincipal", 2);

      const { built, rest, asOf } = await writer.finish();
      expect(asOf).toEqual(NOW);
      await completeSnapshot(handle.db, id, { ...rest, counts: built.counts }, { asOf, finishedAt: NOW, graphCalls: 1, armCalls: 1, warnings: [] });
      const expected = buildSnapshot(directory, roles, NOW, WINDOWS);
      expectSameSnapshot(built, expected);
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect((await snapshotRows(handle.db, id)).sort(byId)).toEqual([...expected.rows].sort(byId));
      expect(await findSnapshot(handle.db, id)).toMatchObject({ status: "complete", counts: expected.counts });
      const appOne = await identityDetails(handle.db, id, "app:app-1");
      expect(appOne?.owners.map((o) => o.id)).toEqual(["o1", "sp-owner-1"]);
      expect(appOne?.roles).toEqual([role]);
    }
  });

  it("builds at the end whatever was never reported read, so a missed report never costs a row", async () => {
    const directory = listedDirectory();
    directory.applications.forEach(answerApplication);
    const id = await newSnapshot();
    const writer = new SnapshotWriter(handle.db, id, WINDOWS, () => NOW, 1);
    writer.listed(directory.applications, directory.servicePrincipals);
    writer.rolesRead(roles);
    const { built, rest } = await writer.finish();
    expectSameSnapshot(built, buildSnapshot(directory, roles, NOW, WINDOWS));
    expect(rest.rows).toHaveLength(built.rows.length);
    expect(await snapshotRows(handle.db, id)).toEqual([]);
  });

  it("a part that cannot be stored fails the run when it finishes", async () => {
    const directory = listedDirectory();
    // No such snapshot: the part's rows break the reference to it.
    const writer = new SnapshotWriter(handle.db, 987_654_321, WINDOWS, () => NOW, 1);
    writer.listed(directory.applications, directory.servicePrincipals);
    writer.rolesRead(roles);
    writer.managedIdentitiesRead();
    directory.applications.forEach((app, n) => {
      answerApplication(app, n);
      writer.objectRead("application", n);
    });
    await tick();
    await expect(writer.finish()).rejects.toThrow();
  });

  it("stores nothing more once abandoned", async () => {
    const directory = listedDirectory();
    const id = await newSnapshot();
    const writer = new SnapshotWriter(handle.db, id, WINDOWS, () => NOW, 1);
    writer.listed(directory.applications, directory.servicePrincipals);
    writer.rolesRead(roles);
    writer.managedIdentitiesRead();
    // App 0's identity is complete and its part is due, but the run is abandoned before it is stored.
    writer.objectRead("servicePrincipal", 0);
    writer.objectRead("application", 0);
    await writer.abandon();
    writer.objectRead("application", 2);
    await tick();
    await tick();
    expect(await snapshotRows(handle.db, id)).toEqual([]);
  });
});
