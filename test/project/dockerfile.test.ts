/**
 * The container image, checked offline (no Docker engine is needed): the Dockerfile's stages and final image, and
 * the build context .dockerignore leaves — everything the build needs, nothing it must not see.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { SERVER_MALLOC_ENVIRONMENT, SERVER_NODE_OPTIONS } from "@/scripts/standalone";
import { productionEntries, reachablePackages } from "@/test/support/import-graph";

const ROOT = process.cwd();

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Instructions of a Dockerfile (continuation lines joined, comments dropped), grouped by stage. */
export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ from: match?.[1] ?? "", name: match?.[2], instructions: [] });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

/** Docker's .dockerignore rules: root-relative patterns, `*`, `**`, `?`, `!` exceptions, the last match wins. */
export function dockerIgnored(patterns: string[], file: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, "");
    const regex = new RegExp(
      `^${pattern
        .split("**")
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, "[^/]*")
            .replace(/\?/g, "[^/]"),
        )
        .join(".*")}(/.*)?$`,
    );
    if (regex.test(file)) ignored = !negated;
  }
  return ignored;
}

const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, "Dockerfile"), "utf8"));
const ignorePatterns = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line !== "" && !line.startsWith("#"));

describe("the Dockerfile", () => {
  const final = dockerfile.stages.at(-1)!;
  const named = (keyword: string, stage: Stage = final) => stage.instructions.filter((instruction) => instruction.keyword === keyword);

  it("builds in stages and runs from a final stage of its own", () => {
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(["deps", "build", "runtime"]);
    // One pinned base image line, set by a build argument.
    expect(dockerfile.args.map((arg) => `${arg.keyword} ${arg.args}`)).toHaveLength(1);
    expect(`${dockerfile.args[0]?.keyword} ${dockerfile.args[0]?.args}`).toMatch(/^ARG NODE_IMAGE=node:\d+-bookworm-slim$/);
    for (const stage of dockerfile.stages) expect(stage.from).toBe("${NODE_IMAGE}");
  });

  it("installs production dependencies only, and builds with them", () => {
    const deps = dockerfile.stages[0]!;
    expect(named("RUN", deps).map((run) => run.args)).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    expect(named("COPY", deps).map((copy) => copy.args)).toEqual(["package.json package-lock.json ./"]);
    const build = dockerfile.stages[1]!;
    expect(named("COPY", build).map((copy) => copy.args)).toEqual(["--from=deps /src/node_modules ./node_modules", ". ."]);
    expect(named("RUN", build)[0]!.args).toMatch(
      /^npm run build && cp -R \.next\/static \.next\/standalone\/\.next\/static && cp -R public \.next\/standalone\/public$/,
    );
  });

  it("the final image holds the standalone output only: no sources, no `COPY . .`, no package manager", () => {
    const copies = named("COPY");
    expect(copies.map((copy) => copy.args)).toEqual(["--from=build --chown=root:root /src/.next/standalone ./"]);
    expect(named("ADD")).toEqual([]);
    const runs = named("RUN").map((run) => run.args);
    expect(runs).toHaveLength(1);
    for (const tool of ["/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/corepack", "/usr/local/lib/node_modules/npm"]) {
      expect(runs[0]).toContain(tool);
    }
    expect(runs[0]).not.toMatch(/npm (ci|install)|apt-get install/);
  });

  it("runs as a non-root user, with writable paths only where a volume or tmpfs goes", () => {
    const users = named("USER").map((user) => user.args);
    expect(users).toEqual(["node"]);
    // USER comes after every instruction that needs root.
    expect(final.instructions.findIndex((instruction) => instruction.keyword === "USER")).toBeGreaterThan(
      final.instructions.findLastIndex((instruction) => instruction.keyword === "RUN"),
    );
    expect(named("VOLUME").map((volume) => volume.args)).toEqual(['["/data"]']);
    const environment = named("ENV")
      .map((env) => env.args)
      .join(" ");
    expect(environment).toContain("GATEHOUSE_DATA_DIR=/data");
    expect(environment).toContain("HOSTNAME=0.0.0.0");
    expect(environment).not.toMatch(/SECRET|PASSWORD|TOKEN/i);
    expect(
      dockerfile.stages
        .flatMap((stage) => stage.instructions)
        .filter((instruction) => instruction.keyword === "ARG" && /SECRET|PASSWORD|TOKEN|KEY/i.test(instruction.args)),
    ).toEqual([]);
  });

  it("checks /api/health and starts `node server.js`", () => {
    const [healthcheck] = named("HEALTHCHECK");
    expect(healthcheck?.args).toMatch(/--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+ CMD \["node", "-e", ".*\/api\/health/);
    expect(existsSync(path.join(ROOT, "app", "api", "health", "route.ts"))).toBe(true);
    expect(named("CMD").map((cmd) => cmd.args)).toEqual(['["node", "server.js"]']);
    // The same Node options as every other start of the standalone server (npm start, the sandbox launcher, the bench),
    // as NODE_OPTIONS: an operator's environment can replace them without a new image.
    const environment = named("ENV")
      .map((env) => env.args)
      .join(" ");
    expect(environment).toContain(`NODE_OPTIONS="${SERVER_NODE_OPTIONS.join(" ")}"`);
    // And the same allocator settings, which glibc reads once, at the process's start.
    for (const [name, value] of Object.entries(SERVER_MALLOC_ENVIRONMENT)) expect(environment).toContain(`${name}=${value}`);
    expect(named("EXPOSE").map((expose) => expose.args)).toEqual(["3000"]);
  });

  it("the parser sees a `COPY . .` in a final stage when there is one (the checks above can fail)", () => {
    const bad = parseDockerfile("FROM node:20 AS build\nRUN true\nFROM node:20\n# comment\nCOPY . .\nRUN npm ci \\\n  --omit=dev\n");
    expect(bad.stages.at(-1)!.instructions).toEqual([
      { keyword: "COPY", args: ". ." },
      { keyword: "RUN", args: "npm ci --omit=dev" },
    ]);
  });
});

describe("the Docker build context", () => {
  const repositoryFiles = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .stdout.split("\n")
    .filter((file) => file !== "" && existsSync(path.join(ROOT, file)));
  const context = repositoryFiles.filter((file) => !dockerIgnored(ignorePatterns, file));

  it("leaves out tests, the sandbox, benchmarks, docs, infrastructure and key material", () => {
    expect(repositoryFiles.length).toBeGreaterThan(100);
    const leaked = context.filter((file) => /^(e2e|test|bench|sandbox|docs|infra|scripts)\//.test(file) || /\.test\.tsx?$/.test(file) || /\.pem$/.test(file));
    expect(leaked).toEqual([]);
    for (const local of [".data/sandbox/ca-key.pem", ".env", ".env.local", "node_modules/next/package.json", ".next/BUILD_ID", ".git/HEAD"]) {
      expect(dockerIgnored(ignorePatterns, local), local).toBe(true);
    }
  });

  it("has every file the build reads: configuration, the app's whole import graph, migrations and the request policy", () => {
    const { visited } = reachablePackages(productionEntries().filter((file) => !file.startsWith("scripts/")));
    const needed = [
      ...visited,
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "next.config.mjs",
      "postcss.config.mjs",
      "tailwind.config.ts",
      "config/request-policy.json",
      "lib/db/migrations/meta/_journal.json",
      "public/favicon.ico",
    ];
    expect(needed.filter((file) => !context.includes(file))).toEqual([]);
    expect(context.filter((file) => file.startsWith("lib/db/migrations/") && file.endsWith(".sql")).length).toBeGreaterThan(3);
  });

  it("follows Docker's pattern rules (the checks above can fail)", () => {
    expect(dockerIgnored(["*.md"], "README.md")).toBe(true);
    expect(dockerIgnored(["*.md"], "docs/deploy.md")).toBe(false);
    expect(dockerIgnored(["**/*.test.ts"], "lib/x/y.test.ts")).toBe(true);
    expect(dockerIgnored([".env.*", "!.env.example"], ".env.example")).toBe(false);
    expect(dockerIgnored(["sandbox"], "sandbox/tls.ts")).toBe(true);
  });
});
