import { e2eTarget } from "../../test/support/test-env";

/** Where the end-to-end run's console and sandbox tenant live (the same settings playwright.config.ts uses). */
const target = e2eTarget();
export const CONSOLE_ORIGIN = `http://localhost:${target.consolePort}`;
export const TENANT_ORIGIN = `https://localhost:${target.tenantPort}`;
export const E2E_DATA_DIR = target.dataDir;
