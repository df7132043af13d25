// @ts-check
import { PHASE_PRODUCTION_BUILD } from "next/constants.js";

import { loadConfig } from "./lib/config/env.mjs";

/**
 * Baseline hardening. The Content-Security-Policy (with a per-request nonce) and HSTS depend on the running mode,
 * so `proxy.ts` sets them at request time; the headers here hold for every mode and are baked into the build.
 */
const STATIC_SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
];

/** @param {string} phase */
export default function nextConfig(phase) {
  // One build serves every mode; the running server (`next start`, `next dev`) validates the full configuration and
  // refuses to start on any problem.
  const config = loadConfig({ phase: phase === PHASE_PRODUCTION_BUILD ? "build" : "runtime" });

  /** @type {import("next").NextConfig} */
  const settings = {
    output: "standalone",
    poweredByHeader: false,
    reactStrictMode: true,
    images: { unoptimized: true },
    serverExternalPackages: ["@electric-sql/pglite", "pg"],
    // `npm test` type-checks the whole project with `tsc --noEmit` (app, sandbox, tests, scripts); checking the app
    // again inside every build only adds minutes.
    typescript: { ignoreBuildErrors: true },
    experimental: {
      serverActions: {
        // The standalone server runs with the configuration of its build (required-server-files.json), so a build must
        // not bake in one deployment's origin: built, Next accepts an action only from its own host (Host or
        // X-Forwarded-Host); the console's own check compares the Origin with the running GATEHOUSE_PUBLIC_ORIGIN.
        allowedOrigins: phase === PHASE_PRODUCTION_BUILD ? [] : config.serverActionsAllowedOrigins,
        // Next refuses a larger action body with 413 before decoding it (the action never runs); the largest real
        // input, a mappings import of 5,000 entries, stays well under it. Route handlers cap their own bodies
        // (lib/security/body-limit.ts).
        bodySizeLimit: "1mb",
      },
    },
    async headers() {
      return [
        { source: "/:path*", headers: STATIC_SECURITY_HEADERS },
        // The redirect bridge (lib/shared/browser-auth.ts) is loaded in a hidden iframe of the console's own page by a
        // silent renewal; the later rule wins for the same header. Its CSP says the same (frame-ancestors 'self').
        { source: "/auth/redirect", headers: [{ key: "X-Frame-Options", value: "SAMEORIGIN" }] },
      ];
    },
  };
  return settings;
}
