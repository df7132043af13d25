import "server-only";

import { type GatehouseConfig, loadConfig } from "./env.mjs";

export type { GatehouseConfig, NotificationChannel } from "./env.mjs";
export { CHANNEL_NAME, ConfigError, DEFAULT_CHANNEL, webhookHostAllowed } from "./env.mjs";

let cached: GatehouseConfig | undefined;

/** The validated configuration, read once per process. Throws `ConfigError` listing every problem. */
export function getConfig(): GatehouseConfig {
  cached ??= loadConfig({ phase: "runtime" });
  return cached;
}
