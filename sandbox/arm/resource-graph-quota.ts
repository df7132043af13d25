/**
 * Resource Graph's per-user query quota, as Microsoft Learn's "Guidance for throttled requests in Azure Resource Graph"
 * (governance/resource-graph/concepts/guidance-for-throttled-requests.md) describes it: a quota per user per time
 * window (its example: 15 queries every 5 seconds), reported on every query answer in `x-ms-user-quota-remaining`
 * (int) and `x-ms-user-quota-resets-after` (hh:mm:ss), and reset to the full quota when the window ends. Each query,
 * a page fetched with `$skipToken` included, costs one.
 *
 * Over quota the answer is 429 with Resource Graph's `RateLimiting` body (as quoted from a live answer in
 * Azure/azure-cli-extensions#3325). The guidance tells clients to wait `x-ms-user-quota-resets-after`; it documents no
 * `Retry-After`, so none is sent: a client that only honours `Retry-After` is caught here, not in production.
 */
import type { Caller, SandboxResponse, SandboxSettings } from "../contract";
import type { ArmContext } from "./context";
import { armJson } from "./responses";

export const QUOTA_REMAINING_HEADER = "x-ms-user-quota-remaining";
export const QUOTA_RESETS_AFTER_HEADER = "x-ms-user-quota-resets-after";

interface QuotaWindow {
  readonly startedAtMs: number;
  used: number;
}

/** `hh:mm:ss`, the format the guidance gives for `x-ms-user-quota-resets-after` (whole seconds, rounded up). */
export function formatResetsAfter(milliseconds: number): string {
  const total = Math.max(0, Math.ceil(milliseconds / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(Math.floor(total / 3600))}:${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
}

/** The quota is the user's; an app-only caller (no user) is counted by its application id. */
function quotaKey(caller: Caller): string {
  return caller.kind === "user" ? `user:${caller.tenantId}:${caller.objectId}` : `app:${caller.tenantId}:${caller.appId}`;
}

export class ResourceGraphQuota {
  private readonly windows = new Map<string, QuotaWindow>();

  /** Charges one query to the caller's window and answers it with `handle`, or refuses it with 429 when none is left. */
  admit(context: ArmContext, handle: () => SandboxResponse): SandboxResponse {
    const { request, settings } = context;
    const { limit, windowMs } = quotaOf(settings);
    const nowMs = request.now.getTime();
    const key = quotaKey(request.caller);
    let window = this.windows.get(key);
    // A window moved into the past by a clock change, or already over, starts afresh.
    if (window === undefined || nowMs >= window.startedAtMs + windowMs || nowMs < window.startedAtMs) {
      window = { startedAtMs: nowMs, used: 0 };
      this.windows.set(key, window);
    }
    const resetsAfter = formatResetsAfter(window.startedAtMs + windowMs - nowMs);
    if (window.used >= limit) {
      return withQuota(throttled(context), 0, resetsAfter);
    }
    window.used++;
    return withQuota(handle(), limit - window.used, resetsAfter);
  }
}

function quotaOf(settings: SandboxSettings): { limit: number; windowMs: number } {
  return { limit: settings.resourceGraphQuotaPerWindow, windowMs: settings.resourceGraphQuotaWindowSeconds * 1000 };
}

function withQuota(response: SandboxResponse, remaining: number, resetsAfter: string): SandboxResponse {
  return { ...response, headers: { ...response.headers, [QUOTA_REMAINING_HEADER]: String(remaining), [QUOTA_RESETS_AFTER_HEADER]: resetsAfter } };
}

function throttled(context: ArmContext): SandboxResponse {
  const { request } = context;
  return armJson(context, 429, {
    error: {
      code: "RateLimiting",
      message: `Please provide below info when asking for support: timestamp = ${request.now.toISOString()}, correlationId = ${request.headers["x-ms-correlation-request-id"] ?? request.requestId}.`,
      details: [
        {
          code: "RateLimiting",
          message:
            "Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed. Please see https://aka.ms/resourcegraph-throttling for help.",
        },
      ],
    },
  });
}
