/**
 * `npm run azure:register`: creates or updates Gatehouse's app registrations in an Entra tenant through Microsoft
 * Graph (scripts/azure/register.ts), then prints what an administrator must still consent to and the settings to use.
 * Safe to run again: it changes only what differs.
 *
 *   az login --tenant <tenant id>        # as an Application Administrator (or Cloud Application Administrator)
 *   npm run azure:register -- --tenant <tenant id> --public-origin https://gatehouse.contoso.com \
 *     --managed-identity-principal-id <object id> --managed-identity-client-id <client id>
 *
 *   npm run azure:register -- --sandbox [.data/sandbox/tenant.json] --public-origin http://localhost:3000
 *     registers into a running sandbox tenant, signed in as its deployer app.
 *
 * Options: --name <display name> (default Gatehouse), --auth azure-cli | device-code (--client-id <public client>),
 * --cloud public | usgov | china (the cloud's authority host, Graph and exchange audience; default public), and
 * --authority-host / --graph-url to override the cloud's hosts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { AzureCliCredential, ClientSecretCredential, DeviceCodeCredential, type TokenCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";

import { AZURE_CLOUD_NAMES, AZURE_CLOUDS, type AzureCloudName, defaultScopeOf } from "@/lib/config/clouds.mjs";
import { childProcessEnv } from "@/lib/config/env.mjs";
import { formatReport, type RegistrationOptions, RegistrationError, registerGatehouse } from "./azure/register";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TRUSTS_SANDBOX_CA = "--sandbox-ca-trusted";

function fail(message: string): never {
  console.error(`azure:register: ${message}`);
  process.exit(1);
}

const { values: options } = parseArgs({
  options: {
    tenant: { type: "string" },
    "public-origin": { type: "string" },
    name: { type: "string", default: "Gatehouse" },
    "managed-identity-principal-id": { type: "string" },
    "managed-identity-client-id": { type: "string" },
    auth: { type: "string", default: "azure-cli" },
    "client-id": { type: "string" },
    cloud: { type: "string", default: "public" },
    "authority-host": { type: "string" },
    "graph-url": { type: "string" },
    sandbox: { type: "string" },
    "sandbox-ca-trusted": { type: "boolean", default: false },
  },
  allowPositionals: false,
});

interface SandboxTenantFile {
  authorityHost: string;
  tenantId: string;
  caPath: string;
  /** Absent in files written before clouds: the public cloud. */
  cloud?: AzureCloudName;
  graph: { baseUrl: string; scope: string };
  deployer: { clientId: string; clientSecret: string };
  managedIdentity: { clientId: string; principalId: string };
}

function sandboxTenant(file: string): SandboxTenantFile {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SandboxTenantFile;
  } catch {
    return fail(`cannot read the sandbox's ${file}. Start it first (npm run sandbox:tenant), or name its tenant.json.`);
  }
}

async function main(): Promise<void> {
  const publicOrigin = options["public-origin"];
  if (!publicOrigin) fail("--public-origin is required (the https origin people use to reach Gatehouse).");
  let url: URL;
  try {
    url = new URL(publicOrigin);
  } catch {
    return fail(`--public-origin ${publicOrigin} is not a URL.`);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) fail(`--public-origin must use https:// (${publicOrigin}).`);

  if (!(AZURE_CLOUD_NAMES as string[]).includes(options.cloud)) fail(`--cloud must be ${AZURE_CLOUD_NAMES.join(", ")}, not ${options.cloud}.`);
  let cloud = options.cloud as AzureCloudName;
  const authorityHost = options["authority-host"] ?? AZURE_CLOUDS[cloud].authorityHost;
  let credential: TokenCredential;
  let graphUrl = options["graph-url"] ?? AZURE_CLOUDS[cloud].graphBaseUrl;
  // Tokens are for Graph's resource id: its root URL in Azure; the sandbox serves Graph at its origin and names the
  // resource id of the cloud it emulates in tenant.json.
  let scope = defaultScopeOf(new URL(graphUrl).origin);
  let registration: RegistrationOptions;
  const principalId = options["managed-identity-principal-id"];
  if (principalId !== undefined && !GUID.test(principalId)) fail("--managed-identity-principal-id must be the identity's object (principal) id, a GUID.");

  if (options.sandbox !== undefined) {
    const file = path.resolve(options.sandbox || path.join(".data", "sandbox", "tenant.json"));
    const tenant = sandboxTenant(file);
    if (!options["sandbox-ca-trusted"]) {
      // Node trusts an extra CA only when it starts: run again, trusting the sandbox's.
      const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1), TRUSTS_SANDBOX_CA], {
        stdio: "inherit",
        env: childProcessEnv({ NODE_EXTRA_CA_CERTS: tenant.caPath }),
      });
      process.exit(again.status ?? 1);
    }
    credential = new ClientSecretCredential(tenant.tenantId, tenant.deployer.clientId, tenant.deployer.clientSecret, {
      authorityHost: tenant.authorityHost,
      disableInstanceDiscovery: true,
    });
    graphUrl = tenant.graph.baseUrl;
    scope = tenant.graph.scope;
    cloud = tenant.cloud ?? "public";
    registration = {
      name: options.name,
      publicOrigin,
      tenantId: tenant.tenantId,
      authorityHost: tenant.authorityHost,
      cloud,
      managedIdentity: {
        principalId: principalId ?? tenant.managedIdentity.principalId,
        clientId: options["managed-identity-client-id"] ?? tenant.managedIdentity.clientId,
      },
    };
  } else {
    const tenantId = options.tenant;
    if (!tenantId || !GUID.test(tenantId)) fail("--tenant <tenant id> is required (a GUID: Entra admin center → Overview).");
    if (options.auth === "azure-cli") {
      credential = new AzureCliCredential({ tenantId });
    } else if (options.auth === "device-code") {
      const clientId = options["client-id"];
      if (!clientId) fail("--auth device-code needs --client-id: a public client app registration allowed to call Graph as you.");
      credential = new DeviceCodeCredential({ tenantId, clientId, authorityHost });
    } else {
      return fail(`--auth must be azure-cli or device-code, not ${options.auth}.`);
    }
    registration = {
      name: options.name,
      publicOrigin,
      tenantId,
      authorityHost,
      cloud,
      ...(principalId ? { managedIdentity: { principalId, clientId: options["managed-identity-client-id"] } } : {}),
    };
  }

  const graph = Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => (await credential.getToken(scope))?.token ?? "" },
    baseUrl: new URL(graphUrl).origin,
    // Hostname without port: the SDK attaches the token only for Graph's own hosts and these.
    customHosts: new Set([new URL(graphUrl).hostname]),
    defaultVersion: "v1.0",
  });
  const result = await registerGatehouse(graph, registration);
  console.log(formatReport(result, registration));
}

main().catch((error: unknown) => {
  if (error instanceof RegistrationError) fail(error.message);
  const message = error instanceof Error ? error.message : String(error);
  fail(
    /AzureCliCredential|az login|Azure CLI/i.test(message)
      ? `could not get a token from the Azure CLI. Run \`az login --tenant <tenant id>\` first. (${message.split("\n")[0]})`
      : (message.split("\n")[0] ?? message),
  );
});
