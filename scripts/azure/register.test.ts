/**
 * `npm run azure:register` against the sandbox's Microsoft Graph (which enforces Graph's order of operations):
 * the first run creates and configures both registrations; the second changes nothing — no write call reaches Graph;
 * a drifted setting is put back with one write.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CONSOLE_MANAGED_IDENTITY_CLIENT_ID, CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID, TOKEN_EXCHANGE_AUDIENCE } from "@/sandbox/contract";
import { tempDataDir } from "@/sandbox/entra/test-support";
import { v2Issuer } from "@/sandbox/entra/tokens";
import { type RunningSandbox, startSandbox } from "@/sandbox/server";
import { writeTenantFile } from "@/sandbox/tenant-file";
import {
  ARM_SERVICE_PRINCIPAL_ID,
  ARM_USER_IMPERSONATION_SCOPE_ID,
  GRAPH_APP_ROLE_IDS,
  GRAPH_SCOPE_IDS,
  GRAPH_SERVICE_PRINCIPAL_ID,
} from "@/sandbox/tenant/first-party";
import { type ApplicationRecord, newApplication } from "@/sandbox/tenant/model";
import { childEnv } from "@/test/support/test-env";
import { AZURE_RESOURCE_MANAGER_APP_ID, FEDERATED_CREDENTIAL_NAME, GRAPH_APPLICATION, GRAPH_DELEGATED, MICROSOFT_GRAPH_APP_ID } from "./register";

const ORIGIN = "https://gatehouse.contoso.com";
let sandbox: RunningSandbox;
let tenantFile: string;

/** Runs the CLI as an operator would (asynchronously: the sandbox answering it lives in this process). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // As `npm run azure:register` starts it: lib/graph/pages.ts is server-only.
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/azure-register.ts", ...args], {
      env: childEnv({ NODE_NO_WARNINGS: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function register(...extra: string[]) {
  return cli(["--sandbox", tenantFile, "--public-origin", ORIGIN, "--name", "Gatehouse Test", ...extra]);
}

function graphCallsSince(seq: number) {
  return sandbox.journal.list({ since: seq, system: "graph" });
}

function byTag(tag: string): ApplicationRecord {
  const found = [...sandbox.tenant.applications.values()].filter((app) => app.tags.includes(tag));
  expect(found).toHaveLength(1);
  return found[0]!;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  tenantFile = await writeTenantFile(sandbox);
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

describe("npm run azure:register", () => {
  it("creates both registrations as Gatehouse needs them and prints the consent still missing and the settings", async () => {
    const since = sandbox.journal.lastSeq;
    const run = await register();
    expect(run.status, run.stderr).toBe(0);
    const writes = graphCallsSince(since).filter((call) => call.method !== "GET");
    expect(writes.length).toBeGreaterThanOrEqual(7);
    expect(writes.every((call) => call.status >= 200 && call.status < 300)).toBe(true);

    const api = byTag("gatehouse:api:gatehouse-test");
    const spa = byTag("gatehouse:spa:gatehouse-test");
    expect(api.displayName).toBe("Gatehouse Test API");
    expect(api.identifierUris).toEqual([`api://${api.appId}`]);
    expect(api.requestedAccessTokenVersion).toBe(2);
    const scope = api.oauth2PermissionScopes.find((candidate) => candidate.value === "access_as_user");
    expect(scope).toMatchObject({ isEnabled: true, type: "User" });
    expect(api.appRoles.map((role) => [role.value, role.allowedMemberTypes, role.isEnabled])).toEqual([
      ["Console.Admin", ["User"], true],
      ["Console.Requester", ["User"], true],
      ["Console.SecurityReader", ["User"], true],
    ]);
    expect(api.preAuthorizedApplications).toEqual([{ appId: spa.appId, delegatedPermissionIds: [scope!.id] }]);
    expect(api.requiredResourceAccess).toEqual([
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccess: [
          ...GRAPH_DELEGATED.map((value) => ({ id: GRAPH_SCOPE_IDS[value], type: "Scope" })),
          ...GRAPH_APPLICATION.map((value) => ({ id: GRAPH_APP_ROLE_IDS[value], type: "Role" })),
        ],
      },
      { resourceAppId: AZURE_RESOURCE_MANAGER_APP_ID, resourceAccess: [{ id: ARM_USER_IMPERSONATION_SCOPE_ID, type: "Scope" }] },
    ]);
    expect(api.federatedIdentityCredentials).toEqual([
      expect.objectContaining({
        name: FEDERATED_CREDENTIAL_NAME,
        issuer: v2Issuer(sandbox.origin, sandbox.tenant.tenantId),
        subject: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
        audiences: [TOKEN_EXCHANGE_AUDIENCE],
      }),
    ]);
    expect(spa.spaRedirectUris).toEqual([`${ORIGIN}/auth/redirect`, `${ORIGIN}/`]);
    expect(spa.requiredResourceAccess).toEqual([{ resourceAppId: api.appId, resourceAccess: [{ id: scope!.id, type: "Scope" }] }]);
    expect(sandbox.tenant.getServicePrincipalByAppId(api.appId)?.appRoleAssignmentRequired).toBe(true);
    expect(sandbox.tenant.getServicePrincipalByAppId(spa.appId)).toBeDefined();

    expect(run.stdout).toContain(`created app registration "Gatehouse Test API" (${api.appId})`);
    expect(run.stdout).toContain("An administrator must still grant admin consent for:");
    expect(run.stdout).toContain(`Gatehouse Test API → Microsoft Graph (application): ${GRAPH_APPLICATION.join(", ")}`);
    expect(run.stdout).toContain("Gatehouse Test API → Azure Service Management (delegated): user_impersonation");
    expect(run.stdout).toContain(`az ad app permission admin-consent --id ${api.appId}`);
    for (const line of [
      "GATEHOUSE_MODE=azure",
      `GATEHOUSE_PUBLIC_ORIGIN=${ORIGIN}`,
      `AZURE_TENANT_ID=${sandbox.tenant.tenantId}`,
      `GATEHOUSE_SPA_CLIENT_ID=${spa.appId}`,
      `GATEHOUSE_API_CLIENT_ID=${api.appId}`,
      "GATEHOUSE_CREDENTIAL=managed-identity",
      `AZURE_MANAGED_IDENTITY_CLIENT_ID=${CONSOLE_MANAGED_IDENTITY_CLIENT_ID}`,
      "GATEHOUSE_SESSION_KEY=<32 random bytes in base64: openssl rand -base64 32>",
    ]) {
      expect(run.stdout).toContain(`\n${line}`);
    }
  }, 90_000);

  it("a second run changes nothing: Graph sees reads only", async () => {
    const since = sandbox.journal.lastSeq;
    const run = await register();
    expect(run.status, run.stderr).toBe(0);
    const calls = graphCallsSince(since);
    expect(calls.length).toBeGreaterThan(5);
    expect(calls.filter((call) => call.method !== "GET").map((call) => `${call.method} ${call.path}`)).toEqual([]);
    expect(run.stdout).toMatch(/^No changes: /);
    expect([...sandbox.tenant.applications.values()].filter((app) => app.tags.some((tag) => tag.endsWith(":gatehouse-test")))).toHaveLength(2);
  }, 90_000);

  it("puts back what drifted, with only the writes it needs", async () => {
    const spa = byTag("gatehouse:spa:gatehouse-test");
    spa.spaRedirectUris = ["https://elsewhere.contoso.com/"];
    const since = sandbox.journal.lastSeq;
    const run = await register();
    expect(run.status, run.stderr).toBe(0);
    expect(
      graphCallsSince(since)
        .filter((call) => call.method !== "GET")
        .map((call) => `${call.method} ${call.path}`),
    ).toEqual([`PATCH /v1.0/applications/${spa.id}`]);
    // An administrator's own redirect URI stays; Gatehouse's is added back.
    expect(spa.spaRedirectUris).toEqual(["https://elsewhere.contoso.com/", `${ORIGIN}/auth/redirect`, `${ORIGIN}/`]);
    expect(run.stdout).toContain(`updated "Gatehouse Test": spa`);
  }, 90_000);

  it("stops listing consent once an administrator has granted it", async () => {
    const api = byTag("gatehouse:api:gatehouse-test");
    const apiSp = sandbox.tenant.getServicePrincipalByAppId(api.appId)!;
    sandbox.tenant.addOAuth2PermissionGrant({
      id: randomUUID(),
      clientId: apiSp.id,
      resourceId: GRAPH_SERVICE_PRINCIPAL_ID,
      scopes: GRAPH_DELEGATED.slice(0, 2),
    });
    const partly = await register();
    expect(partly.stdout).toContain(`Gatehouse Test API → Microsoft Graph (delegated): ${GRAPH_DELEGATED.slice(2).join(", ")}`);

    sandbox.tenant.addOAuth2PermissionGrant({ id: randomUUID(), clientId: apiSp.id, resourceId: GRAPH_SERVICE_PRINCIPAL_ID, scopes: GRAPH_DELEGATED.slice(2) });
    sandbox.tenant.addOAuth2PermissionGrant({ id: randomUUID(), clientId: apiSp.id, resourceId: ARM_SERVICE_PRINCIPAL_ID, scopes: ["user_impersonation"] });
    for (const value of GRAPH_APPLICATION) {
      sandbox.tenant.addAppRoleAssignment({
        id: randomUUID(),
        principalId: apiSp.id,
        principalType: "ServicePrincipal",
        resourceId: GRAPH_SERVICE_PRINCIPAL_ID,
        appRoleId: GRAPH_APP_ROLE_IDS[value]!,
        createdDateTime: "2026-01-01T00:00:00Z",
      });
    }
    const granted = await register();
    expect(granted.status, granted.stderr).toBe(0);
    expect(granted.stdout).toContain("Admin consent: everything Gatehouse needs has been granted.");
    expect(granted.stdout).not.toContain("must still grant admin consent");
  }, 90_000);

  it("reads every page of every list: one item a page still finds the grants, assignments and a second tagged registration", async () => {
    sandbox.settings.graphDefaultPageSize = 1;
    try {
      const since = sandbox.journal.lastSeq;
      const paged = await register();
      expect(paged.status, paged.stderr).toBe(0);
      expect(paged.stdout).toMatch(/^No changes: /);
      expect(paged.stdout).toContain("Admin consent: everything Gatehouse needs has been granted.");
      const reads = graphCallsSince(since).filter((call) => call.method === "GET");
      const pagesOf = (path: string) => reads.filter((call) => call.path.endsWith(path)).length;
      // Two Graph grants and one ARM grant; five application permissions; one federated credential (one page, no next).
      expect(pagesOf("/oauth2PermissionGrants")).toBe(3);
      expect(pagesOf("/appRoleAssignments")).toBe(GRAPH_APPLICATION.length);
      expect(pagesOf("/federatedIdentityCredentials")).toBe(1);

      const api = byTag("gatehouse:api:gatehouse-test");
      sandbox.tenant.addApplication(
        newApplication({
          id: randomUUID(),
          appId: randomUUID(),
          displayName: "Copy of Gatehouse Test API",
          createdDateTime: "2026-01-01T00:00:00Z",
          tags: [...api.tags],
        }),
      );
      const duplicated = await register();
      expect(duplicated.status).toBe(1);
      expect(duplicated.stderr).toContain("Several app registrations carry the tag 'gatehouse:api:gatehouse-test'");
      expect(duplicated.stderr).toContain(api.appId);
    } finally {
      sandbox.settings.graphDefaultPageSize = 100;
    }
  }, 90_000);

  it("says in one sentence what is wrong with its input or the sign-in", async () => {
    const noOrigin = await cli(["--sandbox", tenantFile]);
    expect(noOrigin.status).toBe(1);
    expect(noOrigin.stderr.trim()).toBe("azure:register: --public-origin is required (the https origin people use to reach Gatehouse).");
    const insecure = await register("--public-origin", "http://gatehouse.contoso.com");
    expect(insecure.status).toBe(1);
    expect(insecure.stderr).toContain("--public-origin must use https://");
    const badTenant = await cli(["--tenant", "contoso", "--public-origin", ORIGIN]);
    expect(badTenant.stderr.trim()).toBe("azure:register: --tenant <tenant id> is required (a GUID: Entra admin center → Overview).");
    const noLogin = await cli(["--tenant", "11111111-2222-4333-8444-555555555555", "--public-origin", ORIGIN, "--auth", "password"]);
    expect(noLogin.stderr.trim()).toBe("azure:register: --auth must be azure-cli or device-code, not password.");
  }, 90_000);
});
