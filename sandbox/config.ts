/**
 * Sandbox settings from the environment. The only module in `sandbox/` that reads `process.env`.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { SANDBOX_CLOUD_NAMES, type SandboxCloudName } from "./clouds";

export type SandboxScale = "default" | "large" | "large-estate";

export interface SandboxConfig {
  readonly port: number;
  /** Always a loopback address: the sandbox must never be reachable from another machine. */
  readonly host: string;
  readonly dataDir: string;
  readonly seed: number;
  readonly scale: SandboxScale;
  /** Load `state.json` at start and write it on exit. */
  readonly persist: boolean;
  /** Fixed latency added to every Graph and ARM call. */
  readonly latencyMs: number;
  readonly consoleOrigins: readonly string[];
  /** Port of the managed-identity endpoint (0: any free port; tenant.json says which). */
  readonly identityPort: number;
  /** `federated`: the console API app has only its managed identity's federated credential (no secret, no certificate). */
  readonly consoleCredentials: "all" | "federated";
  /** The Azure cloud the tenant emulates (its resource ids, exchange audience and v1 issuer); see clouds.ts. */
  readonly cloud: SandboxCloudName;
}

export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host.toLowerCase().startsWith("::ffff:127.");
  return false;
}

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ["", "0", "1", "true", "false", "yes", "no", "on", "off"].includes(value), {
    message: "must be one of 1, 0, true, false, yes, no, on, off",
  })
  .transform((value) => ["1", "true", "yes", "on"].includes(value));

const integerIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: "must be a whole number" })
    .transform(Number)
    .refine((value) => value >= min && value <= max, { message: `must be between ${min} and ${max}` });

const environmentSchema = z.object({
  SANDBOX_PORT: integerIn(0, 65535).default(8443),
  SANDBOX_HOST: z
    .string()
    .trim()
    .refine(isLoopbackHost, { message: "must be a loopback address (127.0.0.1, ::1 or localhost); the sandbox never listens on a network interface" })
    .default("127.0.0.1"),
  SANDBOX_DATA_DIR: z.string().trim().min(1, { message: "must not be empty" }).default(".data/sandbox"),
  SANDBOX_SEED: integerIn(0, 2 ** 31 - 1).default(1),
  SANDBOX_SCALE: z.enum(["default", "large", "large-estate"], { message: "must be 'default', 'large' or 'large-estate'" }).default("default"),
  SANDBOX_PERSIST: booleanFlag.default(false),
  SANDBOX_LATENCY_MS: integerIn(0, 60_000).default(0),
  // Extra origins the console is served from (e.g. the e2e run's port), registered as SPA redirect URIs.
  SANDBOX_CONSOLE_ORIGINS: z
    .string()
    .trim()
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin !== ""),
    )
    .refine((origins) => origins.every((origin) => /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/.test(origin)), {
      message: "must be a comma-separated list of loopback origins such as http://localhost:3100",
    })
    .default([]),
  SANDBOX_IDENTITY_PORT: integerIn(0, 65535).default(0),
  SANDBOX_CONSOLE_CREDENTIALS: z.enum(["all", "federated"], { message: "must be 'all' or 'federated'" }).default("all"),
  SANDBOX_CLOUD: z.enum(SANDBOX_CLOUD_NAMES, { message: "must be 'public', 'usgov' or 'china'" }).default("public"),
});

export class SandboxConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid sandbox settings:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "SandboxConfigError";
  }
}

/** Reads the SANDBOX_* variables; throws one error listing every bad setting. */
export function loadSandboxConfig(environment: NodeJS.ProcessEnv = process.env): SandboxConfig {
  const relevant = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .map((name) => [name, environment[name]] as const)
      .filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environmentSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      return `${name}=${JSON.stringify(environment[name] ?? "")}: ${issue.message}`;
    });
    throw new SandboxConfigError(problems);
  }
  const value = parsed.data;
  return {
    port: value.SANDBOX_PORT,
    host: value.SANDBOX_HOST === "localhost" ? "127.0.0.1" : value.SANDBOX_HOST,
    dataDir: value.SANDBOX_DATA_DIR,
    seed: value.SANDBOX_SEED,
    scale: value.SANDBOX_SCALE,
    persist: value.SANDBOX_PERSIST,
    latencyMs: value.SANDBOX_LATENCY_MS,
    consoleOrigins: value.SANDBOX_CONSOLE_ORIGINS,
    identityPort: value.SANDBOX_IDENTITY_PORT,
    consoleCredentials: value.SANDBOX_CONSOLE_CREDENTIALS,
    cloud: value.SANDBOX_CLOUD,
  };
}

/**
 * The tenant `npm run bench` measures against: SANDBOX_SCALE and SANDBOX_LATENCY_MS when set (validated like every
 * sandbox setting), otherwise the large tenant with 40 ms added to every Graph and ARM call.
 */
export function benchSandboxSettings(environment: NodeJS.ProcessEnv = process.env): { scale: SandboxScale; latencyMs: number } {
  const config = loadSandboxConfig(environment);
  return {
    scale: environment.SANDBOX_SCALE ? config.scale : "large",
    latencyMs: environment.SANDBOX_LATENCY_MS ? config.latencyMs : 40,
  };
}
