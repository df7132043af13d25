/** Where the end-to-end run's console and sandbox tenant live (kept equal to playwright.config.ts). */
export const CONSOLE_ORIGIN = "http://localhost:3100";
export const TENANT_ORIGIN = "https://localhost:8543";
export const E2E_DATA_DIR = ".data/e2e";
