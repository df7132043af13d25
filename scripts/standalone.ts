/**
 * The standalone server (`output: "standalone"`) as the container runs it: `.next/standalone/server.js` with the
 * build's static files and `public/` beside it (Next.js leaves copying them to the deployment; the Dockerfile does the
 * same two copies). Shared by `npm start` and the sandbox launcher.
 */
import { cpSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

export const STANDALONE_DIR = path.resolve(".next", "standalone");
export const STANDALONE_SERVER = path.join(STANDALONE_DIR, "server.js");

/**
 * Node's options for the server, wherever it runs (the Dockerfile's NODE_OPTIONS says the same; a test checks). V8
 * sizes its heap limit from the machine's memory, not the container's (about 4 GB on a 24 GB host), and collects
 * lazily below it: garbage then fills the container's 1 GiB. The console's live heap measured under 100 MB after every
 * bench group (docs/deploy.md "Memory"); PGlite's WebAssembly memory and compiled code are outside this limit. One V8
 * worker thread instead of Node's four: the container has half a CPU, and each worker kept memory of its own
 * (compiling PGlite, collecting garbage); with one, the console measured 30-60 MB smaller after start and at its peak,
 * at no cost in CPU per action.
 */
export const SERVER_NODE_OPTIONS: readonly string[] = ["--max-old-space-size=256", "--v8-pool-size=1"];

/**
 * The memory allocator's settings for the server (glibc's malloc, as in the Debian-based image; musl ignores them).
 * glibc serves a block from its heaps or, above a threshold, from a mapping of its own that goes back to the kernel when
 * freed; by default that threshold rises to the largest block freed so far (up to 32 MB). Node's network reads (64 KB
 * each), request bodies and their copies then stay in the heaps after the garbage collector frees them, resident for
 * good. A fixed 32 KB threshold sends those buffers back on free. `npm run bench -- --only pages,credentials,load,fuzz`
 * taken in turn twice each: 228–230 MB after start-up and sign-in against 254–258 MB, a peak of 383–384 MB against
 * 408–409 MB (the malformed-body fuzz's 900 kB bodies); CPU per server action under load and page times the same.
 */
export const SERVER_MALLOC_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "32768" };

/** A child server's environment with SERVER_MALLOC_ENVIRONMENT's defaults under it: a value already set there wins. */
export function withServerMallocDefaults(environment: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...SERVER_MALLOC_ENVIRONMENT, ...environment };
}

/** Copies `.next/static` and `public/` into the standalone directory; returns the server's path. Throws when unbuilt. */
export function prepareStandalone(): string {
  const buildId = path.resolve(".next", "BUILD_ID");
  if (!existsSync(STANDALONE_SERVER) || !existsSync(buildId)) {
    throw new Error("no standalone build in .next/standalone — run `npm run build` first");
  }
  const standaloneBuildId = path.join(STANDALONE_DIR, ".next", "BUILD_ID");
  if (existsSync(standaloneBuildId) && readFileSync(standaloneBuildId, "utf8") !== readFileSync(buildId, "utf8")) {
    throw new Error(".next/standalone is from another build than .next — run `npm run build` again");
  }
  for (const [from, to] of [
    [path.resolve(".next", "static"), path.join(STANDALONE_DIR, ".next", "static")],
    [path.resolve("public"), path.join(STANDALONE_DIR, "public")],
  ] as const) {
    rmSync(to, { recursive: true, force: true });
    if (existsSync(from)) cpSync(from, to, { recursive: true });
  }
  removeDevelopmentPackages();
  return STANDALONE_SERVER;
}

/**
 * Removes from the standalone server's `node_modules` every package a production install (`npm ci --omit=dev`, as
 * the Dockerfile does before building) would not have. Next.js traces optional requires to whatever is installed:
 * built on a developer's machine, PGlite's never-used `require("ws")` would ship the `ws` a test library installed,
 * and the server run here would differ from the one in the container.
 */
function removeDevelopmentPackages(): void {
  const lock = JSON.parse(readFileSync(path.resolve("package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const production = new Set(
    Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith("node_modules/") && !entry.dev && !entry.devOptional)
      .map(([key]) => key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)),
  );
  const modules = path.join(STANDALONE_DIR, "node_modules");
  if (!existsSync(modules)) return;
  for (const name of readdirSync(modules)) {
    if (name.startsWith(".")) continue;
    const packages = name.startsWith("@") ? readdirSync(path.join(modules, name)).map((scoped) => `${name}/${scoped}`) : [name];
    for (const pkg of packages) {
      if (!production.has(pkg)) rmSync(path.join(modules, pkg), { recursive: true, force: true });
    }
  }
}

export interface FileState {
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Every file and link under the standalone directory with its size and modification time (links not followed).
 * The launcher records it before the server starts; the production e2e run compares it afterwards to prove the
 * server writes nothing into its own directory — the container's root file system is read-only.
 */
export function standaloneFiles(root: string = STANDALONE_DIR): Record<string, FileState> {
  const files: Record<string, FileState> = {};
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        visit(full);
      } else {
        const stat = lstatSync(full);
        files[path.relative(root, full)] = { size: stat.size, mtimeMs: stat.mtimeMs };
      }
    }
  };
  visit(root);
  return files;
}

/** Files added, changed (size or modification time) or removed between two `standaloneFiles()` snapshots. */
export function changedFiles(before: Record<string, FileState>, after: Record<string, FileState>): string[] {
  const changed: string[] = [];
  for (const [file, state] of Object.entries(after)) {
    const previous = before[file];
    if (!previous) changed.push(`added ${file}`);
    else if (previous.size !== state.size || previous.mtimeMs !== state.mtimeMs) changed.push(`changed ${file}`);
  }
  for (const file of Object.keys(before)) if (!(file in after)) changed.push(`removed ${file}`);
  return changed.sort();
}
