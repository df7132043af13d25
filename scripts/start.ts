/**
 * `npm start` (after `scripts/preflight.ts` has checked the configuration and migrated): serves the production build
 * the way the container does, `node .next/standalone/server.js`, in the foreground.
 *
 *   npm start                     # port 3000 on every interface
 *   npm start -- --port 8080 --hostname 127.0.0.1
 *
 * The standalone server runs in its own directory, so relative paths in the settings are resolved here first, and
 * the `.env` files Next would read are loaded here (the standalone directory has none).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";

import nextEnv from "@next/env";

import { childProcessEnv, loadConfig, serverNodeOptions } from "@/lib/config/env.mjs";
import { prepareStandalone, SERVER_NODE_OPTIONS, withServerMallocDefaults } from "./standalone";

const { values: options } = parseArgs({
  options: {
    port: { type: "string", short: "p", default: "3000" },
    hostname: { type: "string", short: "H", default: "0.0.0.0" },
  },
});

nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
const config = loadConfig({ phase: "runtime" });
const server = prepareStandalone();

const child = spawn(process.execPath, [server], {
  stdio: "inherit",
  // As the container's environment: the allocator's settings, unless the operator's environment sets them.
  env: withServerMallocDefaults(
    childProcessEnv({
      NODE_ENV: "production",
      // As the container's NODE_OPTIONS: the heap limit, which the operator's own NODE_OPTIONS may raise.
      NODE_OPTIONS: serverNodeOptions(SERVER_NODE_OPTIONS),
      PORT: options.port,
      HOSTNAME: options.hostname,
      // Absolute, so that they mean the same inside the standalone directory.
      ...(config.database.kind === "pglite" ? { GATEHOUSE_DATA_DIR: path.dirname(config.database.dataDir) } : {}),
      GATEHOUSE_REQUEST_POLICY_PATH: config.requests.policyPath,
    }),
  ),
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
