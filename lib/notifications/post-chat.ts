import "server-only";

import { getConfig, type NotificationChannel, webhookHostAllowed } from "@/lib/config";
import { notificationMessageSchema, type NotificationMessage } from "./message";
import { renderSlackMessage } from "./slack-blocks";
import { renderTeamsMessage } from "./teams-card";

/**
 * Why a chat post failed, in words an admin may read on the notifications page and in the logs: the channel, the
 * status and a short reason; never the webhook URL (its signature) and never the upstream body. `retry: false` when
 * trying again cannot help; `retryAfterMs` when the service said how long to wait.
 */
export class ChatDeliveryError extends Error {
  readonly retry: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(reason: string, options: { retry: boolean; retryAfterMs?: number | undefined }) {
    super(reason);
    this.name = "ChatDeliveryError";
    this.retry = options.retry;
    this.retryAfterMs = options.retryAfterMs;
  }
}

const KIND_LABELS = { teams: "Teams", slack: "Slack" } as const;

/** Why each final refusal cannot be retried (Teams Workflows and Slack incoming webhooks answer these). */
const REFUSALS: Record<number, string> = {
  400: "the message was refused as invalid",
  401: "the webhook refused the post (not authorized)",
  403: "the webhook refused the post (disabled, or posting is not allowed)",
  404: "the webhook was not found (deleted or its URL changed)",
  410: "the channel is gone or archived",
  413: "the message is too large",
};

/**
 * Posts a stored message to the named channel, rendered for its kind: an Adaptive Card for a Teams Workflows webhook,
 * Block Kit for Slack. Throws `ChatDeliveryError`. No redirect is followed: the URL's host was allow-listed at
 * start-up, and a redirect must not take the post (and the card's contents) anywhere else.
 */
export async function postToChannel(name: string, stored: unknown): Promise<void> {
  const { notifications, upstream } = getConfig();
  const channel: NotificationChannel | undefined = Object.hasOwn(notifications.channels, name) ? notifications.channels[name] : undefined;
  if (!channel) throw new ChatDeliveryError(`no chat channel named ${name.slice(0, 63)} is configured`, { retry: false });
  const label = `${KIND_LABELS[channel.kind]} channel ${name}`;
  // Checked at start-up too; checked again so no code path posts to a host the operator did not allow.
  if (!webhookHostAllowed(channel.host, notifications.webhookHosts)) {
    throw new ChatDeliveryError(`${label}: the host ${channel.host} is not among the allowed webhook hosts`, { retry: false });
  }
  const parsed = notificationMessageSchema.safeParse(stored);
  if (!parsed.success) throw new ChatDeliveryError(`${label}: the stored message cannot be read`, { retry: false });
  const message: NotificationMessage = parsed.data;
  const payload = channel.kind === "teams" ? renderTeamsMessage(message) : renderSlackMessage(message);

  let response: Response;
  try {
    response = await fetch(channel.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(upstream.timeoutMs),
      redirect: "error",
    });
  } catch (error) {
    throw networkFailure(label, channel.host, error, upstream.timeoutMs);
  }
  // Teams Workflows answer 202 Accepted, Slack 200 "ok".
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  const status = response.status;
  // Slack names the refusal in a short code (invalid_blocks, channel_not_found, …): shown when it is one.
  const text = channel.kind === "slack" ? (await response.text().catch(() => "")).trim() : (await response.body?.cancel(), "");
  const code = /^[a-z_]{1,40}$/.test(text) ? ` (${text})` : "";
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? retryAfterOf(response.headers.get("retry-after")) : undefined;
    const reason = status === 429 ? "throttled" : status === 408 ? "timed out" : "the service failed";
    throw new ChatDeliveryError(`${label} answered ${status}${code}: ${reason}`, { retry: true, retryAfterMs });
  }
  throw new ChatDeliveryError(`${label} answered ${status}${code}: ${REFUSALS[status] ?? "the post was refused"}`, { retry: false });
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterOf(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkFailure(label: string, host: string, error: unknown, timeoutMs: number): ChatDeliveryError {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new ChatDeliveryError(`${label}: no answer from ${host} within ${Math.round(timeoutMs / 1000)} s`, { retry: true });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  if (cause && /redirect/i.test(cause.message)) {
    // The webhook answered 3xx. Following it is refused; trying again would get the same answer.
    return new ChatDeliveryError(`${label} answered with a redirect, which is not followed (check the webhook URL)`, { retry: false });
  }
  const code = cause && "code" in cause && typeof cause.code === "string" && /^[A-Z0-9_]{1,40}$/.test(cause.code) ? ` (${cause.code})` : "";
  return new ChatDeliveryError(`${label}: could not reach ${host}${code}`, { retry: true });
}
