import "server-only";

import { DEFAULT_CHANNEL, getConfig } from "@/lib/config";

export { DEFAULT_CHANNEL };

/** A configured chat channel as the console may show it: name, kind and host, never the URL (a secret). */
export interface ChannelSummary {
  readonly name: string;
  readonly kind: "teams" | "slack";
  readonly host: string;
}

/** The configured chat channels (GATEHOUSE_NOTIFICATION_CHANNELS, and the legacy webhook as `default`), by name. */
export function configuredChannels(): ChannelSummary[] {
  return Object.entries(getConfig().notifications.channels)
    .map(([name, channel]) => ({ name, kind: channel.kind, host: channel.host }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The channels that hear of something a route covers: the route's own channels, or, when it names none (or nothing
 * matched), the `default` channel if one is configured.
 */
export function channelsFor(routeChannels: readonly string[] | undefined): string[] {
  if (routeChannels && routeChannels.length > 0) return [...new Set(routeChannels)];
  return Object.hasOwn(getConfig().notifications.channels, DEFAULT_CHANNEL) ? [DEFAULT_CHANNEL] : [];
}
