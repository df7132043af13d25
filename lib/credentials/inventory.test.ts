import { describe, expect, it } from "vitest";

import { BUCKETS, type Bucket } from "@/components/credentials/model";
import { appGraphClient } from "@/lib/graph/client";
import { CONSOLE_API_CLIENT_ID, CONSOLE_SPA_CLIENT_ID } from "@/sandbox/contract";
import { createTenant } from "@/sandbox/tenant/index";
import { readWorkspaceAccess } from "./access";
import { buildSnapshot } from "./build-rows";
import { readDirectoryInventory } from "./inventory";

const DAY = 86_400_000;
const CONSOLE_APPS = new Set([CONSOLE_API_CLIENT_ID, CONSOLE_SPA_CLIENT_ID]);

/** An independent count per bucket from the seed (the shared sandbox runs seed 1); the console's own apps are left out. */
function oracleCounts(now: Date): Record<Bucket, number> {
  const tenant = createTenant({ seed: 1, scale: "default", now });
  const counts = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<Bucket, number>;
  const bucketOf = (credential: { startDateTime: string; endDateTime: string }): Bucket => {
    const end = Date.parse(credential.endDateTime);
    const left = end - now.getTime();
    if (left <= 0) return "expired";
    if (left <= 7 * DAY) return "within1";
    if (left <= 30 * DAY) return "within2";
    if (left <= 90 * DAY) return "within3";
    return end - Date.parse(credential.startDateTime) > 730 * DAY ? "longLived" : "healthy";
  };
  const sps = [...tenant.servicePrincipals.values()];
  for (const app of tenant.applications.values()) {
    if (CONSOLE_APPS.has(app.appId)) continue;
    const sp = sps.find((candidate) => candidate.appId === app.appId);
    const own = [...app.passwordCredentials, ...app.keyCredentials, ...(sp ? [...sp.passwordCredentials, ...sp.keyCredentials] : [])];
    for (const credential of own) counts[bucketOf(credential)] += 1;
    if (own.length === 0 && app.federatedIdentityCredentials.length > 0) counts.secretless += 1;
  }
  counts.secretless += sps.filter((sp) => sp.servicePrincipalType === "ManagedIdentity").length;
  return counts;
}

describe("credential inventory against the sandbox tenant (console identity, read-only)", () => {
  it("finds every credential, classifies it as the seed says, and joins workspace roles", async () => {
    const progress: string[] = [];
    const [directory, access] = await Promise.all([
      readDirectoryInventory(appGraphClient(), (phase) => void progress.push(phase)),
      readWorkspaceAccess(),
    ]);
    const now = new Date();
    const built = buildSnapshot(directory, access.rolesByPrincipal, now, [7, 30, 90]);
    expect(directory.warnings).toEqual([]);
    expect(access.warnings).toEqual([]);

    const withoutConsole = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<Bucket, number>;
    for (const row of built.rows) if (!CONSOLE_APPS.has(row.appId)) withoutConsole[row.bucket] += 1;
    expect(withoutConsole).toEqual(oracleCounts(now));

    // The headline case: a secret on the service-principal object, expiring within 7 days, unlocking Data Scientist.
    const fraud = built.rows.filter((row) => row.identityName === "fraud-scoring-batch");
    expect(fraud).toHaveLength(1);
    expect(fraud[0]).toMatchObject({ objectType: "servicePrincipal", kind: "secret", bucket: "within1" });
    expect(fraud[0]!.roles).toContainEqual(expect.objectContaining({ workspace: "mlw-fraud-prod", roleName: "AzureML Data Scientist" }));
    // Ranked above an app-object secret in the same window with no workspace role.
    const forecast = built.rows.find((row) => row.identityName === "forecast-publisher")!;
    if (forecast.roles.length === 0) expect(fraud[0]!.risk).toBeGreaterThan(forecast.risk);

    // Never a secret value.
    expect(JSON.stringify(built)).not.toMatch(/secretText/);

    // Calls: one list page each for applications and service principals (< 999 of each), then $batch of 20.
    expect(directory.graphCalls).toBe(2 + Math.ceil((directory.applications.length * 2 + directory.servicePrincipals.filter((sp) => sp.credentials.length > 0).length) / 20));
  });
});
