/**
 * The console's credential path with the real SDKs and no secret: @azure/identity's ManagedIdentityCredential gets
 * the exchange token from the sandbox's identity endpoint (both the App Service / Container Apps form and IMDS), and
 * msal-node presents it as the API app's client assertion for client credentials and on-behalf-of.
 */
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { CONSOLE_API_CLIENT_ID, CONSOLE_MANAGED_IDENTITY_CLIENT_ID, CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID, TOKEN_EXCHANGE_APP_ID } from "../contract";
import { redeemSpaCode, signInSpa, tempDataDir } from "../entra/test-support";
import { type RunningSandbox, startSandbox } from "../server";
import { PERSONAS } from "../tenant/index";

const here = fileURLToPath(new URL(".", import.meta.url));

interface Outcome {
  exchange: { claims: Record<string, unknown>; expiresOnTimestamp: number };
  app: Record<string, unknown>;
  obo: Record<string, unknown>;
  assertions: number;
}

function runScenario(inputPath: string, environment: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "sdk.scenario.ts"), inputPath], {
      cwd: join(here, "..", ".."),
      env: { NODE_ENV: "test", NODE_NO_WARNINGS: "1", NODE_EXTRA_CA_CERTS: sandbox.tls.caPath, ...environment },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`scenario exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line) as Outcome);
    });
  });
}

let sandbox: RunningSandbox;
let inputPath: string;

beforeAll(async () => {
  // The console API app has no secret and no certificate here: only the federated credential can work.
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {}, consoleCredentials: "federated" });
  const admin = PERSONAS.find((persona) => persona.key === "admin")!;
  const userApiToken = (await redeemSpaCode(sandbox, await signInSpa(sandbox, admin.userPrincipalName, admin.password))).json<{ access_token: string }>()
    .access_token;
  inputPath = join(sandbox.dataDir, "identity-input.json");
  await writeFile(
    inputPath,
    JSON.stringify({
      authority: `${sandbox.origin}/${sandbox.tenant.tenantId}`,
      apiClientId: CONSOLE_API_CLIENT_ID,
      managedIdentityClientId: CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
      userApiToken,
    }),
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
});

const HOSTS = {
  "App Service / Container Apps (IDENTITY_ENDPOINT)": () => ({
    IDENTITY_ENDPOINT: sandbox.identity.identityEndpoint,
    IDENTITY_HEADER: sandbox.identity.identityHeader,
  }),
  "IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)": () => ({ AZURE_POD_IDENTITY_AUTHORITY_HOST: sandbox.identity.imdsAuthorityHost }),
};

describe.each(Object.entries(HOSTS))("ManagedIdentityCredential on %s", (_name, environment) => {
  it("gets the exchange token and the API app's app-only and on-behalf-of tokens without a secret", async () => {
    const since = sandbox.journal.lastSeq;
    const outcome = await runScenario(inputPath, environment());
    expect(outcome.exchange.claims).toMatchObject({ aud: TOKEN_EXCHANGE_APP_ID, sub: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID });
    // MSAL turns the answer into a lifetime and back, reading its clock twice in whole seconds: the two reads can
    // straddle a second, so the expiry it reports may be one second before the token's own.
    const reportedEarlyBy = Number(outcome.exchange.claims.exp) * 1000 - outcome.exchange.expiresOnTimestamp;
    expect([0, 1000]).toContain(reportedEarlyBy);
    expect(outcome.app).toMatchObject({ aud: "https://graph.microsoft.com", appid: CONSOLE_API_CLIENT_ID, appidacr: "2", idtyp: "app" });
    expect(outcome.obo).toMatchObject({
      aud: "https://management.azure.com",
      appid: CONSOLE_API_CLIENT_ID,
      appidacr: "2",
      upn: "admin@contosoml.onmicrosoft.com",
    });
    expect(outcome.assertions).toBe(2);
    const calls = sandbox.journal.list({ since });
    const identityCalls = calls.filter((entry) => entry.system === "identity");
    expect(identityCalls.length).toBeGreaterThanOrEqual(1);
    expect(identityCalls.every((entry) => entry.status === 200)).toBe(true);
    const tokenCalls = calls.filter((entry) => entry.system === "entra" && entry.method === "POST");
    expect(tokenCalls.map((entry) => [entry.clientCredential, entry.status])).toEqual([
      ["federated", 200],
      ["federated", 200],
    ]);
  }, 60_000);
});
