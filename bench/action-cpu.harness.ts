/**
 * CPU per server action in-process: the real `checkWorkspaceAccess` wrapper and its parts, called by 20 sessions at
 * once against the shared test sandbox, with `process.cpuUsage` per call and a V8 profile of each phase. Only
 * `next/headers` is stood in for (per call, so concurrent calls keep their own cookie). Run with
 *
 *   npx vitest run --config bench/action-cpu.vitest.config.ts
 *
 * A V8 profile of each phase goes to $TMPDIR/gatehouse-action-cpu/, for bench/profile-summary.ts.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { mkdirSync, writeFileSync } from "node:fs";
import { Session as InspectorSession } from "node:inspector/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { it, vi } from "vitest";
import { z } from "zod";

const requestCookie = vi.hoisted(() => ({ store: undefined as undefined | { getStore(): string | undefined }, origin: "" }));
vi.mock("next/headers", () => ({
  headers: () => Promise.resolve(new Headers({ origin: requestCookie.origin, "sec-fetch-site": "same-origin" })),
  cookies: () =>
    Promise.resolve({
      get: (name: string) => {
        const value = requestCookie.store?.getStore();
        return name === "__Host-gatehouse-session" && value ? { name, value } : undefined;
      },
      set: () => undefined,
    }),
}));

const cookieOfCall = new AsyncLocalStorage<string>();
requestCookie.store = cookieOfCall;

const { getConfig } = await import("@/lib/config");
const { serverAction } = await import("@/lib/actions/server-action");
const { checkWorkspaceAccess } = (await import("@/lib/actions/reads")).READS;
const { getSession } = await import("@/lib/auth/session");
const { checkRateLimit } = await import("@/lib/security/rate-limit");
const { personaSessionCookie, personaContext } = await import("@/test/support/persona-token");
const { workspaceScope } = await import("@/lib/shared/arm-scope");
const { createTenant } = await import("@/sandbox/tenant/index");

requestCookie.origin = getConfig().publicOrigin;

const PROFILE_DIR = path.join(tmpdir(), "gatehouse-action-cpu");
const SESSIONS = 20;
const CALLS = 400;

const oracle = createTenant({ seed: 1, scale: "default" });
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const input = { workspaceId: workspaceScope(fraud.subscriptionId, fraud.resourceGroup, fraud.name), principalId: "" };

/** `calls` calls of `run`, `SESSIONS` at a time, each under one of the cookies; CPU ms per call (user + system). */
async function measure(label: string, cookies: readonly string[], run: () => Promise<unknown>, calls = CALLS): Promise<void> {
  const inspector = new InspectorSession();
  {
    inspector.connect();
    await inspector.post("Profiler.enable");
    await inspector.post("Profiler.setSamplingInterval", { interval: 100 });
    await inspector.post("Profiler.start");
  }
  const before = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    cookies.map(async (cookie) => {
      while (next < calls) {
        next += 1;
        await cookieOfCall.run(cookie, run);
      }
    }),
  );
  const used = process.cpuUsage(before);
  const elapsed = performance.now() - started;
  {
    const { profile } = await inspector.post("Profiler.stop");
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(path.join(PROFILE_DIR, `${label}.cpuprofile`), JSON.stringify(profile));
    inspector.disconnect();
  }
  console.log(
    `${label}: ${((used.user + used.system) / 1000 / calls).toFixed(2)} ms CPU/call (user ${(used.user / 1000 / calls).toFixed(2)}, system ${(used.system / 1000 / calls).toFixed(2)}); ${(elapsed / calls).toFixed(2)} ms wall/call`,
  );
}

it("CPU per action", { timeout: 600_000 }, async () => {
  const personas = ["admin", "limited-admin", "security"] as const;
  const cookies: string[] = [];
  for (let index = 0; index < SESSIONS; index += 1) cookies.push(await personaSessionCookie(personas[index % personas.length]!));
  input.principalId = (await personaContext("admin")).caller.objectId;

  const wrapperOnly = serverAction("checkWorkspaceAccess", z.strictObject({ workspaceId: z.string(), principalId: z.string() }), () => Promise.resolve(null));
  const probe = await cookieOfCall.run(cookies[0]!, () => checkWorkspaceAccess(input));
  if (probe.status !== "success") throw new Error(JSON.stringify(probe));

  // Warm up every path (JIT, the JWKS, on-behalf-of tokens) before measuring.
  await measure("warm-up", cookies, () => checkWorkspaceAccess(input), 200);
  await measure("session", cookies, () => getSession());
  await measure("rate-limit", cookies, () => checkRateLimit("actions", "warm/person"));
  await measure("wrapper", cookies, () => wrapperOnly(input));
  await measure("action", cookies, () => checkWorkspaceAccess(input));
});
