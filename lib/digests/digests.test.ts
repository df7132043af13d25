/**
 * Digests after the scheduled drift check and credentials refresh: posted to the digest channel only when one is set,
 * only when there is news (new findings at once, the same ones once a day, "all clear" once when they are gone), once
 * across instances. The transport is replaced: the test reads what `sendMessage` was given.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import type * as Config from "@/lib/config";
import type { DatabaseHandle } from "@/lib/db/client";
import type * as SendNotification from "@/lib/notifications/send-notification";
import type { DriftReport, WorkspaceDrift } from "@/lib/mappings/collect";
import type { DriftItem, DriftKind } from "@/lib/mappings/drift";
import type { NotificationAudience, NotificationMessage } from "@/lib/notifications/message";
import type { CredentialRow } from "@/lib/shared/credentials";
import { storageEngines } from "@/test/support/databases";

const sent = vi.hoisted(() => [] as { audience: NotificationAudience; message: NotificationMessage }[]);
const settings = vi.hoisted(() => ({ digestChannel: undefined as string | undefined }));

vi.mock("@/lib/notifications/send-notification", async (importOriginal) => ({
  ...(await importOriginal<typeof SendNotification>()),
  sendMessage: (audience: NotificationAudience, message: NotificationMessage) => {
    sent.push({ audience, message });
    return Promise.resolve({ mailed: 0, failed: 0 });
  },
  // Owners' mails from the credentials refresh stay queued: this test is about the channel digest.
  deliverNotifications: () => Promise.resolve({ mailed: 0, posted: 0, failed: 0, gaveUp: 0 }),
}));
vi.mock("@/lib/config", async (importOriginal) => {
  const actual = await importOriginal<typeof Config>();
  return {
    ...actual,
    getConfig: () => {
      const config = actual.getConfig();
      // None unless a test sets one (a sandbox console's default, the sandbox's Slack channel, is not wanted here).
      return { ...config, notifications: { ...config.notifications, digestChannel: settings.digestChannel ?? null } };
    },
  };
});

const { getConfig } = await import("@/lib/config");
const { driftDigest, postDriftDigest } = await import("./drift-digest");
const { credentialsDigest } = await import("./credentials-digest");
const { DIGEST_REPEAT_MS } = await import("./post-digest");
const { runScheduledDriftCheck } = await import("@/lib/mappings/drift-job");
const { scheduledInventory } = await import("@/lib/credentials/refresh");

const NOW = new Date("2026-06-01T10:00:00Z");

function item(kind: DriftKind, workspaceName: string, n: number): DriftItem {
  return {
    key: `${kind}:${workspaceName}:${n}`,
    kind,
    workspaceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/${workspaceName}`,
    workspaceName,
    principalId: `p${n}`,
    principalType: "Group",
    principalName: `Group ${n}`,
    roleDefinitionId: "r",
    roleName: "AzureML Data Scientist",
    assignmentId: null,
    mappingId: null,
    change: null,
    dependsOn: null,
    reason: "",
  };
}
function workspace(name: string, items: DriftItem[], error: string | null = null): WorkspaceDrift {
  return { workspaceId: items[0]?.workspaceId ?? `/w/${name}`, workspaceName: name, mappingCount: 1, items, error };
}
function report(workspaces: WorkspaceDrift[]): DriftReport {
  return { generatedAt: NOW.toISOString(), workspaces, principalsResolved: true };
}

const drifting = report([
  workspace("mlw-a", [item("missing", "mlw-a", 1), item("missing", "mlw-a", 2), item("unmapped_group", "mlw-a", 3)]),
  workspace("mlw-b", [item("deleted_principal", "mlw-b", 4)]),
  workspace("mlw-c", []),
  workspace("mlw-d", [], "Azure refused to list role assignments."),
]);

describe("what a digest says", () => {
  it("counts drift per kind, names the workspaces with the most, and links to the mappings", () => {
    const digest = driftDigest(drifting)!;
    expect(digest.message.title).toBe("Drift: 4 differences on 3 workspaces");
    expect(digest.message.facts).toEqual([
      { name: "Mapped but missing in Azure", value: "2" },
      { name: "Group assignment not mapped", value: "1" },
      { name: "Assigned to a deleted identity", value: "1" },
      { name: "Workspaces that could not be read", value: "1" },
      { name: "Workspace mlw-a", value: "2 mapped but missing in azure, 1 group assignment not mapped" },
      { name: "Workspace mlw-b", value: "1 assigned to a deleted identity" },
      { name: "Workspace mlw-d", value: "could not be read" },
    ]);
    expect(digest.message.link).toEqual({ label: "Open the mappings", url: `${getConfig().publicOrigin}/mappings` });
    expect(driftDigest(report([workspace("mlw-c", [])]))).toBeUndefined();
    // The same findings in another order: the same fingerprint; one more: another.
    expect(driftDigest(report([...drifting.workspaces].reverse()))!.fingerprint).toBe(digest.fingerprint);
    expect(driftDigest(report([...drifting.workspaces, workspace("mlw-e", [item("missing", "mlw-e", 5)])]))!.fingerprint).not.toBe(digest.fingerprint);
  });

  it("counts expiring credentials per window and names the soonest with their owners and roles", () => {
    const row = (id: string, bucket: CredentialRow["bucket"], end: string | null, roles = 0): CredentialRow => ({
      id,
      identityKey: `app:${id}`,
      identityName: `app-${id}`,
      appId: id,
      objectType: "application",
      objectId: id,
      kind: "secret",
      keyId: id,
      credentialName: "ci",
      startDateTime: null,
      endDateTime: end,
      bucket,
      risk: 1,
      owners: [{ id: "o1", displayName: "Owner", mail: null }],
      roles: Array.from({ length: roles }, (_, n) => ({
        workspace: `mlw-${n}`,
        workspaceScope: "/w",
        roleId: "r",
        roleName: "AzureML Data Scientist",
        privileged: false,
        assignmentScope: "/w",
      })),
    });
    const windows = [7, 30, 90] as const;
    const digest = credentialsDigest(
      [
        row("1", "within2", "2026-06-20T00:00:00Z", 4),
        row("2", "within1", "2026-06-03T08:30:00Z", 1),
        row("3", "expired", "2026-05-01T00:00:00Z"),
        row("4", "healthy", "2027-06-01T00:00:00Z"),
      ],
      windows,
    )!;
    expect(digest.message.title).toBe("Credentials: 2 expiring, 1 expired");
    expect(digest.message.facts).toEqual([
      { name: "Expired", value: "1" },
      { name: "Expires within 7 days", value: "1" },
      { name: "Expires within 30 days", value: "1" },
      { name: "app-2", value: 'Client secret "ci", ends 2026-06-03 08:30 UTC; 1 owner; holds AzureML Data Scientist on mlw-0' },
      {
        name: "app-1",
        value:
          'Client secret "ci", ends 2026-06-20 00:00 UTC; 1 owner; holds AzureML Data Scientist on mlw-0, AzureML Data Scientist on mlw-1, AzureML Data Scientist on mlw-2, 1 more',
      },
    ]);
    expect(digest.message.link?.url).toBe(`${getConfig().publicOrigin}/credentials`);
    expect(credentialsDigest([row("4", "healthy", null)], windows)).toBeUndefined();
  });
});

describe.each(storageEngines())("posting digests on $name", (engine) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await engine.open();
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(() => {
    sent.length = 0;
    settings.digestChannel = undefined;
  });

  it("posts nothing when no digest channel is set", async () => {
    expect(await postDriftDigest(handle.db, drifting, NOW)).toBe(false);
    expect(sent).toEqual([]);
  });

  it("posts news to the digest channel only: new findings at once, the same ones once a day, all clear once", async () => {
    settings.digestChannel = "ml-digest";
    expect(await postDriftDigest(handle.db, drifting, NOW)).toBe(true);
    expect(sent.map((entry) => entry.audience)).toEqual([{ people: [], channels: ["ml-digest"] }]);
    expect(sent[0]!.message.title).toBe("Drift: 4 differences on 3 workspaces");

    // The next runs find the same: nothing, until a day has passed; concurrent instances post it once.
    expect(await postDriftDigest(handle.db, drifting, new Date(NOW.getTime() + 15 * 60_000))).toBe(false);
    const dayLater = new Date(NOW.getTime() + DIGEST_REPEAT_MS);
    const racing = await Promise.all([postDriftDigest(handle.db, drifting, dayLater), postDriftDigest(handle.db, drifting, dayLater)]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(sent).toHaveLength(2);

    // Something new is posted at once.
    const more = report([...drifting.workspaces, workspace("mlw-e", [item("missing", "mlw-e", 5)])]);
    expect(await postDriftDigest(handle.db, more, new Date(dayLater.getTime() + 60_000))).toBe(true);
    expect(sent.at(-1)!.message.title).toBe("Drift: 5 differences on 4 workspaces");

    // Drift gone: "all clear" once, then silence.
    const clear = report([workspace("mlw-a", [])]);
    expect(await postDriftDigest(handle.db, clear, new Date(dayLater.getTime() + 120_000))).toBe(true);
    expect(sent.at(-1)!.message.title).toBe("Drift: all clear");
    expect(await postDriftDigest(handle.db, clear, new Date(dayLater.getTime() + 180_000))).toBe(false);
    expect(sent).toHaveLength(4);
  });
});

describe("the scheduled jobs post their digests (shared sandbox, read-only)", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await storageEngines()[0]!.open();
  });
  afterAll(async () => {
    await handle.close();
  });
  beforeEach(() => {
    sent.length = 0;
    settings.digestChannel = "ml-digest";
  });

  it("posts the drift check's findings after the scheduled check", async () => {
    await runScheduledDriftCheck(handle.db);
    const posts = sent.filter((entry) => entry.message.link?.url.endsWith("/mappings"));
    // The sandbox tenant ships with drift (a mapped group's assignment missing, unmapped group assignments).
    expect(posts).toHaveLength(1);
    expect(posts[0]!.audience).toEqual({ people: [], channels: ["ml-digest"] });
    expect(posts[0]!.message.title).toMatch(/^Drift: \d+ differences? on \d+ workspaces?$/);
  });

  it("posts the credentials refresh's expiring credentials after the scheduled refresh", async () => {
    await scheduledInventory(handle.db, { kind: "system", appId: "0c0a5e11-a910-4000-8000-000000000002", tenantId: "72f988bf-0000-4000-8000-00000000c05a" });
    const posts = sent.filter((entry) => entry.message.link?.url.endsWith("/credentials"));
    expect(posts).toHaveLength(1);
    expect(posts[0]!.audience).toEqual({ people: [], channels: ["ml-digest"] });
    expect(posts[0]!.message.title).toMatch(/^Credentials: \d+ expiring/);
    expect(posts[0]!.message.facts.some((entry) => entry.name.startsWith("Expires within"))).toBe(true);
  });
});
