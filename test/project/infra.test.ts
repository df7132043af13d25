/**
 * infra/ (Bicep for `azd up`) cannot be compiled here; what can be checked offline is: every parameter is documented,
 * no secret or password exists anywhere in it (the session key is a Key Vault reference), the console's environment uses exactly the setting names of
 * lib/config/env.mjs and is a valid azure-mode configuration, the probes and port match the container, and
 * azure.yaml and the parameter file agree with the template.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { checkpointRecord } from "@/lib/audit/sink";
import { AUDIT_STREAM_NAME, ConfigError, parseConfig } from "@/lib/config/env.mjs";

const ROOT = process.cwd();
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const main = read("infra/main.bicep");
const resources = read("infra/resources.bicep");
const templates = { "infra/main.bicep": main, "infra/resources.bicep": resources };

interface BicepParam {
  readonly name: string;
  readonly hasDefault: boolean;
  readonly decorators: string[];
}

/** `param` declarations with the decorators written above each. */
export function bicepParams(source: string): BicepParam[] {
  const lines = source.split("\n");
  const params: BicepParam[] = [];
  lines.forEach((line, index) => {
    const match = /^param\s+(\w+)\s+\w+(\s*=.*)?$/.exec(line.trim());
    if (!match) return;
    const decorators: string[] = [];
    for (let above = index - 1; above >= 0; above--) {
      const text = lines[above]!.trim();
      if (text.startsWith("@")) decorators.unshift(text);
      else if (text === "" || text.startsWith("'") || text === "])") {
        continue;
      } // inside a multi-line @allowed([...])
      else break;
    }
    params.push({ name: match[1]!, hasDefault: Boolean(match[2]), decorators });
  });
  return params;
}

/**
 * `{ name: 'X', value: … }` entries of the container's `env` (`concat(sessionKeyEnv, [ … ])`) and of the session key's
 * (set once its Key Vault reference is), a `secretRef: 'name'` entry as `secretRef:name`.
 */
function containerEnvironment(source: string): Map<string, string> {
  const main = /env:\s*concat\(sessionKeyEnv,\s*auditEnv,\s*\[([\s\S]*?)\n\s*\]\)/.exec(source)?.[1] ?? "";
  const sessionKey = /var sessionKeyEnv = empty\(sessionKeyReference\) \? \[\] : \[([\s\S]*?)\n\]/.exec(source)?.[1] ?? "";
  const audit = /var auditEnv = shipAudit \? \[([\s\S]*?)\n\] : \[\]/.exec(source)?.[1] ?? "";
  const block = `${sessionKey}\n${audit}\n${main}`;
  return new Map(
    [...block.matchAll(/\{\s*name:\s*'([A-Z_]+)',\s*(value|secretRef):\s*(.+?)\s*\}\s*$/gm)].map((match) => [
      match[1]!,
      match[2] === "secretRef" ? `secretRef:${match[3]!.replace(/'/g, "")}` : match[3]!,
    ]),
  );
}

/** The container app's `secrets` entries (`sessionKeySecrets`, `auditKeySecrets`), as the text of each `{ … }`. */
function containerAppSecrets(source: string): string[] {
  expect(source).toMatch(/\n\s*secrets:\s*concat\(sessionKeySecrets, auditKeySecrets\)\n/);
  const session = /var sessionKeySecrets = empty\(sessionKeyReference\) \? \[\] : \[([\s\S]*?)\n\]/.exec(source)?.[1] ?? "";
  const audit = /var auditKeySecrets = shipAudit \? \[([\s\S]*?)\n\] : \[\]/.exec(source)?.[1] ?? "";
  return [...`${session}\n${audit}`.matchAll(/\{([\s\S]*?)\}/g)].map((match) => match[1]!);
}

/** Setting names lib/config/env.mjs reads (its RawEnv schema), as the .env.example test finds them. */
function configSettings(): Set<string> {
  return new Set([...read("lib/config/env.mjs").matchAll(/^\s{2}([A-Z][A-Z_]+): /gm)].map((match) => match[1]!));
}

describe("infra/ (Bicep)", () => {
  it("documents every parameter with @description", () => {
    for (const [file, source] of Object.entries(templates)) {
      const params = bicepParams(source);
      expect(params.length, file).toBeGreaterThan(5);
      expect(
        params.filter((param) => !param.decorators.some((decorator) => decorator.startsWith("@description("))).map((param) => `${file}: ${param.name}`),
      ).toEqual([]);
    }
  });

  it("holds no secret: no secure parameter, no password, no administrator login, no Key Vault; the session key only by reference", () => {
    for (const [file, source] of Object.entries(templates)) {
      const code = source.replace(/^\s*\/\/.*$/gm, "");
      expect(code, file).not.toMatch(/@secure\(\)/);
      expect(code, file).not.toMatch(/administratorLogin|adminPassword|password\s*:|clientSecret|AZURE_CLIENT_SECRET|Microsoft\.KeyVault/i);
      for (const param of bicepParams(source)) expect(param.name, file).not.toMatch(/secret|password|key$/i);
    }
    // Each container app secret is a Key Vault reference read with the identity, never a value: the session key and
    // the audit checkpoint key (mounted as a file).
    const secrets = containerAppSecrets(resources);
    expect(secrets).toHaveLength(2);
    expect(secrets[0]).toMatch(/keyVaultUrl:\s*sessionKeyReference/);
    expect(secrets[1]).toMatch(/keyVaultUrl:\s*auditCheckpointKeyReference/);
    for (const secret of secrets) {
      expect(secret).toMatch(/identity:\s*identity\.id/);
      expect(secret).not.toMatch(/\bvalue\s*:/);
    }
    expect([...resources.matchAll(/secretRef:\s*'([^']+)'/g)].map((match) => match[1])).toEqual(["session-key", "audit-checkpoint-key"]);
    // Entra-only sign-in to PostgreSQL, and the console's identity is its administrator.
    expect(resources).toMatch(/activeDirectoryAuth:\s*'Enabled'/);
    expect(resources).toMatch(/passwordAuth:\s*'Disabled'/);
    expect(resources).toMatch(/flexibleServers\/administrators@[\w-]+' = \{[\s\S]*?principalType:\s*'ServicePrincipal'/);
  });

  it("configures the console with exactly the settings lib/config/env.mjs reads, and a valid azure configuration", () => {
    const environment = containerEnvironment(resources);
    const settings = configSettings();
    // PORT and HOSTNAME are the standalone server's own (see the Dockerfile).
    expect([...environment.keys()].filter((name) => !settings.has(name) && name !== "PORT" && name !== "HOSTNAME")).toEqual([]);
    // Bicep expressions replaced by values of the shape they produce at deployment.
    const sample: Record<string, string> = {
      origin: "https://ca-gatehouse-abc.example.azurecontainerapps.io",
      "tenant().tenantId": "11111111-2222-4333-8444-555555555555",
      apiClientId: "aaaaaaaa-2222-4333-8444-555555555555",
      spaClientId: "bbbbbbbb-2222-4333-8444-555555555555",
      "identity.properties.clientId": "cccccccc-2222-4333-8444-555555555555",
      "string(port)": "3000",
      databaseName: "gatehouse",
      "identity.name": "id-gatehouse-abc",
      "postgres.properties.fullyQualifiedDomainName": "psql-gatehouse-abc.postgres.database.azure.com",
      // What Container Apps puts in the variable: the Key Vault secret's value.
      "secretRef:session-key": Buffer.alloc(32, 5).toString("base64"),
      "auditRule.properties.endpoints.logsIngestion": "https://dcr-gatehouse-audit-abc-a1b2.westeurope-1.ingest.monitor.azure.com",
      "auditRule.properties.immutableId": "dcr-00112233445566778899aabbccddeeff",
      auditKeyDirectory: "/mnt/audit-key",
      grantablePrivilegedRoles: "Contributor",
    };
    const env = Object.fromEntries(
      [...environment].map(([name, value]) => {
        const literal = /^'([^']*)'$/.exec(value)?.[1];
        if (literal !== undefined && !literal.includes("${")) return [name, literal];
        if (value in sample) return [name, sample[value]];
        // An interpolated string: fill each ${…} with a sample.
        return [name, value.replace(/^'|'$/g, "").replace(/\$\{([^}]+)\}/g, (_all, expression: string) => sample[expression] ?? "x")];
      }),
    ) as Record<string, string>;
    expect(env).toMatchObject({ GATEHOUSE_MODE: "azure", GATEHOUSE_CREDENTIAL: "managed-identity", DATABASE_AUTH: "entra" });
    let config;
    try {
      config = parseConfig({ ...env, NODE_ENV: "production" });
    } catch (error) {
      throw new Error(error instanceof ConfigError ? error.problems.join("\n") : String(error));
    }
    expect(config.identity.credential).toEqual({ kind: "managed-identity", clientId: "cccccccc-2222-4333-8444-555555555555" });
    expect(config.audit.sink).toMatchObject({
      endpoint: "https://dcr-gatehouse-audit-abc-a1b2.westeurope-1.ingest.monitor.azure.com",
      dcrImmutableId: "dcr-00112233445566778899aabbccddeeff",
    });
    expect(env.GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH).toBe("/mnt/audit-key/audit-checkpoint-key.pem");
    expect(config.roles.grantablePrivileged).toEqual(["b24988ac-6180-42a0-ab88-20f7382dd24c"]);
    expect(config.database).toMatchObject({
      kind: "postgres",
      url: "postgres://id-gatehouse-abc@psql-gatehouse-abc.postgres.database.azure.com:5432/gatehouse?sslmode=verify-full",
      entra: { managedIdentityClientId: "cccccccc-2222-4333-8444-555555555555" },
    });
  });

  it("probes /api/health on the port the container listens on, and scales on HTTP concurrency", () => {
    const dockerPort = /^EXPOSE\s+(\d+)$/m.exec(read("Dockerfile"))?.[1];
    expect(resources).toMatch(new RegExp(`var port = placeholder \\? 80 : ${dockerPort}\\b`));
    const probes = [...resources.matchAll(/type:\s*'(Startup|Liveness|Readiness)'\s*\n\s*httpGet:\s*\{ path: '([^']+)', port: port \}/g)];
    expect(probes.map((probe) => [probe[1], probe[2]])).toEqual([
      ["Startup", "/api/health"],
      ["Liveness", "/api/health"],
      ["Readiness", "/api/health"],
    ]);
    expect(resources).toMatch(/targetPort:\s*port/);
    expect(resources).toMatch(/rules:\s*\[[\s\S]*?http:\s*\{\s*metadata:\s*\{\s*concurrentRequests:/);
    expect(resources).toMatch(/type:\s*'UserAssigned'/);
  });

  it("main.bicep passes every parameter resources.bicep declares, and the parameter file only names main.bicep's", () => {
    const resourceParams = bicepParams(resources).map((param) => param.name);
    const passed = [.../module resources 'resources\.bicep' = \{[\s\S]*?params:\s*\{([\s\S]*?)\n\s{2}\}/.exec(main)![1]!.matchAll(/^\s*(\w+):/gm)].map(
      (match) => match[1]!,
    );
    expect(passed.sort()).toEqual([...resourceParams].sort());
    const mainParams = bicepParams(main);
    const file = JSON.parse(read("infra/main.parameters.json")) as { parameters: Record<string, { value: string }> };
    const named = Object.keys(file.parameters);
    expect(named.filter((name) => !mainParams.some((param) => param.name === name))).toEqual([]);
    // Parameters without a default must come from the parameter file (azd environment values).
    expect(
      mainParams
        .filter((param) => !param.hasDefault)
        .map((param) => param.name)
        .filter((name) => !named.includes(name)),
    ).toEqual([]);
  });
});

describe("the audit trail's table and rule", () => {
  it("declare exactly the columns of each record the console ships, in the table and the rule's stream alike", () => {
    const declared = [...(/var auditColumns = \[([\s\S]*?)\n\]/.exec(resources)?.[1] ?? "").matchAll(/\{ name: '(\w+)', type: '(\w+)' \}/g)].map(
      (match) => match[1],
    );
    const shipped = Object.keys(
      checkpointRecord({ sequence: 1, headHash: "0".repeat(64), time: "2026-12-06T00:00:00.000Z", signature: "c2ln", keyId: "0123456789abcdef" }),
    );
    expect(declared).toEqual(shipped);
    expect(resources).toMatch(/streamDeclarations: \{\s*'\$\{auditStream\}': \{ columns: auditColumns \}/);
    expect(resources).toMatch(/columns: map\(auditColumns, /);
    expect(resources).toMatch(new RegExp(`var auditStream = '${AUDIT_STREAM_NAME}'`));
    // The console's checkpoint key goes with the rule: shipping needs both (lib/config/env.mjs refuses one alone).
    expect(resources).toMatch(/var shipAudit = !empty\(auditCheckpointKeyReference\)/);
    expect(resources).toMatch(/resource auditRule '[^']+' = if \(shipAudit\)/);
  });
});

describe("azure.yaml", () => {
  const azureYaml = read("azure.yaml");

  it("deploys the Dockerfile to the container app tagged for it, from infra/", () => {
    expect(azureYaml).toMatch(/^infra:\n\s+provider: bicep\n\s+path: infra\n\s+module: main$/m);
    expect(azureYaml).toMatch(/^services:\n\s+web:\n\s+project: \.\n\s+language: js\n\s+host: containerapp\n\s+docker:\n\s+path: \.\/Dockerfile\n/m);
    expect(existsSync(path.join(ROOT, "Dockerfile"))).toBe(true);
    expect(existsSync(path.join(ROOT, "infra", "main.bicep"))).toBe(true);
    expect(resources).toContain("'azd-service-name': 'web'");
    // azd pushes the image to the registry it reads from this output.
    expect(main).toMatch(/^output AZURE_CONTAINER_REGISTRY_ENDPOINT string = /m);
  });
});

describe("the Bicep parameter reader (the checks above can fail)", () => {
  it("sees a parameter without a description", () => {
    const params = bicepParams("@description('documented')\nparam a string\n\nparam b int = 1\n@allowed([\n  'x'\n])\n@description('d')\nparam c string");
    expect(params.map((param) => [param.name, param.hasDefault, param.decorators.some((decorator) => decorator.startsWith("@description("))])).toEqual([
      ["a", false, true],
      ["b", true, false],
      ["c", false, true],
    ]);
  });
});
