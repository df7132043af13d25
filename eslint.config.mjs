// @ts-check
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

/**
 * Files allowed to read `process.env`. Everything else takes settings from the typed config module, so a missing or
 * invalid setting fails once at start-up instead of at first use somewhere deep in a request.
 */
const ENV_READERS = [
  "lib/config/env.mjs", // the console's config module
  "sandbox/config.ts", // the sandbox tenant's own config module (a separate program)
  "test/support/test-env.ts", // test-only settings (TEST_DATABASE_URL, CHROMIUM_PATH)
  "playwright.config.ts", // build/test tool configuration
  "instrumentation.ts", // reads only NEXT_RUNTIME, Next's documented runtime switch (inlined at build)
];

export default tseslint.config(
  { ignores: [".next/**", "node_modules/**", ".data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      curly: ["error", "multi-line"],
      eqeqeq: ["error", "always"],
      "no-restricted-syntax": [
        "error",
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: "Read settings from the config module (lib/config), the only code that reads process.env.",
        },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "next/cache",
              importNames: ["revalidatePath", "revalidateTag", "refresh"],
              message:
                "Every page is dynamic, so there is no server cache to invalidate. Revalidating in a server action makes Next render the " +
                "current page again inside the action's reply (the result waits for it), and the component then renders it once more: " +
                "after a change, the component calls router.refresh(), or router.push() to where the change shows.",
            },
          ],
          patterns: [
            {
              group: ["**/config/env.mjs", "@/lib/config/env.mjs"],
              message: "Import getConfig from @/lib/config; env.mjs is loaded directly only by next.config.mjs and scripts/.",
            },
          ],
        },
      ],
    },
  },
  { files: ENV_READERS, rules: { "no-restricted-syntax": "off" } },
  {
    files: ["lib/config/index.ts", "scripts/**", "bench/run.ts", "next.config.mjs", "**/*.test.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // The sandbox tenant is a program of its own: it never imports the console, and its relative imports name modules
    // without an extension, like the rest of the repository (tsx, Vitest, Playwright and tsc resolve them alike).
    files: ["sandbox/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.{1,2}/.*\\.[cm]?[jt]sx?$",
              message: 'Relative imports in sandbox/ have no file extension ("./tenant/index", not "./tenant/index.js").',
            },
            {
              regex: "^(@/|(\\.\\./)+)(lib|app|components)(/|$)",
              message: "The sandbox never imports the console (lib/, app/, components/); shared ids live in sandbox/contract.ts.",
            },
          ],
        },
      ],
    },
  },
  {
    // Plain JavaScript config files have no type information to lint with.
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { program: null, project: false, projectService: false },
      globals: { process: "readonly", URL: "readonly", console: "readonly" },
    },
  },
);
