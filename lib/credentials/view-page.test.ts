import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { CredentialRow } from "@/lib/shared/credentials";
import type { DatabaseHandle } from "@/lib/db/client";
import { storageEngines } from "@/test/support/databases";
import type { BuiltSnapshot } from "./build-rows";
import { completeSnapshot, createRunningSnapshot, EXPIRY_WEEKS, expiryPerWeek, readViewPage, snapshotRows, viewChoices } from "./store";
import { applyView, distinctRoles, distinctWorkspaces, parseView } from "./view";

const WINDOWS = [7, 30, 90] as const;
const AS_OF = "2026-06-01T08:00:00.000Z";
const DAY_MS = 86_400_000;
const NAMES = ["alpha", "Alpha", "älpha", "beta", "Zeta", "zeta", "Ω-app", "app 10", "app 9", "fraud-scoring-batch"];
const BUCKETS = ["expired", "within1", "within2", "within3", "longLived", "healthy", "secretless"] as const;
const TYPES = ["application", "servicePrincipal", "managedIdentity"] as const;

function role(workspace: string, roleName: string) {
  return { workspace, workspaceScope: `/ws/${workspace}`, roleId: roleName, roleName, privileged: false, assignmentScope: `/ws/${workspace}` };
}

/** Rows with many ties (risk, names, dates), so the order's tie-breaks decide. */
function rows(): CredentialRow[] {
  return Array.from({ length: 523 }, (_, index) => {
    const bucket = BUCKETS[index % BUCKETS.length]!;
    const offsetDays = ((index * 37) % 260) - 40;
    return {
      id: `row:${String((index * 7919) % 1000).padStart(3, "0")}:${index}`,
      identityKey: `app:${index % 40}`,
      identityName: NAMES[index % NAMES.length]!,
      appId: `app-${index % 40}`,
      objectType: TYPES[index % TYPES.length]!,
      objectId: `o${index}`,
      kind: bucket === "secretless" ? "federated" : "secret",
      keyId: bucket === "secretless" ? null : `k${index}`,
      credentialName: index % 4 === 0 ? null : `Secret-${index % 13}`,
      startDateTime: null,
      endDateTime: bucket === "secretless" || index % 11 === 0 ? null : new Date(Date.parse(AS_OF) + offsetDays * DAY_MS + (index % 3) * 1000).toISOString(),
      bucket,
      risk: (index % 4) * 10,
      owners: index % 5 === 0 ? [] : [{ id: `u${index % 6}`, displayName: index % 2 ? "Ada Owner" : "Ödön Owner", mail: `owner${index % 6}@contoso.test` }],
      roles: index % 3 === 0 ? [] : [role(index % 2 ? "mlw-fraud-prod" : "MLW-Risk", index % 4 ? "AzureML Data Scientist" : "Reader")],
    };
  });
}

function built(all: CredentialRow[]): BuiltSnapshot {
  const counts = { expired: 0, within1: 0, within2: 0, within3: 0, longLived: 0, healthy: 0, secretless: 0 };
  for (const r of all) counts[r.bucket] += 1;
  return { rows: all, counts, identities: [] };
}

/** The chart's counts as the page made them from every row. */
function weeksFromRows(all: readonly CredentialRow[], asOf: string): number[] {
  const start = Date.parse(asOf);
  const weeks = Array.from({ length: EXPIRY_WEEKS }, () => 0);
  for (const r of all) {
    if (!r.endDateTime || r.bucket === "secretless") continue;
    const end = Date.parse(r.endDateTime);
    if (end <= start || end > start + 180 * DAY_MS) continue;
    const week = Math.floor((end - start) / (7 * DAY_MS));
    if (week < EXPIRY_WEEKS) weeks[week]! += 1;
  }
  return weeks;
}

describe.each(storageEngines())("one page of the credentials view on $name", (engine) => {
  let handle: DatabaseHandle;
  let snapshotId: number;
  const all = rows();
  beforeAll(async () => {
    handle = await engine.open();
    const now = new Date(AS_OF);
    snapshotId = await createRunningSnapshot(handle.db, { trigger: "scheduled", requestedBy: null, now, windows: WINDOWS });
    await completeSnapshot(handle.db, snapshotId, built(all), { asOf: now, finishedAt: now, graphCalls: 1, armCalls: 1, warnings: [] });
  });
  afterAll(async () => {
    await handle.close();
  });

  it.each([
    "",
    "sort=name",
    "sort=name&dir=desc",
    "sort=end",
    "sort=end&dir=desc",
    "sort=bucket",
    "sort=risk&dir=asc",
    "bucket=within1",
    "type=managedIdentity&sort=end",
    "bucket=healthy&type=application&sort=name&dir=desc",
    "owner=ödön",
    "owner=OWNER3@contoso",
    "workspace=mlw-risk&role=reader",
    "q=secret-1&sort=end",
    "q=ALPHA",
    "bucket=expired&q=zeta",
  ])("pages the view %j in the order and with the rows the whole view has", async (query) => {
    const parsed = parseView(new URLSearchParams(query));
    if (!parsed.ok) throw new Error(parsed.messages.join());
    const expected = applyView(all, parsed.view);
    const pages: CredentialRow[] = [];
    for (let offset = 0; offset < expected.length + 100; offset += 100) {
      const page = await readViewPage(handle.db, snapshotId, parsed.view, { offset, limit: 100 });
      expect(page.total).toBe(expected.length);
      pages.push(...page.rows);
    }
    expect(pages.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(pages).toEqual(expected);
  });

  it("counts expiries per week and lists the filter's choices as the rows say", async () => {
    const stored = await snapshotRows(handle.db, snapshotId);
    expect(await expiryPerWeek(handle.db, snapshotId, AS_OF)).toEqual(weeksFromRows(stored, AS_OF));
    expect(weeksFromRows(stored, AS_OF).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(100);
    expect(await viewChoices(handle.db, snapshotId)).toEqual({ workspaces: distinctWorkspaces(stored), roles: distinctRoles(stored) });
  });

  it("works the chart and the choices out for each snapshot, and in each database, from its own rows (they are kept once worked out)", async () => {
    const first = await viewChoices(handle.db, snapshotId);
    const fewer = all.slice(0, 3).map((r, index) => ({ ...r, roles: [role(`mlw-other-${index}`, "Owner")] }));
    const now = new Date(AS_OF);
    const laterId = await createRunningSnapshot(handle.db, { trigger: "manual", requestedBy: null, now, windows: WINDOWS });
    await completeSnapshot(handle.db, laterId, built(fewer), { asOf: now, finishedAt: now, graphCalls: 1, armCalls: 1, warnings: [] });
    expect(await viewChoices(handle.db, laterId)).toEqual({ workspaces: distinctWorkspaces(fewer), roles: ["Owner"] });
    expect(await expiryPerWeek(handle.db, laterId, AS_OF)).toEqual(weeksFromRows(fewer, AS_OF));
    expect(await viewChoices(handle.db, snapshotId)).toEqual(first);

    // Another database whose snapshot has the same id: its own rows, not what this one's snapshot was worked out as.
    const other = await engine.open();
    try {
      const otherId = await createRunningSnapshot(other.db, { trigger: "scheduled", requestedBy: null, now, windows: WINDOWS });
      expect(otherId).toBe(snapshotId);
      await completeSnapshot(other.db, otherId, built(fewer), { asOf: now, finishedAt: now, graphCalls: 1, armCalls: 1, warnings: [] });
      expect(await viewChoices(other.db, otherId)).toEqual({ workspaces: distinctWorkspaces(fewer), roles: ["Owner"] });
      expect(await expiryPerWeek(other.db, otherId, AS_OF)).toEqual(weeksFromRows(fewer, AS_OF));
    } finally {
      await other.close();
    }
  });
});
