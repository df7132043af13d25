/**
 * The server in this run is the standalone one, started as the container starts it: `node server.js` in
 * `.next/standalone` with PORT and HOSTNAME, static files copied beside it. It serves pages, its static assets with
 * immutable caching, and its health endpoint.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { baseChildEnv } from "../../test/support/test-env";
import { CONSOLE_ORIGIN, E2E_DATA_DIR } from "../support/env";

const STANDALONE = path.resolve(".next", "standalone");

/**
 * The Node.js processes started with this run's PORT whose working directory is the standalone directory (Linux
 * /proc). server.js changes into its own directory, and Next renames the process to `next-server (vX)`.
 */
function standaloneServers(port: number): { pid: string; title: string }[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const environment = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        if (!environment.includes(`PORT=${port}`) || readlinkSync(`/proc/${pid}/cwd`) !== STANDALONE) return [];
        if (!path.basename(readlinkSync(`/proc/${pid}/exe`)).startsWith("node")) return [];
        return [{ pid, title: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "" }];
      } catch {
        return []; // gone, or not ours to read
      }
    });
}

test("the console is the standalone server.js, running in its own directory", () => {
  test.skip(!existsSync("/proc/self/cmdline"), "reads the process table from /proc (Linux)");
  const servers = standaloneServers(Number(new URL(CONSOLE_ORIGIN).port));
  expect(servers).toHaveLength(1);
  expect(servers[0]!.title).toMatch(/^next-server \(v[\d.]+\)$/);
  const log = readFileSync(path.join(E2E_DATA_DIR, "logs", "console.log"), "utf8");
  expect(log).toContain("Ready");
  expect(log).not.toContain('"next start" does not work');
});

test("it serves the health endpoint, pages and immutable static assets", async ({ request }) => {
  const health = await request.get("/api/health");
  expect(health.status()).toBe(200);
  expect(await health.json()).toEqual({ status: "ok" });

  const signin = await request.get("/signin");
  expect(signin.status()).toBe(200);
  expect(signin.headers()["content-security-policy"]).toMatch(/nonce-/);
  const html = await signin.text();
  const asset = /\/_next\/static\/[^"']+\.js/.exec(html)?.[0];
  expect(asset).toBeDefined();
  const script = await request.get(asset!);
  expect(script.status()).toBe(200);
  expect(script.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  const icon = await request.get("/favicon.ico");
  expect(icon.status()).toBe(200);
});

test("started with a bad configuration, the container's command stops with one message naming every problem", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "gatehouse-misconfigured-"));
  try {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      // As the image runs it: `node server.js` in the standalone directory, with only what the container sets.
      const child = spawn(process.execPath, ["server.js"], {
        cwd: STANDALONE,
        env: {
          ...baseChildEnv(),
          NODE_ENV: "production",
          PORT: "0",
          HOSTNAME: "127.0.0.1",
          GATEHOUSE_DATA_DIR: dataDir,
          GATEHOUSE_MODE: "azure",
          AZURE_TENANT_ID: "not-a-guid",
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("error", reject);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Gatehouse cannot start: \d+ configuration problems/m);
    expect(result.stderr).toContain("AZURE_TENANT_ID: must be a GUID");
    expect(result.stderr).toContain("GATEHOUSE_CREDENTIAL: required in azure mode");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
