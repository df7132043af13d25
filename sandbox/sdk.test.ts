/**
 * The real SDKs against the sandbox: @azure/msal-node, @azure/identity, @azure/arm-authorization and
 * @microsoft/microsoft-graph-client run unmodified in a child process started with NODE_EXTRA_CA_CERTS.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET } from "./contract";
import { postJson, redeemSpaCode, signInSpa, tempDataDir } from "./entra/test-support";
import type { ScenarioInput, ScenarioOutcome } from "./sdk.scenarios";
import { type RunningSandbox, startSandbox } from "./server";
import { PERSONAS, ROLE_IDS, subscriptionArmId } from "./tenant/index";
import { putTestAssignment } from "./tenant/testing/support";
import { certificateThumbprintsHex } from "./tls";

const here = fileURLToPath(new URL(".", import.meta.url));
const graphAvailable = existsSync(join(here, "graph", "index.ts"));
const persona = (key: string) => PERSONAS.find((candidate) => candidate.key === key)!;
/** Extra assignments so a subscription list spans more than one ARM page (1000 rows). */
const EXTRA_ASSIGNMENTS = 1100;

let sandbox: RunningSandbox;
let results: Record<string, ScenarioOutcome>;
let subscriptionId: string;

async function apiToken(key: string): Promise<string> {
  const user = persona(key);
  const signIn = await signInSpa(sandbox, user.userPrincipalName, user.password);
  return (await redeemSpaCode(sandbox, signIn)).json<{ access_token: string }>().access_token;
}

function runScenarios(inputPath: string, caPath: string): Promise<Record<string, ScenarioOutcome>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "sdk.scenarios.ts"), inputPath], {
      cwd: join(here, ".."),
      // Node reads extra CAs only at start-up, hence the child process; a minimal environment keeps it hermetic.
      env: { NODE_ENV: "test", NODE_EXTRA_CA_CERTS: caPath, NODE_NO_WARNINGS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`scenario runner exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line) as Record<string, ScenarioOutcome>);
    });
  });
}

type Claims = Record<string, unknown>;

function value<T>(name: string): T {
  const outcome = results[name];
  if (!outcome) throw new Error(`scenario ${name} did not run`);
  if (!outcome.ok) throw new Error(`scenario ${name} failed: ${JSON.stringify(outcome.error)}`);
  return outcome.value as T;
}

function failure(name: string): Record<string, unknown> {
  const outcome = results[name];
  if (!outcome || outcome.ok) throw new Error(`scenario ${name} was expected to fail: ${JSON.stringify(outcome)}`);
  return outcome.error;
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
  const tenant = sandbox.tenant;
  const production = [...tenant.subscriptions.values()].find((subscription) => subscription.displayName === "Contoso ML Production");
  if (!production) throw new Error("seed has no production subscription");
  subscriptionId = production.subscriptionId;
  const users = [...tenant.users.values()];
  for (let index = 0; index < EXTRA_ASSIGNMENTS; index++) {
    const user = users[index % users.length]!;
    putTestAssignment(tenant, {
      scope: `${subscriptionArmId(subscriptionId)}/resourceGroups/paging-${index}`,
      roleDefinitionName: ROLE_IDS.reader,
      principalId: user.id,
      principalType: "User",
      createdOn: "2026-01-01T00:00:00.0000000Z",
    });
  }

  const steppedUp = persona("security");
  const input: ScenarioInput = {
    origin: sandbox.origin,
    tenantId: tenant.tenantId,
    apiClientId: CONSOLE_API_CLIENT_ID,
    apiClientSecret: CONSOLE_API_CLIENT_SECRET,
    certificatePem: sandbox.tls.clientCertPem,
    privateKeyPem: sandbox.tls.clientKeyPem,
    certificateThumbprintSha256Hex: certificateThumbprintsHex(sandbox.tls.clientCertPem).sha256,
    adminApiToken: await apiToken("admin"),
    limitedAdminApiToken: await apiToken("limited-admin"),
    steppedUpUserApiToken: await apiToken(steppedUp.key),
    subscriptionId,
    readerRoleDefinitionId: ROLE_IDS.reader,
    granteeObjectId: persona("no-role").objectId,
    personaObjectIds: PERSONAS.map((candidate) => candidate.objectId),
    graphAvailable,
  };
  await postJson(sandbox, "/_sandbox/interaction-required", { user: steppedUp.userPrincipalName });
  sandbox.journal.clear();
  const inputPath = join(sandbox.dataDir, "sdk-input.json");
  await writeFile(inputPath, JSON.stringify(input));
  results = await runScenarios(inputPath, sandbox.tls.caPath);
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
});

describe("@azure/msal-node", () => {
  it("client credentials with a secret", () => {
    const { claims, tokenType, hasExpiry } = value<{ claims: Claims; tokenType: string; hasExpiry: boolean }>("msal-client-credentials-secret");
    expect(tokenType).toBe("Bearer");
    expect(hasExpiry).toBe(true);
    expect(claims).toMatchObject({ aud: "https://graph.microsoft.com", appid: CONSOLE_API_CLIENT_ID, idtyp: "app", appidacr: "1" });
    expect(claims.roles).toContain("Directory.Read.All");
  });

  it("client credentials with a certificate assertion (PS256, x5t#S256)", () => {
    const { claims } = value<{ claims: Claims }>("msal-client-credentials-certificate");
    expect(claims).toMatchObject({ aud: "https://management.azure.com", appid: CONSOLE_API_CLIENT_ID, appidacr: "2" });
  });

  it("on-behalf-of, cached per user assertion", () => {
    const { claims, secondFromCache, sameToken } = value<{ claims: Claims; secondFromCache: boolean; sameToken: boolean }>("msal-on-behalf-of");
    expect(claims).toMatchObject({
      aud: "https://management.azure.com",
      oid: persona("admin").objectId,
      appid: CONSOLE_API_CLIENT_ID,
      scp: "user_impersonation",
    });
    expect(secondFromCache).toBe(true);
    expect(sameToken).toBe(true);
  });

  it("surfaces interaction_required with claims as InteractionRequiredAuthError", () => {
    const error = failure("msal-on-behalf-of-interaction-required");
    expect(error.name).toBe("InteractionRequiredAuthError");
    expect(error.errorCode).toBe("interaction_required");
    expect(String(error.claims)).toContain("capolids");
  });

  it("talks to the sandbox without instance discovery against login.microsoftonline.com", () => {
    const entraCalls = sandbox.journal.list({ system: "entra" });
    expect(entraCalls.length).toBeGreaterThan(0);
    expect(entraCalls.every((entry) => entry.status !== 0)).toBe(true);
  });
});

describe("@azure/identity", () => {
  it("ClientSecretCredential", () => {
    const { claims, expiresOnTimestamp } = value<{ claims: Claims; expiresOnTimestamp: number }>("identity-client-secret");
    expect(claims).toMatchObject({ aud: "https://management.azure.com", appid: CONSOLE_API_CLIENT_ID });
    expect(expiresOnTimestamp).toBeGreaterThan(Date.now());
  });

  it("ClientCertificateCredential", () => {
    const { claims } = value<{ claims: Claims }>("identity-client-certificate");
    expect(claims).toMatchObject({ aud: "https://graph.microsoft.com", appid: CONSOLE_API_CLIENT_ID, appidacr: "2" });
  });
});

describe("@azure/arm-resourcegraph", () => {
  it("pages a Resource Graph query by $skipToken until every workspace is read once, and surfaces InvalidQuery", () => {
    const { ids, pages, refused } = value<{
      ids: string[];
      pages: { count: number; totalRecords: number; resultTruncated: string }[];
      refused: { statusCode: number; code: string };
    }>("resource-graph-paged");
    const expected = [...sandbox.tenant.workspaces.values()].filter((w) => w.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()).length;
    expect(new Set(ids).size).toBe(expected);
    expect(ids).toHaveLength(expected);
    expect(pages).toHaveLength(Math.ceil(expected / 2));
    expect(pages.every((page) => page.totalRecords === expected && page.resultTruncated === "false")).toBe(true);
    expect(refused).toMatchObject({ statusCode: 400, code: "BadRequest" });
  });
});

describe("@azure/arm-authorization", () => {
  it("lists role assignments across pages", () => {
    const { count, pages } = value<{ count: number; pages: number }>("arm-list-paged");
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(count).toBeGreaterThan(EXTRA_ASSIGNMENTS);
    const pageCalls = sandbox.journal.list({
      system: "arm",
      method: "GET",
      pathContains: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleAssignments`,
    });
    expect(pageCalls.some((entry) => entry.query.includes("skipToken"))).toBe(true);
  });

  it("lists at a scope with $filter=atScope()", () => {
    const { count } = value<{ count: number }>("arm-list-for-scope-filter");
    expect(count).toBeGreaterThan(0);
  });

  it("creates (201, and 201 again for a re-PUT), refuses a duplicate with 409, gets and deletes (200, then 204)", () => {
    const outcome = value<{
      created: { name: string; principalId: string; scope: string };
      againName: string;
      conflict: Claims | undefined;
      fetchedName: string;
      deletedName: string;
    }>("arm-create-update-conflict-delete");
    expect(outcome.created).toMatchObject({
      name: "5d0b6a39-3f0c-4a51-9b8f-000000000001",
      principalId: persona("no-role").objectId,
      scope: `/subscriptions/${subscriptionId}`,
    });
    expect(outcome.againName).toBe(outcome.created.name);
    expect(outcome.conflict).toMatchObject({ statusCode: 409, code: "RoleAssignmentExists" });
    expect(outcome.fetchedName).toBe(outcome.created.name);
    expect(outcome.deletedName).toBe(outcome.created.name);
    const writes = sandbox.journal.list({ system: "arm", pathContains: "5d0b6a39-3f0c-4a51-9b8f-000000000001" });
    expect(writes.map((entry) => `${entry.method} ${entry.status}`)).toEqual(["PUT 201", "PUT 201", "GET 200", "DELETE 200", "DELETE 204"]);
  });

  it("answers the limited admin's grant with 403 AuthorizationFailed", () => {
    expect(failure("arm-limited-admin-forbidden")).toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
  });
});

describe.skipIf(!graphAvailable)("@microsoft/microsoft-graph-client", () => {
  it("follows @odata.nextLink pages", () => {
    const { users, firstNextLink } = value<{ users: number; firstNextLink: string | null }>("graph-paging");
    expect(users).toBeGreaterThanOrEqual(200);
    expect(String(firstNextLink).startsWith(`${sandbox.origin}/v1.0/users`)).toBe(true);
  });

  it("resolves directoryObjects/getByIds", () => {
    const { ids } = value<{ ids: string[] }>("graph-get-by-ids");
    expect([...ids].sort()).toEqual(PERSONAS.map((candidate) => candidate.objectId).sort());
  });

  it("runs a $batch with per-request statuses (and 400 for a version-prefixed URL, as Graph does)", () => {
    expect(value<{ first: number; second: number; versioned: number }>("graph-batch")).toEqual({ first: 200, second: 404, versioned: 400 });
  });

  it("raises GraphError for a missing user", () => {
    expect(failure("graph-not-found")).toMatchObject({ statusCode: 404, code: "Request_ResourceNotFound" });
  });
});
