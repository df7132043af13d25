import { describe, expect, it } from "vitest";
import { SandboxConfigError, benchSandboxSettings, isLoopbackHost, loadSandboxConfig } from "./config";

describe("loadSandboxConfig", () => {
  it("has defaults for everything", () => {
    expect(loadSandboxConfig({ NODE_ENV: "test" })).toEqual({
      port: 8443,
      host: "127.0.0.1",
      dataDir: ".data/sandbox",
      seed: 1,
      scale: "default",
      persist: false,
      latencyMs: 0,
      consoleOrigins: [],
      identityPort: 0,
      consoleCredentials: "all",
      cloud: "public",
    });
  });

  it("reads every setting", () => {
    expect(
      loadSandboxConfig({
        NODE_ENV: "test",
        SANDBOX_PORT: "0",
        SANDBOX_HOST: "::1",
        SANDBOX_DATA_DIR: "/tmp/x",
        SANDBOX_SEED: "42",
        SANDBOX_SCALE: "large",
        SANDBOX_PERSIST: "true",
        SANDBOX_LATENCY_MS: "25",
        SANDBOX_CONSOLE_ORIGINS: "http://localhost:3100, http://127.0.0.1:4000",
        SANDBOX_IDENTITY_PORT: "8544",
        SANDBOX_CONSOLE_CREDENTIALS: "federated",
        SANDBOX_CLOUD: "usgov",
      }),
    ).toEqual({
      port: 0,
      host: "::1",
      dataDir: "/tmp/x",
      seed: 42,
      scale: "large",
      persist: true,
      latencyMs: 25,
      consoleOrigins: ["http://localhost:3100", "http://127.0.0.1:4000"],
      identityPort: 8544,
      consoleCredentials: "federated",
      cloud: "usgov",
    });
  });

  it("lists every bad setting in one error", () => {
    let caught: unknown;
    try {
      loadSandboxConfig({
        NODE_ENV: "test",
        SANDBOX_PORT: "70000",
        SANDBOX_HOST: "0.0.0.0",
        SANDBOX_SCALE: "huge",
        SANDBOX_PERSIST: "maybe",
        SANDBOX_SEED: "-1",
        SANDBOX_CONSOLE_ORIGINS: "https://gatehouse.contoso.com",
        SANDBOX_IDENTITY_PORT: "99999",
        SANDBOX_CONSOLE_CREDENTIALS: "both",
        SANDBOX_CLOUD: "germany",
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SandboxConfigError);
    const problems = (caught as SandboxConfigError).problems.join("\n");
    for (const name of [
      "SANDBOX_PORT",
      "SANDBOX_HOST",
      "SANDBOX_SCALE",
      "SANDBOX_PERSIST",
      "SANDBOX_SEED",
      "SANDBOX_CONSOLE_ORIGINS",
      "SANDBOX_IDENTITY_PORT",
      "SANDBOX_CONSOLE_CREDENTIALS",
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).toContain(`SANDBOX_CLOUD="germany": must be 'public', 'usgov' or 'china'`);
  });

  it("refuses every non-loopback host", () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "example.com", "localhost.example.com"]) {
      expect(isLoopbackHost(host), host).toBe(false);
      expect(() => loadSandboxConfig({ NODE_ENV: "test", SANDBOX_HOST: host })).toThrow(SandboxConfigError);
    }
    for (const host of ["127.0.0.1", "127.0.0.2", "::1", "localhost"]) expect(isLoopbackHost(host), host).toBe(true);
  });
});

describe("benchSandboxSettings", () => {
  it("measures the large tenant with 40 ms a call unless SANDBOX_SCALE / SANDBOX_LATENCY_MS say otherwise", () => {
    expect(benchSandboxSettings({ NODE_ENV: "test" })).toEqual({ scale: "large", latencyMs: 40 });
    expect(benchSandboxSettings({ NODE_ENV: "test", SANDBOX_SCALE: "default", SANDBOX_LATENCY_MS: "0" })).toEqual({ scale: "default", latencyMs: 0 });
    expect(() => benchSandboxSettings({ NODE_ENV: "test", SANDBOX_SCALE: "huge" })).toThrow(SandboxConfigError);
  });
});
