/**
 * The repository stands alone: a clone with nothing beside it passes its tests. Two checks: no file in the
 * repository names a path that leaves it (static), and the conformance suite, the tests that read public API
 * examples from disk, passes in a copy of the repository placed in an empty folder (dynamic).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { baseChildEnv } from "@/test/support/test-env";

const ROOT = process.cwd();

/** Files that would be in a clone of the working tree: tracked and new ones, minus those deleted and ignored. */
function repositoryFiles(): string[] {
  const run = (args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  const deleted = new Set(run(["ls-files", "--deleted"]));
  return [...new Set(run(["ls-files", "--cached", "--others", "--exclude-standard"]))].filter(
    (file) => !deleted.has(file) && existsSync(path.join(ROOT, file)),
  );
}

const TEXT = /\.(ts|tsx|mts|mjs|cjs|js|json|md|sh|yml|yaml|toml)$|(^|\/)(Dockerfile|run)$/;
/** A relative path in a string, a Markdown link or a `new URL(...)`: `../` followed by more path. */
const RELATIVE_PATH = /(?:["'`(]|^|\s)((?:\.\.\/)+[\w.@-][^"'`)\s]*)/gm;

describe("the repository stands alone", () => {
  it("no file names a path outside the repository", () => {
    const escaping: string[] = [];
    const files = repositoryFiles().filter((file) => TEXT.test(file) && !file.startsWith("sandbox/conformance/fixtures/") && file !== "package-lock.json");
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), "utf8");
      for (const match of text.matchAll(RELATIVE_PATH)) {
        const target = path.resolve(path.dirname(path.join(ROOT, file)), match[1]!);
        if (path.relative(ROOT, target).startsWith("..")) escaping.push(`${file}: ${match[1]}`);
      }
    }
    expect(escaping).toEqual([]);
  });

  it("finds a path that leaves the repository when there is one (the check above can fail)", () => {
    // Built at run time so that this file does not itself hold such a path.
    const sample = `readFileSync(fileURLToPath(new URL("${"../".repeat(3)}elsewhere/reference/x.json", import.meta.url)))`;
    const [match] = [...sample.matchAll(RELATIVE_PATH)];
    expect(path.relative(ROOT, path.resolve(ROOT, "sandbox/graph", match![1]!)).startsWith("..")).toBe(true);
  });

  it("a copy of the repository in an empty folder passes the conformance suite", () => {
    const lonely = mkdtempSync(path.join(tmpdir(), "gatehouse-lone-"));
    const clone = path.join(lonely, "gatehouse");
    try {
      mkdirSync(clone);
      for (const file of repositoryFiles()) cpSync(path.join(ROOT, file), path.join(clone, file), { recursive: false });
      // Installed packages are not part of the repository; `npm ci` would put the same ones here.
      symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
      expect(readdirSync(lonely)).toEqual(["gatehouse"]);
      const quiet: Record<string, string> = { NO_COLOR: "1", CI: "1" };
      const run = spawnSync(
        process.execPath,
        ["node_modules/vitest/vitest.mjs", "run", "--reporter=dot", "sandbox/arm/conformance.test.ts", "sandbox/graph/conformance.test.ts"],
        {
          cwd: clone,
          env: { ...baseChildEnv(), ...quiet } as NodeJS.ProcessEnv,
          encoding: "utf8",
          timeout: 170_000,
        },
      );
      // eslint-disable-next-line no-control-regex -- strips colour codes
      const output = `${run.stdout}\n${run.stderr}`.replace(/\u001b\[[0-9;]*m/g, "");
      expect(output).not.toMatch(/ENOENT/);
      expect(run.status, output.slice(-3000)).toBe(0);
      expect(output).toMatch(/Tests\s+\d+ passed/);
    } finally {
      rmSync(lonely, { recursive: true, force: true });
    }
  }, 180_000);
});
