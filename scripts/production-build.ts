/**
 * The console's production build, made only when it is missing or older than the sources it is built from. Shared by
 * `npm run sandbox` (and so the e2e run) and `npm run bench`, which both run the production build.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** What the build depends on: a change to any of these makes `.next` stale. */
const BUILD_INPUTS = ["app", "components", "lib", "public", "proxy.ts", "next.config.mjs", "package-lock.json", "tailwind.config.ts"];

/** The newest modification time of any source file the build depends on. */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (entry: string): void => {
    if (!existsSync(entry)) return;
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const child of readdirSync(entry)) visit(path.join(entry, child));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  BUILD_INPUTS.forEach(visit);
  return newest;
}

export function buildIsCurrent(): boolean {
  const buildId = path.join(".next", "BUILD_ID");
  return existsSync(buildId) && statSync(buildId).mtimeMs >= newestSourceMtime();
}

/** Runs `next build` with `env` when the build is stale; resolves to whether a build ran. Throws when it fails. */
export async function ensureProductionBuild(env: NodeJS.ProcessEnv, log: (message: string) => void): Promise<boolean> {
  if (buildIsCurrent()) return false;
  log("Building the console (first run, or sources changed) …");
  const code = await new Promise<number>((resolve) => {
    const child = spawn(path.resolve("node_modules", ".bin", "next"), ["build"], {
      env: { ...env, NODE_ENV: "production" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("exit", (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0) throw new Error("next build failed");
  return true;
}
