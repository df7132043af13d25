import "server-only";

import { z } from "zod";

import { getConfig } from "@/lib/config";

const SandboxClock = z.object({ now: z.iso.datetime({ offset: true }) });

/**
 * "Now" for access requests: when access starts, lapses and expires. In azure mode the wall clock. In sandbox mode the
 * sandbox tenant's clock, which tests and demos move forward (`POST /_sandbox/clock/advance`) to see access expire
 * without waiting days; the sandbox is the world the console talks to, so its clock is the one that counts. Falls back
 * to the wall clock if the sandbox does not answer.
 */
export async function requestClock(): Promise<Date> {
  const { mode, sandboxOrigin } = getConfig();
  if (mode !== "sandbox" || !sandboxOrigin) return new Date();
  try {
    const response = await fetch(`${sandboxOrigin}/_sandbox/clock`, { signal: AbortSignal.timeout(2_000), cache: "no-store" });
    if (!response.ok) return new Date();
    return new Date(SandboxClock.parse(await response.json()).now);
  } catch {
    return new Date();
  }
}
