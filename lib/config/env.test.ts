import { readFileSync } from "node:fs";

import { afterEach, describe, expect, it, vi } from "vitest";

import * as sandboxContract from "@/sandbox/contract";
import { AUDIT_STREAM_NAME, ConfigError, isLoopbackUrl, parseConfig, SANDBOX_DEFAULTS, serverNodeOptions } from "./env.mjs";

const AZURE = {
  GATEHOUSE_MODE: "azure",
  AZURE_TENANT_ID: "11111111-2222-4333-8444-555555555555",
  GATEHOUSE_SPA_CLIENT_ID: "aaaaaaaa-2222-4333-8444-555555555555",
  GATEHOUSE_API_CLIENT_ID: "bbbbbbbb-2222-4333-8444-555555555555",
  GATEHOUSE_PUBLIC_ORIGIN: "https://gatehouse.contoso.com",
  GATEHOUSE_ALLOWED_TENANTS: "11111111-2222-4333-8444-555555555555",
  GATEHOUSE_CREDENTIAL: "managed-identity",
  AZURE_MANAGED_IDENTITY_CLIENT_ID: "cccccccc-2222-4333-8444-555555555555",
  GATEHOUSE_SESSION_KEY: Buffer.alloc(32, 7).toString("base64"),
};

function problemsOf(env: Record<string, string | undefined>, phase?: "build" | "runtime"): string[] {
  try {
    parseConfig(env, { phase });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("sandbox mode", () => {
  it("needs no settings and points at the local sandbox tenant and PGlite", () => {
    const config = parseConfig({});
    expect(config.mode).toBe("sandbox");
    expect(config.identity.authority).toBe(`https://localhost:8443/${SANDBOX_DEFAULTS.tenantId}`);
    expect(config.identity.apiScope).toBe(`api://${SANDBOX_DEFAULTS.apiClientId}/access_as_user`);
    expect(config.upstream.graphBaseUrl).toBe("https://localhost:8443");
    expect(config.database.kind).toBe("pglite");
    expect(config.publicOrigin).toBe("http://localhost:3000");
    expect(config.serverActionsAllowedOrigins).toEqual(["localhost:3000"]);
  });

  it("uses the same fixed tenant and client ids as the sandbox tenant itself", () => {
    expect(SANDBOX_DEFAULTS.tenantId).toBe(sandboxContract.SANDBOX_TENANT_ID);
    expect(SANDBOX_DEFAULTS.spaClientId).toBe(sandboxContract.CONSOLE_SPA_CLIENT_ID);
    expect(SANDBOX_DEFAULTS.apiClientId).toBe(sandboxContract.CONSOLE_API_CLIENT_ID);
    expect(SANDBOX_DEFAULTS.clientSecret).toBe(sandboxContract.CONSOLE_API_CLIENT_SECRET);
    expect(SANDBOX_DEFAULTS.managedIdentityClientId).toBe(sandboxContract.CONSOLE_MANAGED_IDENTITY_CLIENT_ID);
    expect(SANDBOX_DEFAULTS.auditDcrImmutableId).toBe(sandboxContract.SANDBOX_AUDIT_DCR_IMMUTABLE_ID);
    expect(AUDIT_STREAM_NAME).toBe(sandboxContract.SANDBOX_AUDIT_STREAM);
  });

  it("encrypts sessions with a key generated beside the PGlite data; they last 60 minutes idle and 12 hours at most", () => {
    expect(parseConfig({ GATEHOUSE_DATA_DIR: "/var/gatehouse" }).sessions).toEqual({
      key: null,
      keyPath: "/var/gatehouse/session-key",
      idleMs: 60 * 60_000,
      absoluteMs: 12 * 3_600_000,
    });
    const key = Buffer.alloc(32, 9);
    expect(
      parseConfig({ GATEHOUSE_SESSION_KEY: key.toString("base64"), GATEHOUSE_SESSION_IDLE_MINUTES: "15", GATEHOUSE_SESSION_ABSOLUTE_HOURS: "8" }).sessions,
    ).toEqual({
      key,
      keyPath: null,
      idleMs: 15 * 60_000,
      absoluteMs: 8 * 3_600_000,
    });
  });

  it("refuses a session key that is not 32 bytes of base64, and an idle time longer than the absolute one", () => {
    for (const value of [Buffer.alloc(16).toString("base64"), Buffer.alloc(48).toString("base64"), "not base64 at all but long enough to be 44 c"]) {
      expect(problemsOf({ GATEHOUSE_SESSION_KEY: value }), value).toEqual([expect.stringMatching(/^GATEHOUSE_SESSION_KEY: must be 32 random bytes in base64/)]);
    }
    expect(problemsOf({ GATEHOUSE_SESSION_IDLE_MINUTES: "180", GATEHOUSE_SESSION_ABSOLUTE_HOURS: "2" })).toEqual([
      "GATEHOUSE_SESSION_IDLE_MINUTES: must not be longer than GATEHOUSE_SESSION_ABSOLUTE_HOURS.",
    ]);
  });

  it("ships the audit trail to the sandbox's ingestion endpoint, signing checkpoints with a key beside the PGlite data", () => {
    const { audit } = parseConfig({ GATEHOUSE_DATA_DIR: "/var/gatehouse" });
    expect(audit).toEqual({
      sink: { endpoint: SANDBOX_DEFAULTS.origin, dcrImmutableId: SANDBOX_DEFAULTS.auditDcrImmutableId, streamName: "Custom-GatehouseAudit_CL" },
      checkpointKeyPath: "/var/gatehouse/audit-checkpoint-key.pem",
      checkpointPublicKeyPath: null,
      checkpointEveryEvents: 100,
      checkpointIntervalMs: 300_000,
      shipIntervalMs: 30_000,
    });
    expect(problemsOf({ GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: "dcr-00000000000000000000000000000000" })).toEqual([
      expect.stringContaining("GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: not used in sandbox mode"),
    ]);
  });

  it("uses the sandbox's secret unless GATEHOUSE_CREDENTIAL chooses the managed identity, which needs the local identity endpoint", () => {
    expect(parseConfig({}).identity.credential).toEqual({ kind: "secret", secret: SANDBOX_DEFAULTS.clientSecret });
    const endpoint = { IDENTITY_ENDPOINT: "http://127.0.0.1:41234/msi/token", IDENTITY_HEADER: "h" };
    expect(parseConfig({ GATEHOUSE_CREDENTIAL: "managed-identity", ...endpoint }).identity.credential).toEqual({
      kind: "managed-identity",
      clientId: SANDBOX_DEFAULTS.managedIdentityClientId,
    });
    expect(
      parseConfig({ GATEHOUSE_CREDENTIAL: "managed-identity", AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://127.0.0.1:41234" }).identity.credential.kind,
    ).toBe("managed-identity");
    expect(problemsOf({ GATEHOUSE_CREDENTIAL: "managed-identity" })).toEqual([
      expect.stringContaining("GATEHOUSE_CREDENTIAL: managed-identity in sandbox mode needs the sandbox's identity endpoint"),
    ]);
    expect(problemsOf({ GATEHOUSE_CREDENTIAL: "managed-identity", IDENTITY_ENDPOINT: "http://169.254.169.254/msi/token", IDENTITY_HEADER: "h" })).toEqual([
      expect.stringContaining("is not a loopback address"),
    ]);
    expect(problemsOf({ GATEHOUSE_CREDENTIAL: "managed-identity", IDENTITY_ENDPOINT: "http://127.0.0.1:1/msi/token" })).toEqual([
      expect.stringContaining("IDENTITY_HEADER: required with IDENTITY_ENDPOINT"),
    ]);
  });

  it("is refused in production unless a demo explicitly allows it", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([expect.stringContaining("GATEHOUSE_MODE: sandbox mode is refused")]);
    expect(problemsOf({ NODE_ENV: "production", GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION: "true" })).toEqual([]);
    // One build serves every mode, so building for production is not refused.
    expect(problemsOf({ NODE_ENV: "production" }, "build")).toEqual([]);
  });

  it("takes a sandbox at any loopback spelling, but not a remote name that merely starts with 127 or localhost", () => {
    for (const url of ["https://127.0.0.1:8443", "https://[::1]:8443", "https://localhost.:8443", "https://tenant.localhost:8443"]) {
      expect(problemsOf({ GATEHOUSE_SANDBOX_URL: url }), url).toEqual([]);
    }
    for (const url of ["https://127.evil.example", "https://127.0.0.1.nip.io", "https://localhost.evil.example", "https://[::ffff:10.0.0.1]"]) {
      expect(problemsOf({ GATEHOUSE_SANDBOX_URL: url }), url).toEqual([expect.stringContaining("is not a loopback address")]);
      expect(isLoopbackUrl(url), url).toBe(false);
    }
  });

  it("refuses a sandbox that is not on this machine, and Azure endpoint settings", () => {
    expect(problemsOf({ GATEHOUSE_SANDBOX_URL: "https://sandbox.example.com" })).toEqual([
      expect.stringContaining("GATEHOUSE_SANDBOX_URL: https://sandbox.example.com is not a loopback address"),
    ]);
    expect(problemsOf({ GRAPH_BASE_URL: "https://graph.microsoft.com" })).toEqual([expect.stringContaining("GRAPH_BASE_URL: not used in sandbox mode")]);
  });

  it("switches to a PostgreSQL server with DATABASE_URL", () => {
    const config = parseConfig({ DATABASE_URL: "postgres://gatehouse@db.internal:5432/gatehouse", DATABASE_POOL_SIZE: "5" });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://gatehouse@db.internal:5432/gatehouse", poolSize: 5, statementTimeoutSeconds: 30 });
  });

  it("bounds every statement on PostgreSQL (DATABASE_STATEMENT_TIMEOUT_SECONDS, default 30), a setting PGlite refuses", () => {
    const url = "postgres://gatehouse@db.internal:5432/gatehouse";
    expect(parseConfig({ DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_SECONDS: "5" }).database).toMatchObject({ statementTimeoutSeconds: 5 });
    expect(problemsOf({ DATABASE_URL: url, DATABASE_STATEMENT_TIMEOUT_SECONDS: "0" })).toEqual([
      expect.stringContaining("DATABASE_STATEMENT_TIMEOUT_SECONDS: must be at least 1"),
    ]);
    expect(problemsOf({ DATABASE_STATEMENT_TIMEOUT_SECONDS: "5" })).toEqual([
      expect.stringContaining("DATABASE_STATEMENT_TIMEOUT_SECONDS: only used with DATABASE_URL"),
    ]);
  });
});

describe("DATABASE_AUTH=entra", () => {
  const url = "postgres://id-gatehouse@gatehouse.postgres.database.azure.com:5432/gatehouse?sslmode=verify-full";

  it("signs in with the managed identity's token for Azure Database for PostgreSQL", () => {
    expect(parseConfig({ ...AZURE, DATABASE_URL: url, DATABASE_AUTH: "entra" }).database).toEqual({
      kind: "postgres",
      url,
      poolSize: 10,
      statementTimeoutSeconds: 30,
      entra: { managedIdentityClientId: AZURE.AZURE_MANAGED_IDENTITY_CLIENT_ID, scope: "https://ossrdbms-aad.database.windows.net/.default" },
    });
    const sovereign = parseConfig({
      ...AZURE,
      DATABASE_URL: url,
      DATABASE_AUTH: "entra",
      DATABASE_ENTRA_SCOPE: "https://ossrdbms-aad.database.usgovcloudapi.net/.default",
    });
    expect(sovereign.database).toMatchObject({ entra: { scope: "https://ossrdbms-aad.database.usgovcloudapi.net/.default" } });
    // The scope follows the cloud unless set.
    const china = parseConfig({ ...AZURE, AZURE_CLOUD: "china", DATABASE_URL: url, DATABASE_AUTH: "entra" });
    expect(china.database).toMatchObject({ entra: { scope: "https://ossrdbms-aad.database.chinacloudapi.cn/.default" } });
  });

  it("needs a server, a managed identity and no password in the URL", () => {
    const { AZURE_MANAGED_IDENTITY_CLIENT_ID: _omitted, ...withoutIdentity } = AZURE;
    expect(problemsOf({ ...AZURE, DATABASE_AUTH: "entra" })).toEqual([expect.stringContaining("DATABASE_AUTH: entra needs DATABASE_URL")]);
    expect(problemsOf({ ...withoutIdentity, GATEHOUSE_CREDENTIAL: "secret", AZURE_CLIENT_SECRET: "s", DATABASE_URL: url, DATABASE_AUTH: "entra" })).toEqual([
      expect.stringContaining("AZURE_MANAGED_IDENTITY_CLIENT_ID: required with DATABASE_AUTH=entra"),
    ]);
    expect(problemsOf({ ...AZURE, DATABASE_URL: "postgres://u:secret@db:5432/g", DATABASE_AUTH: "entra" })).toEqual([
      expect.stringContaining("DATABASE_URL: holds a password"),
    ]);
    expect(problemsOf({ ...AZURE, DATABASE_AUTH: "kerberos" })).toEqual([expect.stringContaining("DATABASE_AUTH: must be password or entra")]);
    expect(problemsOf({ ...AZURE, DATABASE_ENTRA_SCOPE: "https://ossrdbms-aad.database.windows.net/.default" })).toEqual([
      expect.stringContaining("DATABASE_ENTRA_SCOPE: only used with DATABASE_AUTH=entra"),
    ]);
  });
});

describe("role-assignment limit", () => {
  it("follows the cloud (4,000 public, 2,000 in Azure Government and China) unless set", () => {
    expect(parseConfig({}).roleAssignments.limitPerSubscription).toBe(4000);
    expect(parseConfig({ ...AZURE, AZURE_CLOUD: "usgov" }).roleAssignments.limitPerSubscription).toBe(2000);
    expect(parseConfig({ ...AZURE, AZURE_CLOUD: "china" }).roleAssignments.limitPerSubscription).toBe(2000);
    expect(parseConfig({ AZURE_CLOUD: "usgov" }).roleAssignments.limitPerSubscription).toBe(2000);
    expect(parseConfig({ ...AZURE, AZURE_CLOUD: "usgov", GATEHOUSE_ROLE_ASSIGNMENT_LIMIT: "3000" }).roleAssignments.limitPerSubscription).toBe(3000);
  });

  it("takes 30 minutes as the replication window unless set", () => {
    expect(parseConfig({}).roleAssignments.replicationWindowMs).toBe(30 * 60_000);
    expect(parseConfig({ ...AZURE, GATEHOUSE_REPLICATION_WINDOW_MINUTES: "90" }).roleAssignments.replicationWindowMs).toBe(90 * 60_000);
    for (const value of ["0", "1441", "ten"]) {
      expect(problemsOf({ GATEHOUSE_REPLICATION_WINDOW_MINUTES: value }).map((problem) => problem.split(":")[0])).toEqual([
        "GATEHOUSE_REPLICATION_WINDOW_MINUTES",
      ]);
    }
  });

  it("refuses something that is not a positive whole number", () => {
    for (const value of ["0", "-5", "4k", "1.5"]) {
      expect(problemsOf({ GATEHOUSE_ROLE_ASSIGNMENT_LIMIT: value }).map((problem) => problem.split(":")[0])).toEqual(["GATEHOUSE_ROLE_ASSIGNMENT_LIMIT"]);
    }
  });
});

describe("step-up", () => {
  it("requires c1 in the sandbox, nothing in azure mode unless set, and 5 removals at once as bulk", () => {
    expect(parseConfig({}).stepUp).toEqual({ authContext: "c1", bulkRemovalMin: 5 });
    expect(parseConfig(AZURE).stepUp).toEqual({ authContext: null, bulkRemovalMin: 5 });
    expect(parseConfig({ ...AZURE, GATEHOUSE_STEP_UP_AUTH_CONTEXT: "c42", GATEHOUSE_STEP_UP_BULK_REMOVAL_MIN: "10" }).stepUp).toEqual({
      authContext: "c42",
      bulkRemovalMin: 10,
    });
  });

  it("refuses an id Entra cannot have (c1..c99) and a threshold below 2", () => {
    for (const value of ["c0", "c100", "C1", "p1", "c01", "c1,c2"]) {
      expect(problemsOf({ GATEHOUSE_STEP_UP_AUTH_CONTEXT: value }).map((problem) => problem.split(":")[0])).toEqual(["GATEHOUSE_STEP_UP_AUTH_CONTEXT"]);
    }
    for (const value of ["1", "0", "five"]) {
      expect(problemsOf({ GATEHOUSE_STEP_UP_BULK_REMOVAL_MIN: value }).map((problem) => problem.split(":")[0])).toEqual(["GATEHOUSE_STEP_UP_BULK_REMOVAL_MIN"]);
    }
  });
});

describe(".env.example", () => {
  const documented = Object.fromEntries(
    readFileSync(".env.example", "utf8")
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );

  it("runs unchanged against the sandbox", () => {
    expect(parseConfig(documented).mode).toBe("sandbox");
  });

  it("documents every setting the config module reads", () => {
    const source = readFileSync("lib/config/env.mjs", "utf8");
    const read = [...source.matchAll(/^\s{2}([A-Z][A-Z_]+): /gm)].map((match) => match[1]).filter((name) => name !== "NODE_ENV");
    expect(read.length).toBeGreaterThan(10);
    expect(Object.keys(documented).sort()).toEqual([...read].sort());
  });
});

describe("azure mode", () => {
  it("ships the audit trail only with both ingestion settings and a checkpoint key", () => {
    expect(parseConfig(AZURE).audit.sink).toBeNull();
    const endpoint = "https://gatehouse-dce-abcd.westeurope-1.ingest.monitor.azure.com";
    const dcr = "dcr-00112233445566778899aabbccddeeff";
    expect(problemsOf({ ...AZURE, GATEHOUSE_AUDIT_INGESTION_ENDPOINT: endpoint })).toEqual([
      expect.stringContaining("GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: required when the audit trail is shipped"),
    ]);
    expect(problemsOf({ ...AZURE, GATEHOUSE_AUDIT_INGESTION_ENDPOINT: endpoint, GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: dcr })).toEqual([
      expect.stringContaining("GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH: required when the audit trail is shipped"),
    ]);
    expect(problemsOf({ ...AZURE, GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: "my-rule" })).toEqual([
      expect.stringContaining("must be a data collection rule's immutable id"),
    ]);
    const config = parseConfig({
      ...AZURE,
      GATEHOUSE_AUDIT_INGESTION_ENDPOINT: endpoint,
      GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: dcr,
      GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH: "/mnt/secrets/audit-checkpoint-key.pem",
    });
    expect(config.audit).toMatchObject({
      sink: { endpoint, dcrImmutableId: dcr, streamName: "Custom-GatehouseAudit_CL" },
      checkpointKeyPath: "/mnt/secrets/audit-checkpoint-key.pem",
    });
  });

  it("migrates with DATABASE_MIGRATION_URL when given, which needs DATABASE_URL", () => {
    const config = parseConfig({
      ...AZURE,
      DATABASE_URL: "postgres://gatehouse_app@db/gatehouse",
      DATABASE_MIGRATION_URL: "postgres://gatehouse_owner@db/gatehouse",
    });
    expect(config.database).toMatchObject({
      kind: "postgres",
      url: "postgres://gatehouse_app@db/gatehouse",
      migrationUrl: "postgres://gatehouse_owner@db/gatehouse",
    });
    expect(problemsOf({ ...AZURE, DATABASE_MIGRATION_URL: "postgres://gatehouse_owner@db/gatehouse" })).toEqual([
      expect.stringContaining("DATABASE_MIGRATION_URL: only used with DATABASE_URL"),
    ]);
  });

  it("accepts the platform's managed-identity endpoint settings, loopback included (Container Apps serves it on localhost)", () => {
    expect(problemsOf({ ...AZURE, IDENTITY_ENDPOINT: "http://localhost:42356/msi/token", IDENTITY_HEADER: "rotated-by-the-platform" })).toEqual([]);
    expect(problemsOf({ ...AZURE, IDENTITY_ENDPOINT: "not a url", IDENTITY_HEADER: "h" })).toEqual([
      expect.stringContaining("IDENTITY_ENDPOINT: must be an absolute URL"),
    ]);
  });

  it("accepts a complete configuration with the public cloud's endpoints", () => {
    const config = parseConfig(AZURE);
    expect(config.identity.authority).toBe("https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555");
    expect(config.identity.credential).toEqual({ kind: "managed-identity", clientId: AZURE.AZURE_MANAGED_IDENTITY_CLIENT_ID });
    expect(config.upstream).toMatchObject({ graphBaseUrl: "https://graph.microsoft.com", armEndpoint: "https://management.azure.com" });
    expect(config.sandboxOrigin).toBeNull();
  });

  it("lists every missing setting in one message, each with how to fix it", () => {
    const problems = problemsOf({ GATEHOUSE_MODE: "azure" });
    expect(problems.map((problem) => problem.split(":")[0])).toEqual([
      "AZURE_TENANT_ID",
      "GATEHOUSE_SPA_CLIENT_ID",
      "GATEHOUSE_API_CLIENT_ID",
      "GATEHOUSE_PUBLIC_ORIGIN",
      "GATEHOUSE_ALLOWED_TENANTS",
      "GATEHOUSE_CREDENTIAL",
      "GATEHOUSE_SESSION_KEY",
    ]);
    for (const problem of problems) expect(problem).toMatch(/required in azure mode\. .+/);
  });

  it("reports invalid values together with missing ones, each once", () => {
    const { AZURE_TENANT_ID: _omitted, ...rest } = AZURE;
    const problems = problemsOf({ ...rest, GATEHOUSE_SPA_CLIENT_ID: "not-a-guid", DATABASE_URL: "mysql://x" });
    expect(problems).toEqual([
      expect.stringMatching(/^DATABASE_URL: must start with postgres:\/\//),
      expect.stringMatching(/^GATEHOUSE_SPA_CLIENT_ID: must be a GUID/),
      expect.stringMatching(/^AZURE_TENANT_ID: required in azure mode/),
    ]);
  });

  it("refuses every spelling of a loopback or unspecified address, and *.localhost", () => {
    for (const url of [
      "https://localhost.:8443",
      "https://0.0.0.0:8443",
      "https://[::ffff:127.0.0.1]:8443",
      "https://[::1]:8443",
      "https://[::]:8443",
      "https://127.8.9.10",
      "https://0x7f.1",
      "https://2130706433",
      "https://sandbox.localhost",
    ]) {
      expect(problemsOf({ ...AZURE, GRAPH_BASE_URL: url }), url).toEqual([expect.stringMatching(/^GRAPH_BASE_URL: .* is a sandbox \(loopback\) endpoint/)]);
    }
  });

  it("refuses sandbox (loopback) endpoints", () => {
    const problems = problemsOf({ ...AZURE, AZURE_AUTHORITY_HOST: "https://localhost:8443", ARM_ENDPOINT: "https://127.0.0.1:8443" });
    expect(problems).toEqual([
      expect.stringContaining("AZURE_AUTHORITY_HOST: https://localhost:8443 is a sandbox (loopback) endpoint"),
      expect.stringContaining("ARM_ENDPOINT: https://127.0.0.1:8443 is a sandbox (loopback) endpoint"),
    ]);
  });

  it("requires https for the public origin and the matching credential setting", () => {
    expect(problemsOf({ ...AZURE, GATEHOUSE_PUBLIC_ORIGIN: "http://gatehouse.contoso.com" })).toEqual([
      expect.stringContaining("GATEHOUSE_PUBLIC_ORIGIN: must use https://"),
    ]);
    expect(problemsOf({ ...AZURE, GATEHOUSE_CREDENTIAL: "certificate" })).toEqual([
      expect.stringContaining("AZURE_CLIENT_CERTIFICATE_PATH: required in azure mode"),
    ]);
    expect(problemsOf({ ...AZURE, GATEHOUSE_CREDENTIAL: "password" })).toEqual([
      expect.stringContaining("GATEHOUSE_CREDENTIAL: must be secret, certificate or managed-identity"),
    ]);
  });

  it("rejects a tenant allow list with something other than tenant ids", () => {
    expect(problemsOf({ ...AZURE, GATEHOUSE_ALLOWED_TENANTS: `${AZURE.AZURE_TENANT_ID}, common` })).toEqual([
      expect.stringContaining('GATEHOUSE_ALLOWED_TENANTS: "common" is not a tenant id'),
    ]);
  });
});

describe("AZURE_CLOUD", () => {
  it("public by default: public hosts, scopes, exchange audience and issuer", () => {
    const config = parseConfig(AZURE);
    expect(config.cloud).toBe("public");
    expect(config.identity).toMatchObject({
      authorityHost: "https://login.microsoftonline.com",
      issuerHosts: ["https://login.microsoftonline.com"],
      tokenExchangeScope: "api://AzureADTokenExchange/.default",
    });
    expect(config.upstream).toMatchObject({
      graphBaseUrl: "https://graph.microsoft.com",
      armEndpoint: "https://management.azure.com",
      graphScope: "https://graph.microsoft.com/.default",
      armScope: "https://management.azure.com/.default",
    });
  });

  it("usgov: Azure Government's hosts, resource ids, exchange audience and issuer", () => {
    const config = parseConfig({ ...AZURE, AZURE_CLOUD: "usgov" });
    expect(config.cloud).toBe("usgov");
    expect(config.identity).toMatchObject({
      authorityHost: "https://login.microsoftonline.us",
      authority: `https://login.microsoftonline.us/${AZURE.AZURE_TENANT_ID}`,
      issuerHosts: ["https://login.microsoftonline.us"],
      tokenExchangeScope: "api://AzureADTokenExchangeUSGov/.default",
    });
    expect(config.upstream).toMatchObject({
      graphBaseUrl: "https://graph.microsoft.us",
      armEndpoint: "https://management.usgovcloudapi.net",
      graphScope: "https://graph.microsoft.us/.default",
      armScope: "https://management.usgovcloudapi.net/.default",
    });
  });

  it("china: 21Vianet's hosts, and tokens issued by login.partner.microsoftonline.cn are accepted", () => {
    const config = parseConfig({ ...AZURE, AZURE_CLOUD: "china" });
    expect(config.identity).toMatchObject({
      authorityHost: "https://login.chinacloudapi.cn",
      issuerHosts: ["https://login.chinacloudapi.cn", "https://login.partner.microsoftonline.cn"],
      tokenExchangeScope: "api://AzureADTokenExchangeChina/.default",
    });
    expect(config.upstream).toMatchObject({
      graphScope: "https://microsoftgraph.chinacloudapi.cn/.default",
      armScope: "https://management.chinacloudapi.cn/.default",
    });
  });

  it("is derived from a known authority host when not set", () => {
    expect(parseConfig({ ...AZURE, AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us" }).cloud).toBe("usgov");
    const china = parseConfig({ ...AZURE, AZURE_AUTHORITY_HOST: "https://login.partner.microsoftonline.cn/" });
    expect(china.cloud).toBe("china");
    expect(china.upstream.graphBaseUrl).toBe("https://microsoftgraph.chinacloudapi.cn");
  });

  it("takes the scope from a Graph URL the operator sets (US Government DoD)", () => {
    const config = parseConfig({ ...AZURE, AZURE_CLOUD: "usgov", GRAPH_BASE_URL: "https://dod-graph.microsoft.us" });
    expect(config.upstream.graphScope).toBe("https://dod-graph.microsoft.us/.default");
    expect(config.upstream.armScope).toBe("https://management.usgovcloudapi.net/.default");
  });

  it("refuses an unknown cloud, a host of another cloud, and an unknown host without a cloud", () => {
    expect(problemsOf({ ...AZURE, AZURE_CLOUD: "germany" })).toEqual([expect.stringContaining("AZURE_CLOUD: must be public, usgov or china")]);
    expect(problemsOf({ ...AZURE, AZURE_CLOUD: "usgov", AZURE_AUTHORITY_HOST: "https://login.microsoftonline.com" })).toEqual([
      expect.stringContaining(
        "AZURE_AUTHORITY_HOST: https://login.microsoftonline.com belongs to Azure public cloud (AZURE_CLOUD=public), not AZURE_CLOUD=usgov",
      ),
    ]);
    expect(problemsOf({ ...AZURE, AZURE_AUTHORITY_HOST: "https://login.contoso.example" })).toEqual([
      expect.stringContaining(
        "AZURE_AUTHORITY_HOST: https://login.contoso.example is not a host of Azure public cloud (expected login.microsoftonline.com or login.windows.net or login.microsoft.com)",
      ),
    ]);
    expect(problemsOf({ ...AZURE, AZURE_CLOUD: "usgov", AZURE_AUTHORITY_HOST: "https://login.contoso.example" })).toEqual([
      expect.stringContaining("AZURE_AUTHORITY_HOST: https://login.contoso.example is not a host of Azure Government"),
    ]);
  });

  it("sends tokens and sign-ins only to Microsoft's hosts of the chosen cloud, over HTTPS", () => {
    const refused = {
      AZURE_AUTHORITY_HOST: [
        "https://login.microsoftonline.com.evil.example",
        "http://login.microsoftonline.com",
        "https://user:pw@login.microsoftonline.com",
        "https://evil.example/login.microsoftonline.com",
      ],
      GRAPH_BASE_URL: ["https://graph.microsoft.com.evil.example", "https://graph.microsoft.us", "http://graph.microsoft.com", "https://graph.evil.example"],
      ARM_ENDPOINT: ["https://management.azure.com.evil.example", "https://management.chinacloudapi.cn", "https://evil.example"],
      GATEHOUSE_AUDIT_INGESTION_ENDPOINT: [
        "https://ingest.monitor.azure.com.evil.example",
        "https://.ingest.monitor.azure.com",
        "https://x.ingest.monitor.azure.us",
        "http://gatehouse-dce-abcd.westeurope-1.ingest.monitor.azure.com",
      ],
    };
    for (const [name, urls] of Object.entries(refused)) {
      for (const url of urls) {
        const sink = { GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: "dcr-0123456789abcdef0123456789abcdef", GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH: "/mnt/secrets/key.pem" };
        const settings = { ...AZURE, [name]: url, ...(name === "GATEHOUSE_AUDIT_INGESTION_ENDPOINT" ? sink : {}) };
        expect(problemsOf(settings), `${name}=${url}`).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
      }
    }
    const accepted = parseConfig({
      ...AZURE,
      AZURE_AUTHORITY_HOST: "https://login.windows.net",
      GRAPH_BASE_URL: "https://GRAPH.microsoft.com/",
      ARM_ENDPOINT: "https://management.azure.com/",
      GATEHOUSE_AUDIT_INGESTION_ENDPOINT: "https://gatehouse-dce-abcd.westeurope-1.ingest.monitor.azure.com",
      GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID: "dcr-0123456789abcdef0123456789abcdef",
      GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH: "/mnt/secrets/audit-checkpoint-key.pem",
    });
    expect(accepted.upstream.armEndpoint).toBe("https://management.azure.com");
    expect(parseConfig({ ...AZURE, AZURE_CLOUD: "usgov", GRAPH_BASE_URL: "https://dod-graph.microsoft.us" }).upstream.graphBaseUrl).toBe(
      "https://dod-graph.microsoft.us",
    );
    expect(parseConfig({ ...AZURE, AZURE_CLOUD: "china", AZURE_AUTHORITY_HOST: "https://login.partner.microsoftonline.cn" }).cloud).toBe("china");
  });

  it("in sandbox mode names the emulated cloud's resource ids while every URL stays the sandbox's", () => {
    const config = parseConfig({ AZURE_CLOUD: "usgov" });
    expect(config.cloud).toBe("usgov");
    expect(config.upstream).toMatchObject({
      graphBaseUrl: SANDBOX_DEFAULTS.origin,
      armEndpoint: SANDBOX_DEFAULTS.origin,
      graphScope: "https://graph.microsoft.us/.default",
      armScope: "https://management.usgovcloudapi.net/.default",
    });
    expect(config.identity.issuerHosts).toEqual([SANDBOX_DEFAULTS.origin]);
    expect(config.identity.tokenExchangeScope).toBe("api://AzureADTokenExchangeUSGov/.default");
    expect(parseConfig({}).upstream.graphScope).toBe("https://graph.microsoft.com/.default");
  });
});

describe("notification webhook hosts", () => {
  const withWebhook = (url: string, hosts?: string) => ({
    ...AZURE,
    GATEHOUSE_NOTIFICATION_WEBHOOK_URL: url,
    ...(hosts === undefined ? {} : { GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: hosts }),
  });

  it("accepts Teams, Power Automate and Slack webhook URLs by default", () => {
    for (const url of [
      "https://contoso.webhook.office.com/webhookb2/abc",
      "https://prod-23.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x",
      "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc",
      "https://hooks.slack.com/services/T0/B0/x",
    ]) {
      expect(problemsOf(withWebhook(url)), url).toEqual([]);
    }
  });

  it("refuses any other host by default, a look-alike suffix or the bare parent domain included, naming the setting", () => {
    for (const url of [
      "https://169.254.169.254/metadata",
      "https://webhook.office.com.evil.example/x",
      "https://evilwebhook.office.com/x",
      "https://logic.azure.com/x",
      "https://slack.com/x",
    ]) {
      expect(problemsOf(withWebhook(url)), url).toEqual([
        expect.stringMatching(
          /^GATEHOUSE_NOTIFICATION_WEBHOOK_URL: channel default: the host .+ is not among the allowed webhook hosts .*GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS/,
        ),
      ]);
    }
  });

  it("takes an operator's own list instead of the default, and refuses a malformed one", () => {
    expect(problemsOf(withWebhook("https://chat.contoso.com/hook", "chat.contoso.com"))).toEqual([]);
    expect(problemsOf(withWebhook("https://a.chat.contoso.com/hook", "*.chat.contoso.com, hooks.slack.com"))).toEqual([]);
    expect(problemsOf(withWebhook("https://hooks.slack.com/services/x", "chat.contoso.com"))).toEqual([
      expect.stringContaining("the host hooks.slack.com is not among the allowed webhook hosts (chat.contoso.com)"),
    ]);
    expect(problemsOf(withWebhook("https://chat.contoso.com/hook", "https://chat.contoso.com"))).toEqual([
      expect.stringContaining("GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: must be a comma-separated list of host names"),
    ]);
  });
});

describe("the sandbox's chat channels", () => {
  const SANDBOX = { GATEHOUSE_SANDBOX_URL: "https://localhost:8640" };

  it("post to the sandbox tenant's Teams and Slack webhooks when no channel is configured, digests to the Slack one", () => {
    const { notifications } = parseConfig(SANDBOX);
    expect(notifications.channels).toEqual({
      "fraud-team": {
        kind: "teams",
        host: "localhost",
        url: "https://localhost:8640/workflows/0c0a5e11f7a04000800000000000c4a7/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sandbox-fraud-team-sig-not-a-secret-000000",
      },
      default: { kind: "slack", host: "localhost", url: "https://localhost:8640/services/T0SANDBOX0/B0MLPLATFORM/sandboxMlPlatformToken00" },
    });
    expect(notifications.digestChannel).toBe("default");
    expect(notifications.webhookHosts).toEqual([
      "*.webhook.office.com",
      "*.logic.azure.com",
      "*.environment.api.powerplatform.com",
      "hooks.slack.com",
      "localhost",
    ]);
    // With no GATEHOUSE_SANDBOX_URL, the default origin.
    expect(parseConfig({}).notifications.channels.default?.url).toBe(`${SANDBOX_DEFAULTS.origin}${SANDBOX_DEFAULTS.slackWebhookPath}`);
  });

  it("are the webhooks the sandbox tenant serves", () => {
    expect(SANDBOX_DEFAULTS.teamsWebhookPath).toBe(
      `${sandboxContract.SANDBOX_TEAMS_CHANNEL.path}?${sandboxContract.WORKFLOWS_TRIGGER_QUERY}&sig=${sandboxContract.SANDBOX_TEAMS_CHANNEL.sig}`,
    );
    expect(SANDBOX_DEFAULTS.slackWebhookPath).toBe(sandboxContract.SANDBOX_SLACK_CHANNEL.path);
  });

  it("give way to configured channels, the legacy webhook, or none at all", () => {
    const own = parseConfig({
      ...SANDBOX,
      GATEHOUSE_NOTIFICATION_CHANNELS: JSON.stringify({ ops: { kind: "slack", url: "https://hooks.slack.com/services/T/B/x" } }),
    });
    expect(Object.keys(own.notifications.channels)).toEqual(["ops"]);
    expect(own.notifications.digestChannel).toBeNull();
    const legacy = parseConfig({ ...SANDBOX, GATEHOUSE_NOTIFICATION_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x" });
    expect(Object.keys(legacy.notifications.channels)).toEqual(["default"]);
    expect(parseConfig({ ...SANDBOX, GATEHOUSE_NOTIFICATION_CHANNELS: "{}" }).notifications).toMatchObject({ channels: {}, digestChannel: null });
    // The sandbox's host is allowed beside an operator's own list.
    expect(parseConfig({ ...SANDBOX, GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: "chat.contoso.com" }).notifications.webhookHosts).toEqual([
      "chat.contoso.com",
      "localhost",
    ]);
  });

  it("never allow a loopback host in azure mode", () => {
    expect(parseConfig(AZURE).notifications.webhookHosts).not.toContain("localhost");
    expect(problemsOf({ ...AZURE, GATEHOUSE_NOTIFICATION_WEBHOOK_URL: `https://localhost:8443${SANDBOX_DEFAULTS.slackWebhookPath}` })).toEqual([
      expect.stringContaining("the host localhost is not among the allowed webhook hosts"),
    ]);
  });
});

describe("GATEHOUSE_REQUEST_REMINDER_DAYS", () => {
  it("defaults to 3 and 1 days, and takes distinct days between 1 and 30, largest first", () => {
    expect(parseConfig({}).requests.reminderDays).toEqual([3, 1]);
    expect(parseConfig({ GATEHOUSE_REQUEST_REMINDER_DAYS: " 1, 7 ,14" }).requests.reminderDays).toEqual([14, 7, 1]);
    expect(parseConfig({ GATEHOUSE_REQUEST_REMINDER_DAYS: "2" }).requests.reminderDays).toEqual([2]);
  });

  it("refuses days outside 1–30, repeats, and anything but a list of whole numbers", () => {
    for (const value of ["0", "31", "3,3", "3;1", "three", "1.5", "1,2,3,4,5,6", ","]) {
      expect(problemsOf({ GATEHOUSE_REQUEST_REMINDER_DAYS: value }).map((problem) => problem.split(":")[0])).toEqual(["GATEHOUSE_REQUEST_REMINDER_DAYS"]);
    }
  });
});

describe("named notification channels", () => {
  const TEAMS_URL = "https://prod-23.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SECRETSIG";
  const SLACK_URL = "https://hooks.slack.com/services/T0/B0/SECRETSIG";
  const withChannels = (channels: unknown, extra: Record<string, string> = {}) => ({
    ...AZURE,
    GATEHOUSE_NOTIFICATION_CHANNELS: typeof channels === "string" ? channels : JSON.stringify(channels),
    ...extra,
  });
  /** Problems never quote a webhook URL: its path and query are the webhook's signature. */
  const problems = (env: Record<string, string | undefined>) => {
    const found = problemsOf(env);
    for (const problem of found) expect(problem).not.toContain("SECRETSIG");
    return found;
  };

  it("reads each channel's kind, URL and host; the legacy webhook URL is the channel default, its kind from the host or the setting", () => {
    const config = parseConfig(withChannels({ "ml-platform": { kind: "teams", url: TEAMS_URL }, fraud: { kind: "slack", url: SLACK_URL } }));
    expect(config.notifications.channels).toEqual({
      "ml-platform": { kind: "teams", url: TEAMS_URL, host: "prod-23.westeurope.logic.azure.com" },
      fraud: { kind: "slack", url: SLACK_URL, host: "hooks.slack.com" },
    });
    expect(config.notifications.digestChannel).toBeNull();
    expect(parseConfig({ ...AZURE, GATEHOUSE_NOTIFICATION_WEBHOOK_URL: SLACK_URL }).notifications.channels).toEqual({
      default: { kind: "slack", url: SLACK_URL, host: "hooks.slack.com" },
    });
    expect(parseConfig({ ...AZURE, GATEHOUSE_NOTIFICATION_WEBHOOK_URL: TEAMS_URL }).notifications.channels.default?.kind).toBe("teams");
    expect(
      parseConfig({
        ...AZURE,
        GATEHOUSE_NOTIFICATION_WEBHOOK_URL: "https://chat.contoso.com/hook",
        GATEHOUSE_NOTIFICATION_WEBHOOK_HOSTS: "chat.contoso.com",
        GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: "slack",
      }).notifications.channels.default?.kind,
    ).toBe("slack");
    // Both together: named channels and the legacy one as default.
    const both = parseConfig(
      withChannels(
        { fraud: { kind: "slack", url: SLACK_URL } },
        { GATEHOUSE_NOTIFICATION_WEBHOOK_URL: TEAMS_URL, GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: "default" },
      ),
    );
    expect(Object.keys(both.notifications.channels).sort()).toEqual(["default", "fraud"]);
    expect(both.notifications.digestChannel).toBe("default");
    expect(parseConfig(AZURE).notifications).toMatchObject({ channels: {}, digestChannel: null });
  });

  it("refuses text that is not a JSON object, without quoting it", () => {
    for (const text of [`{"approvals": {"kind": "teams", "url": "${TEAMS_URL}"`, "[]", '"x"', "null"]) {
      expect(problems(withChannels(text)), text).toEqual([expect.stringContaining("GATEHOUSE_NOTIFICATION_CHANNELS: must be a JSON object of named channels")]);
    }
  });

  it("refuses an http URL, a host not allowed and a malformed entry, naming the channel and the host only", () => {
    expect(problems(withChannels({ approvals: { kind: "teams", url: "http://prod-1.westeurope.logic.azure.com/workflows/x?sig=SECRETSIG" } }))).toEqual([
      "GATEHOUSE_NOTIFICATION_CHANNELS: channel approvals: the url must use https:// (host prod-1.westeurope.logic.azure.com).",
    ]);
    expect(problems(withChannels({ approvals: { kind: "teams", url: "https://169.254.169.254/SECRETSIG" } }))).toEqual([
      expect.stringMatching(/^GATEHOUSE_NOTIFICATION_CHANNELS: channel approvals: the host 169\.254\.169\.254 is not among the allowed webhook hosts/),
    ]);
    expect(problems(withChannels({ approvals: { kind: "teams", url: "not a url SECRETSIG" } }))).toEqual([
      "GATEHOUSE_NOTIFICATION_CHANNELS: channel approvals: the url must be an absolute https:// URL.",
    ]);
    for (const entry of [
      { kind: "discord", url: TEAMS_URL },
      { url: TEAMS_URL },
      { kind: "teams" },
      { kind: "teams", url: TEAMS_URL, token: "x" },
      "SECRETSIG",
    ]) {
      expect(problems(withChannels({ approvals: entry })), JSON.stringify(entry)).toEqual([
        'GATEHOUSE_NOTIFICATION_CHANNELS: channel approvals: must be {"kind": "teams" or "slack", "url": "https://…"} and nothing else.',
      ]);
    }
  });

  it("refuses a bad channel name, and a default named twice", () => {
    for (const name of ["ML-Platform", "-x", "with space", "a".repeat(64), ""]) {
      expect(problems(withChannels({ [name]: { kind: "teams", url: TEAMS_URL } })), name).toEqual([
        expect.stringContaining("is not a channel name (lower-case letters, digits and dashes, at most 63)"),
      ]);
    }
    expect(problems(withChannels({ default: { kind: "teams", url: TEAMS_URL } }, { GATEHOUSE_NOTIFICATION_WEBHOOK_URL: SLACK_URL }))).toEqual([
      expect.stringContaining("GATEHOUSE_NOTIFICATION_WEBHOOK_URL: it is the channel named default, which GATEHOUSE_NOTIFICATION_CHANNELS also names"),
    ]);
    expect(problems({ ...AZURE, GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: "teams" })).toEqual([
      "GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: only used with GATEHOUSE_NOTIFICATION_WEBHOOK_URL.",
    ]);
    expect(problems({ ...AZURE, GATEHOUSE_NOTIFICATION_WEBHOOK_URL: SLACK_URL, GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: "discord" })).toEqual([
      expect.stringContaining("GATEHOUSE_NOTIFICATION_WEBHOOK_KIND: must be teams or slack"),
    ]);
  });

  it("refuses a digest channel that is not configured", () => {
    expect(problems(withChannels({ fraud: { kind: "slack", url: SLACK_URL } }, { GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: "digests" }))).toEqual([
      "GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: no channel named digests in GATEHOUSE_NOTIFICATION_CHANNELS (configured: fraud).",
    ]);
    expect(problems({ ...AZURE, GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: "digests" })).toEqual([
      "GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: no channel named digests in GATEHOUSE_NOTIFICATION_CHANNELS (no channels are configured).",
    ]);
    expect(problems({ ...AZURE, GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: "Digests!" })).toEqual([
      expect.stringContaining("GATEHOUSE_NOTIFICATION_DIGEST_CHANNEL: must be a channel name"),
    ]);
  });
});

describe("serverNodeOptions", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("puts the defaults first and the operator's NODE_OPTIONS after them, so the operator's value of an option wins", () => {
    vi.stubEnv("NODE_OPTIONS", "");
    expect(serverNodeOptions(["--max-old-space-size=256"])).toBe("--max-old-space-size=256");
    vi.stubEnv("NODE_OPTIONS", "--max-old-space-size=1024 --enable-source-maps");
    expect(serverNodeOptions(["--max-old-space-size=256"])).toBe("--max-old-space-size=256 --max-old-space-size=1024 --enable-source-maps");
  });
});
