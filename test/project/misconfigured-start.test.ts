import { spawnSync } from "node:child_process";

import { describe, expect, it } from "vitest";

import { baseChildEnv } from "@/test/support/test-env";

/** Runs `npm start` exactly as an operator would, with only the given settings. */
function start(settings: Record<string, string>) {
  return spawnSync("npm", ["start", "--silent"], {
    env: { ...baseChildEnv(), ...settings } as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("starting with a bad configuration", () => {
  it("azure mode without a tenant id exits non-zero with one message naming the setting", () => {
    const result = start({ NODE_ENV: "production", GATEHOUSE_MODE: "azure", GATEHOUSE_DATA_DIR: ".data/misconfigured" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^Gatehouse cannot start: \d+ configuration problems/m);
    expect(result.stderr).toContain("AZURE_TENANT_ID: required in azure mode");
    // A clear message, not a stack trace.
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("sandbox mode in production without the demo flag is refused", () => {
    const result = start({ NODE_ENV: "production", GATEHOUSE_DATA_DIR: ".data/misconfigured" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("GATEHOUSE_MODE: sandbox mode is refused when NODE_ENV=production");
  });
});
