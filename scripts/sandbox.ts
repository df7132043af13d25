/**
 * `npm run sandbox`: the demo. Starts the sandbox tenant (local Entra ID + Graph + ARM over HTTPS), then the console
 * against it, and prints where to go and how to sign in.
 *
 * Order matters: the tenant creates its certificate authority on first start, and Node only trusts a CA named in
 * NODE_EXTRA_CA_CERTS when the process starts — so the console is spawned after the CA exists, with that variable.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import path from "node:path";
import { parseArgs } from "node:util";

import { childProcessEnv, SANDBOX_DEFAULTS } from "@/lib/config/env.mjs";
import { ensureProductionBuild } from "./production-build";

const { values: options } = parseArgs({
  options: {
    port: { type: "string", default: "3000" },
    "tenant-port": { type: "string", default: "8443" },
    "data-dir": { type: "string", default: ".data" },
    dev: { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});

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

function run(command: string, args: string[], env: NodeJS.ProcessEnv, name: string, logFile: string): ChildProcess {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
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

async function main(): Promise<void> {
  if (options.fresh) {
    rmSync(path.join(dataDir, "pglite"), { recursive: true, force: true });
    for (const file of ["console.log", "sandbox.log"]) rmSync(path.join(logDir, file), { force: true });
  }

  log(`Starting the sandbox tenant at ${tenantOrigin} …`);
  const tsx = path.resolve("node_modules", ".bin", "tsx");
  run(tsx, ["sandbox/main.ts"], childProcessEnv({ SANDBOX_PORT: String(tenantPort), SANDBOX_DATA_DIR: sandboxDir, SANDBOX_CONSOLE_ORIGINS: consoleOrigin }), "The sandbox tenant", "sandbox.log");
  await waitForTenant(30_000);

  const consoleEnv = childProcessEnv({
    GATEHOUSE_MODE: "sandbox",
    GATEHOUSE_ALLOW_SANDBOX_IN_PRODUCTION: "true",
    GATEHOUSE_SANDBOX_URL: tenantOrigin,
    GATEHOUSE_PUBLIC_ORIGIN: consoleOrigin,
    GATEHOUSE_DATA_DIR: dataDir,
    NODE_EXTRA_CA_CERTS: caPath,
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
    run(next, ["start", "-p", String(consolePort), "-H", "localhost"], { ...consoleEnv, NODE_ENV: "production" }, "The console", "console.log");
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
