import { describe, expect, it } from "vitest";

import { BUCKETS, type Bucket } from "@/lib/shared/credentials";
import { appGraphClient } from "@/lib/graph/client";
import { createTenant } from "@/sandbox/tenant/index";
import { CONSOLE_APP_IDS, oracleCredentialCounts } from "@/test/support/credential-oracle";
import { readWorkspaceAccess, withGroupRoles } from "./access";
import { buildSnapshot } from "./build-rows";
import { readDirectoryInventory, readGroupServicePrincipals } from "./inventory";
import { readManagedIdentityFederation } from "./managed-identity-federation";

describe("credential inventory against the sandbox tenant (console identity, read-only)", () => {
  it("finds every credential, classifies it as the seed says, and joins workspace roles", async () => {
    const progress: string[] = [];
    const [directory, access] = await Promise.all([readDirectoryInventory(appGraphClient(), (phase) => void progress.push(phase)), readWorkspaceAccess()]);
    const viaGroups = await readGroupServicePrincipals(appGraphClient(), [...access.rolesByGroup.keys()], () => undefined);
    const miFederation = await readManagedIdentityFederation(directory.servicePrincipals);
    const now = new Date();
    const built = buildSnapshot(directory, withGroupRoles(access, viaGroups.groups), now, [7, 30, 90]);
    expect(directory.warnings).toEqual([]);
    expect(access.warnings).toEqual([]);
    expect(viaGroups.warnings).toEqual([]);
    expect(miFederation.warnings).toEqual([]);

    const withoutConsole = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<Bucket, number>;
    for (const row of built.rows) if (!CONSOLE_APP_IDS.has(row.appId)) withoutConsole[row.bucket] += 1;
    expect(withoutConsole).toEqual(oracleCredentialCounts(now));

    // The headline case: a secret on the service-principal object, expiring within 7 days, unlocking Data Scientist.
    const fraud = built.rows.filter((row) => row.identityName === "fraud-scoring-batch");
    expect(fraud).toHaveLength(1);
    expect(fraud[0]).toMatchObject({ objectType: "servicePrincipal", kind: "secret", bucket: "within1" });
    expect(fraud[0]!.roles).toContainEqual(expect.objectContaining({ workspace: "mlw-fraud-prod", roleName: "AzureML Data Scientist" }));
    // Ranked above an app-object secret in the same window with no workspace role.
    const forecast = built.rows.find((row) => row.identityName === "forecast-publisher")!;
    if (forecast.roles.length === 0) expect(fraud[0]!.risk).toBeGreaterThan(forecast.risk);

    // Roles held through a group reach the group's service-principal members, named with the group (seed: the
    // "Automation Identities" group holds roles on three workspaces and has service principals as members).
    const oracle = createTenant({ seed: 1, scale: "default" });
    const automation = [...oracle.groups.values()].find((group) => group.displayName === "Automation Identities")!;
    const groupWorkspaces = [...oracle.roleAssignments.values()].filter((a) => a.principalId === automation.id).map((a) => a.scope.split("/").pop());
    const memberAppIds = new Set(oracle.transitiveMemberIds(automation.id).flatMap((id) => oracle.servicePrincipals.get(id)?.appId ?? []));
    const memberRows = built.rows.filter((row) => memberAppIds.has(row.appId));
    expect(memberRows.length).toBeGreaterThan(0);
    const viaGroup = memberRows.flatMap((row) => row.roles).filter((role) => role.viaGroup === "Automation Identities");
    expect(
      built.rows
        .filter((row) => !memberAppIds.has(row.appId))
        .flatMap((row) => row.roles)
        .filter((role) => role.viaGroup),
    ).toEqual([]);
    expect(new Set(viaGroup.map((role) => role.workspace))).toEqual(new Set(groupWorkspaces));
    expect(viaGroups.graphCalls).toBe(Math.ceil((access.rolesByGroup.size * 2) / 20));

    // A SAML app's token-signing certificate (Sign + Verify + password twin on its service principal) is one SAML
    // signing certificate row, expiring within 30 days, with its own advice; a flexible federated credential is read.
    const saml = built.identities.find((identity) => identity.displayName === "expense-portal-saml")!;
    expect(saml.rows.map((row) => [row.objectType, row.kind, row.bucket])).toEqual([["servicePrincipal", "samlSigning", "within2"]]);
    expect(saml.recommendation).toMatch(/single sign-on breaks/);
    const flexible = built.identities.find((identity) => identity.displayName === "release-publisher")!;
    expect(flexible.federatedCredentials).toEqual([{ name: "github-release-tags", issuer: "https://token.actions.githubusercontent.com", subject: null }]);
    expect(flexible.rows).toEqual([expect.objectContaining({ kind: "federated", bucket: "secretless" })]);

    // A user-assigned managed identity's federated credential comes from its ARM resource, one call per such identity.
    const inference = built.identities.find((identity) => identity.displayName === "uami-ml-inference-prod")!;
    expect(inference.federatedCredentials).toEqual([
      expect.objectContaining({ name: "aks-scoring-workload", subject: "system:serviceaccount:ml-serving:scoring-api" }),
    ]);
    expect(inference.recommendation).toMatch(/trusts federated credentials/);
    expect(miFederation.armCalls).toBe(directory.servicePrincipals.filter((sp) => sp.userAssignedIdentityId !== null).length);
    expect(miFederation.armCalls).toBeGreaterThan(1);

    // Never a secret value.
    expect(JSON.stringify(built)).not.toMatch(/secretText/);

    // Calls: one list page each for applications and service principals (< 999 of each), then $batch of 20.
    expect(directory.graphCalls).toBe(
      2 + Math.ceil((directory.applications.length * 2 + directory.servicePrincipals.filter((sp) => sp.credentials.length > 0).length) / 20),
    );
  });
});
