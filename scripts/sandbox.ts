/**
 * `npm run sandbox`: the demo. Starts the sandbox tenant (local Entra ID + Graph + ARM over HTTPS), then the console
 * against it — the production build's standalone server, started as the container starts it — and prints where to go
 * and how to sign in.
 *
 * Order matters: the tenant creates its certificate authority on first start, and Node only trusts a CA named in
 * NODE_EXTRA_CA_CERTS when the process starts — so the console is spawned after the CA exists, with that variable.
 *
 * `--credential managed-identity`: the console has no secret at all. The tenant's console API app then holds only the
 * federated credential for the console's managed identity (SANDBOX_CONSOLE_CREDENTIALS=federated), and the console
 * gets its tokens from the tenant's managed-identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER, as Container Apps
 * sets them).
 *
 * `--cloud usgov|china`: the tenant emulates that Azure cloud (its Graph and ARM resource ids, exchange audience and
 * issuer; SANDBOX_CLOUD) and the console is configured for the same cloud (AZURE_CLOUD).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import path from "node:path";
import { parseArgs } from "node:util";

import { AZURE_CLOUD_NAMES } from "@/lib/config/clouds.mjs";
import { childProcessEnv, SANDBOX_DEFAULTS, serverNodeOptions } from "@/lib/config/env.mjs";
import { ensureProductionBuild } from "./production-build";
import { prepareStandalone, SERVER_NODE_OPTIONS, STANDALONE_DIR, standaloneFiles, withServerMallocDefaults } from "./standalone";

const { values: options } = parseArgs({
  options: {
    port: { type: "string", default: "3000" },
    "tenant-port": { type: "string", default: "8443" },
    "data-dir": { type: "string", default: ".data" },
    dev: { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
    credential: { type: "string", default: "secret" },
    cloud: { type: "string", default: "public" },
  },
});

if (options.credential !== "secret" && options.credential !== "managed-identity") {
  console.error(`--credential must be secret or managed-identity, not ${options.credential}`);
  process.exit(2);
}
const managedIdentity = options.credential === "managed-identity";
const cloud = options.cloud;
if (!(AZURE_CLOUD_NAMES as string[]).includes(cloud)) {
  console.error(`--cloud must be ${AZURE_CLOUD_NAMES.join(", ")}, not ${cloud}`);
  process.exit(2);
}

const consolePort = Number(options.port);
const tenantPort = Number(options["tenant-port"]);
const dataDir = path.resolve(options["data-dir"]);
const sandboxDir = path.join(dataDir, "sandbox");
const caPath = path.join(sandboxDir, "ca.pem");
const tenantOrigin = `https://localhost:${tenantPort}`;
const consoleOrigin = `http://localhost:${consolePort}`;
const children: ChildProcess[] = [];

function log(message: string): void {
  if (!options.quiet) console.log(message);
}

const logDir = path.join(dataDir, "logs");
mkdirSync(logDir, { recursive: true });

/** Shows a child's output and keeps a copy in `<data dir>/logs/<file>` (tests read it: no token may appear there). */
function tee(child: ChildProcess, file: string): void {
  const copy = createWriteStream(path.join(logDir, file), { flags: "a" });
  child.stdout?.on("data", (chunk: Buffer) => {
    process.stdout.write(chunk);
    copy.write(chunk);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    copy.write(chunk);
  });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, name: string, logFile: string, cwd?: string): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], cwd });
  tee(child, logFile);
  children.push(child);
  child.on("exit", (code, signal) => {
    if (shuttingDown) return;
    console.error(`${name} stopped (${signal ?? `exit code ${code}`}); stopping the sandbox.`);
    shutdown(code ?? 1);
  });
  return child;
}

function runToCompletion(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

let shuttingDown = false;
function shutdown(code: number): void {
  shuttingDown = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 500).unref();
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

/** Resolves once the tenant answers its OpenID discovery document over TLS signed by its own CA. */
async function waitForTenant(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `${tenantOrigin}/${SANDBOX_DEFAULTS.tenantId}/v2.0/.well-known/openid-configuration`;
  while (Date.now() < deadline) {
    if (existsSync(caPath)) {
      const ok = await new Promise<boolean>((resolve) => {
        const req = request(url, { ca: readFileSync(caPath), timeout: 1000 }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        });
        req.on("error", () => resolve(false));
        req.on("timeout", () => req.destroy());
        req.end();
      });
      if (ok) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`the sandbox tenant did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/**
 * What a Container Apps host gives the console for its managed identity: the tenant's identity endpoint and header
 * (from the tenant.json this start wrote). No secret: GATEHOUSE_CREDENTIAL=managed-identity with the sandbox
 * console's identity, whose federated credential the tenant registered on the API app.
 */
async function managedIdentitySettings(): Promise<Record<string, string>> {
  const tenantFile = path.join(sandboxDir, "tenant.json");
  const deadline = Date.now() + 10_000;
  let tenant: { managedIdentity: { clientId: string; identityEndpoint: string; identityHeader: string } } | undefined;
  while (!tenant) {
    try {
      tenant = JSON.parse(readFileSync(tenantFile, "utf8")) as typeof tenant;
    } catch {
      // not written yet (or half-written): the tenant writes it right after it starts answering
      if (Date.now() > deadline) throw new Error(`the sandbox tenant wrote no ${tenantFile}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    GATEHOUSE_CREDENTIAL: "managed-identity",
    AZURE_MANAGED_IDENTITY_CLIENT_ID: tenant.managedIdentity.clientId,
    IDENTITY_ENDPOINT: tenant.managedIdentity.identityEndpoint,
    IDENTITY_HEADER: tenant.managedIdentity.identityHeader,
  };
}

async function main(): Promise<void> {
  if (options.fresh) {
    rmSync(path.join(dataDir, "pglite"), { recursive: true, force: true });
    for (const file of ["console.log", "sandbox.log"]) rmSync(path.join(logDir, file), { force: true });
  }

  log(`Starting the sandbox tenant at ${tenantOrigin} …`);
  const tsx = path.resolve("node_modules", ".bin", "tsx");
  // tenant.json is rewritten by this start; an old one must not be mistaken for it.
  rmSync(path.join(sandboxDir, "tenant.json"), { force: true });
  run(
    tsx,
    ["sandbox/main.ts"],
    childProcessEnv({
      SANDBOX_PORT: String(tenantPort),
      SANDBOX_DATA_DIR: sandboxDir,
      SANDBOX_CONSOLE_ORIGINS: consoleOrigin,
      SANDBOX_CONSOLE_CREDENTIALS: managedIdentity ? "federated" : "all",
      SANDBOX_CLOUD: cloud,
    }),
    "The sandbox tenant",
    "sandbox.log",
  );
  await waitForTenant(30_000);

  const consoleEnv = childProcessEnv({
    GATEHOUSE_MODE: "sandbox",
    GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION: "true",
    GATEHOUSE_SANDBOX_URL: tenantOrigin,
    GATEHOUSE_PUBLIC_ORIGIN: consoleOrigin,
    GATEHOUSE_DATA_DIR: dataDir,
    AZURE_CLOUD: cloud,
    NODE_EXTRA_CA_CERTS: caPath,
    ...(managedIdentity ? await managedIdentitySettings() : {}),
  });
  const next = path.resolve("node_modules", ".bin", "next");

  if (options.dev) {
    run(next, ["dev", "-p", String(consolePort)], { ...consoleEnv, NODE_ENV: "development" }, "The console", "console.log");
  } else {
    await ensureProductionBuild(consoleEnv, log);
    const preflight = await runToCompletion(tsx, ["--conditions=react-server", "scripts/preflight.ts"], {
      ...consoleEnv,
      NODE_ENV: "production",
    });
    if (preflight !== 0) throw new Error("the console's configuration check failed");
    // As the container starts it: the standalone server, in its own directory, with PORT and HOSTNAME.
    const server = prepareStandalone();
    // What the server's directory holds before it starts (tests check it writes nothing there: read-only in the container).
    writeFileSync(path.join(dataDir, "standalone-files.json"), JSON.stringify(standaloneFiles()));
    run(
      process.execPath,
      [server],
      // As `npm start` and the container pass it: the heap limit first, the operator's own NODE_OPTIONS after it (wins),
      // and the allocator's settings.
      withServerMallocDefaults({
        ...consoleEnv,
        NODE_OPTIONS: serverNodeOptions(SERVER_NODE_OPTIONS),
        NODE_ENV: "production",
        PORT: String(consolePort),
        HOSTNAME: "localhost",
      }),
      "The console",
      "console.log",
      STANDALONE_DIR,
    );
  }

  log("");
  log(`Gatehouse: ${consoleOrigin}  — sign in as one of the personas listed above (also in ${path.join(sandboxDir, "tenant.json")}).`);
  log(`The sandbox's sign-in page uses a local certificate authority (${caPath}): accept the browser's warning once, or trust it.`);
  log("Press Ctrl+C to stop.");
}

main().catch((error: unknown) => {
  console.error(`npm run sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
  shutdown(1);
});
