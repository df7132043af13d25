import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      // `server-only` throws outside React's server condition; tests are server code, so fence it off.
      "server-only": fileURLToPath(new URL("./test/support/server-only.ts", import.meta.url)),
      "@/": fileURLToPath(new URL("./", import.meta.url)),
    },
  },
  test: {
    environment: "node",
    // One sandbox tenant for the run; workers inherit its CA and URL (see the file for why it must be global).
    globalSetup: ["./test/support/global-sandbox.ts"],
    setupFiles: ["./test/support/worker-setup.ts"],
    include: ["**/*.test.ts", "**/*.test.tsx"],
    exclude: ["node_modules/**", ".next/**", ".data/**", "e2e/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: the sandbox and database tests are I/O-bound, so a small pool keeps runs steady.
    maxWorkers: 2,
  },
});
