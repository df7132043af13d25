/**
 * `state.json` in the data directory (`SANDBOX_PERSIST`): the tenant, the run-time settings and what Entra remembers
 * (refresh tokens, sign-in sessions), so a restarted sandbox carries on where it stopped.
 */
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SandboxSettings } from "./contract";
import type { EntraState, EntraStateSnapshot } from "./entra/state";
import { type Tenant, restoreTenant } from "./tenant/index";

const STATE_FILE = "state.json";

interface PersistedState {
  readonly version: 1;
  readonly seed: number;
  readonly scale: "default" | "large" | "large-estate";
  readonly settings: SandboxSettings;
  readonly tenant: unknown;
  readonly entra: EntraStateSnapshot;
}

/** What a running sandbox is made of, as far as `state.json` keeps it. */
export interface SandboxState {
  readonly seed: number;
  readonly scale: "default" | "large" | "large-estate";
  readonly settings: SandboxSettings;
  readonly tenant: Tenant;
}

function statePath(dataDir: string): string {
  return join(dataDir, STATE_FILE);
}

/**
 * Reads `state.json` if there is one: the tenant is rebuilt, and Entra's sessions and refresh tokens go back into
 * `entraState`. Undefined when the file does not exist.
 */
export async function restoreState(dataDir: string, entraState: EntraState): Promise<SandboxState | undefined> {
  const path = statePath(dataDir);
  if (!existsSync(path)) return undefined;
  const restored = JSON.parse(await readFile(path, "utf8")) as PersistedState;
  const tenant = restoreTenant(restored.tenant);
  entraState.restore(restored.entra);
  return { seed: restored.seed, scale: restored.scale, settings: restored.settings, tenant };
}

/** Writes `state.json` (through a temporary file, so a crash never leaves half a file) and returns its path. */
export async function persistState(dataDir: string, state: SandboxState, entraState: EntraState): Promise<string> {
  const path = statePath(dataDir);
  const persisted: PersistedState = {
    version: 1,
    seed: state.seed,
    scale: state.scale,
    settings: { ...state.settings },
    tenant: state.tenant.snapshot(),
    entra: entraState.snapshot(),
  };
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(persisted), { mode: 0o600 });
  await rename(temporary, path);
  return path;
}
