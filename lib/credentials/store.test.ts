import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { CredentialRow } from "@/lib/shared/credentials";
import type { DatabaseHandle } from "@/lib/db/client";
import { notificationOutbox } from "@/lib/notifications/schema";
import { storageEngines } from "@/test/support/databases";
import type { BuiltSnapshot } from "./build-rows";
import { notifyOwners } from "./notify-owners";
import { credentialSnapshotIdentities, credentialSnapshotItems } from "./schema";
import {
  completeSnapshot,
  createRunningSnapshot,
  failSnapshot,
  findSnapshot,
  identityDetails,
  latestCompleteSnapshot,
  snapshotRows,
  snapshotTrend,
  storeSnapshotPart,
} from "./store";

/** The mails queued in the outbox (nothing is delivered here: notifyOwners only queues). */
async function queuedMails(handle: DatabaseHandle) {
  return handle.db.select().from(notificationOutbox).where(eq(notificationOutbox.channel, "mail")).orderBy(notificationOutbox.id);
}

const WINDOWS = [7, 30, 90] as const;
const owner = { id: "11111111-1111-4111-8111-111111111111", displayName: "Ada Owner", mail: "ada@contosoml.onmicrosoft.com" };

function row(id: string, bucket: CredentialRow["bucket"], overrides: Partial<CredentialRow> = {}): CredentialRow {
  return {
    id,
    identityKey: "app:a",
    identityName: "fraud-scoring-batch",
    appId: "a",
    objectType: "servicePrincipal",
    objectId: "sp",
    kind: "secret",
    keyId: id,
    credentialName: "sp-secret",
    startDateTime: "2026-01-01T00:00:00Z",
    endDateTime: "2026-06-05T00:00:00Z",
    bucket,
    risk: 80,
    owners: [owner],
    roles: [],
    ...overrides,
  };
}

function built(rows: CredentialRow[]): BuiltSnapshot {
  const counts = { expired: 0, within1: 0, within2: 0, within3: 0, longLived: 0, healthy: 0, secretless: 0 };
  for (const r of rows) counts[r.bucket] += 1;
  return {
    rows,
    counts,
    identities: [
      {
        identityKey: "app:a",
        displayName: "fraud-scoring-batch",
        appId: "a",
        applicationObjectId: "app",
        servicePrincipalId: "sp",
        isManagedIdentity: false,
        federatedCredentials: [],
        owners: [owner],
        roles: [],
        rows: [],
        recommendation: "Rotate",
      },
    ],
  };
}

describe.each(storageEngines())("credential snapshots on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });
  it("stores a snapshot with its time and rows, and keeps earlier ones for the trend", async () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const first = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now, windows: WINDOWS });
    expect((await findSnapshot(handle.db, first))?.status).toBe("running");
    expect(await latestCompleteSnapshot(handle.db)).toBeUndefined();
    await completeSnapshot(handle.db, first, built([row("k1", "within1"), row("k2", "healthy")]), {
      asOf: now,
      finishedAt: now,
      graphCalls: 3,
      armCalls: 7,
      warnings: [],
    });
    const second = await createRunningSnapshot(handle.db, { trigger: "manual", requestedBy: owner.id, now, windows: WINDOWS });
    await completeSnapshot(handle.db, second, built([row("k1", "within1")]), {
      asOf: new Date("2026-06-02T00:00:00Z"),
      finishedAt: now,
      graphCalls: 3,
      armCalls: 7,
      warnings: ["w"],
    });

    const latest = await latestCompleteSnapshot(handle.db);
    expect(latest).toMatchObject({ id: second, status: "complete", asOf: "2026-06-02T00:00:00.000Z", counts: { within1: 1, healthy: 0 }, warnings: ["w"] });
    expect((await snapshotRows(handle.db, first)).map((r) => r.id)).toEqual(["k1", "k2"]);
    expect((await snapshotTrend(handle.db)).map((s) => s.id)).toEqual([first, second]);
    const details = await identityDetails(handle.db, second, "app:a");
    expect(details?.rows.map((r) => r.id)).toEqual(["k1"]);
    expect(await identityDetails(handle.db, second, "app:none")).toBeUndefined();
  });

  it("stores each row and identity as built, past one insert chunk, with the columns the page sorts and filters by", async () => {
    const now = new Date("2026-06-03T00:00:00Z");
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now, windows: WINDOWS });
    // Graph writes seven fractional digits; the end-date column keeps what JavaScript reads of it (milliseconds).
    const rows = Array.from({ length: 2_345 }, (_, index) =>
      row(`r${index}`, index % 3 === 0 ? "within1" : "healthy", {
        risk: index % 100,
        endDateTime: index % 5 === 0 ? null : `2027-01-${String((index % 28) + 1).padStart(2, "0")}T10:20:30.1234567Z`,
        credentialName: index === 7 ? `quote ' and "double", backslash \\ and ünïcode` : "sp-secret",
        identityKey: `app:${index % 10}`,
      }),
    );
    const snapshot = built(rows);
    const identities = Array.from({ length: 10 }, (_, index) => ({ ...snapshot.identities[0]!, identityKey: `app:${index}` }));
    await completeSnapshot(handle.db, id, { ...snapshot, identities }, { asOf: now, finishedAt: now, graphCalls: 1, armCalls: 1, warnings: [] });

    const stored = await handle.db.select().from(credentialSnapshotItems).where(eq(credentialSnapshotItems.snapshotId, id));
    expect(stored).toHaveLength(rows.length);
    const byId = new Map(stored.map((item) => [item.rowId, item]));
    for (const expected of rows) {
      expect(byId.get(expected.id)).toEqual({
        snapshotId: id,
        rowId: expected.id,
        identityKey: expected.identityKey,
        bucket: expected.bucket,
        risk: expected.risk,
        endDateTime: expected.endDateTime ? new Date(expected.endDateTime) : null,
        row: expected,
      });
    }
    // The identities without what their rows already hold: the rows, and the identity's owners and roles.
    const storedIdentities = await handle.db.select().from(credentialSnapshotIdentities).where(eq(credentialSnapshotIdentities.snapshotId, id));
    expect(storedIdentities.map((identity) => [identity.identityKey, identity.details]).sort()).toEqual(
      identities.map(({ rows: _rows, owners: _owners, roles: _roles, ...identity }) => [identity.identityKey, identity]).sort(),
    );
  });

  it("gives the drawer an identity's owners and roles from its rows, and from the details a snapshot stored earlier kept", async () => {
    const now = new Date("2026-06-04T00:00:00Z");
    const roles = [
      {
        workspace: "mlw-fraud-prod",
        workspaceScope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-fraud-prod",
        roleId: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
        roleName: "AzureML Data Scientist",
        privileged: false,
        assignmentScope: "/subscriptions/s",
      },
    ];
    const second = { id: "22222222-2222-4222-8222-222222222222", displayName: "Bo Second", mail: null };
    const snapshot = built([row("o1", "within1", { roles, owners: [owner, second] }), row("o2", "healthy", { roles, owners: [owner, second] })]);
    const identity = { ...snapshot.identities[0]!, owners: [owner, second], roles };
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now, windows: WINDOWS });
    await completeSnapshot(handle.db, id, { ...snapshot, identities: [identity] }, { asOf: now, finishedAt: now, graphCalls: 1, armCalls: 1, warnings: [] });
    const details = await identityDetails(handle.db, id, "app:a");
    expect(details).toMatchObject({ owners: [owner, second], roles, recommendation: "Rotate" });
    expect(details?.rows.map((r) => r.id)).toEqual(["o1", "o2"]);

    // A snapshot stored before: its details hold owners and roles of their own, which win.
    const earlierRoles = [{ ...roles[0]!, roleName: "Reader", roleId: "acdd72a7-3385-48ef-bd42-f606fba81ae7" }];
    await handle.db
      .update(credentialSnapshotIdentities)
      .set({ details: { ...identity, owners: [second], roles: earlierRoles, rows: [] } })
      .where(eq(credentialSnapshotIdentities.snapshotId, id));
    expect(await identityDetails(handle.db, id, "app:a")).toMatchObject({ owners: [second], roles: earlierRoles });
  });

  it("never hands out a hint an older snapshot stored: reading a row drops it", async () => {
    const now = new Date("2026-06-03T00:00:00Z");
    const id = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now, windows: WINDOWS });
    await completeSnapshot(handle.db, id, built([row("legacy", "within1")]), { asOf: now, finishedAt: now, graphCalls: 1, armCalls: 1, warnings: [] });
    // What a row written before the hint was dropped looks like.
    await handle.db
      .update(credentialSnapshotItems)
      .set({ row: { ...row("legacy", "within1"), hint: "abc" } })
      .where(eq(credentialSnapshotItems.snapshotId, id));
    const [stored] = await snapshotRows(handle.db, id);
    expect(stored).toEqual(row("legacy", "within1"));
    expect(stored).not.toHaveProperty("hint");
    expect((await identityDetails(handle.db, id, "app:a"))?.rows[0]).not.toHaveProperty("hint");
  });

  it("notifies owners at most once per credential per window", async () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const first = await notifyOwners(handle.db, [row("n1", "within2"), row("n2", "healthy"), row("n3", "expired")], WINDOWS, now);
    expect(first).toMatchObject({ credentials: 1, recipients: 1 });
    expect(first.outboxIds).toHaveLength(1);
    const mails = await queuedMails(handle);
    expect(mails).toHaveLength(1);
    // Addressed to the mail the inventory read, so delivery needs no Graph lookup per owner.
    expect(mails[0]).toMatchObject({ recipient: owner.mail, status: "pending", id: first.outboxIds[0] });
    expect(mails[0]!.body).toContain("fraud-scoring-batch");

    // The next refresh: same credential, same window → nothing; it entered the 7-day window → once more.
    expect((await notifyOwners(handle.db, [row("n1", "within2")], WINDOWS, now)).credentials).toBe(0);
    expect(await queuedMails(handle)).toHaveLength(1);
    expect((await notifyOwners(handle.db, [row("n1", "within1")], WINDOWS, now)).credentials).toBe(1);
    expect(await queuedMails(handle)).toHaveLength(2);
    // Two instances at once: only one claims.
    const [a, b] = await Promise.all([
      notifyOwners(handle.db, [row("n4", "within3")], WINDOWS, now),
      notifyOwners(handle.db, [row("n4", "within3")], WINDOWS, now),
    ]);
    expect(a.credentials + b.credentials).toBe(1);
  });

  it("tells an owner a SAML signing certificate breaks single sign-on, not which roles it unlocks", async () => {
    const now = new Date("2026-06-01T00:00:00Z");
    const role = { workspace: "mlw-fraud-prod", workspaceScope: "/w", roleId: "r", roleName: "Owner", privileged: true, assignmentScope: "/w" };
    await notifyOwners(
      handle.db,
      [row("saml1", "within2", { kind: "samlSigning", identityName: "expense-portal-saml", credentialName: "CN=SSO", roles: [role] })],
      WINDOWS,
      now,
    );
    const mail = (await queuedMails(handle)).find((queued) => queued.body.includes("expense-portal-saml"))!;
    expect(mail.body).toContain("SAML signing certificate CN=SSO");
    expect(mail.body).toContain("single sign-on to the application breaks when it expires");
    expect(mail.body).not.toContain("unlocks Owner");
  });

  it("a failed run deletes the rows it stored on its way, and a crashed run's are deleted when the next run starts", async () => {
    const now = new Date();
    const start = (at: Date) => createRunningSnapshot(handle.db, { trigger: "manual", requestedBy: null, now: at, windows: WINDOWS });
    const identitiesOf = (id: number) => handle.db.select().from(credentialSnapshotIdentities).where(eq(credentialSnapshotIdentities.snapshotId, id));

    const failed = await start(now);
    await storeSnapshotPart(handle.db, failed, built([row("part-1", "within1")]));
    expect(await snapshotRows(handle.db, failed)).toHaveLength(1);
    expect(await identitiesOf(failed)).toHaveLength(1);
    await failSnapshot(handle.db, failed, "The inventory could not be read.", now);
    expect(await findSnapshot(handle.db, failed)).toMatchObject({ status: "failed", errorMessage: "The inventory could not be read." });
    expect(await snapshotRows(handle.db, failed)).toEqual([]);
    expect(await identitiesOf(failed)).toEqual([]);

    // A run that started two hours ago and never finished: its instance stopped with it.
    const crashed = await start(new Date(now.getTime() - 2 * 60 * 60_000));
    await storeSnapshotPart(handle.db, crashed, built([row("part-2", "within1")]));
    const next = await start(now);
    expect(await findSnapshot(handle.db, crashed)).toMatchObject({ status: "failed" });
    expect(await snapshotRows(handle.db, crashed)).toEqual([]);
    expect(await identitiesOf(crashed)).toEqual([]);
    await failSnapshot(handle.db, next, "not run", now);
  });
});
