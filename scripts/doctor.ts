/**
 * `npm run doctor`: the setup self-check on demand. With the console's own identity it reads the API app
 * registration, its consents and its Azure roles, and prints one line per thing missing, with the fix
 * (lib/health/self-check.ts). Exit code 0 when nothing is missing, 1 when something is, 2 when a check could not run.
 */
import nextEnv from "@next/env";

import { ConfigError } from "@/lib/config/env.mjs";

async function main(): Promise<number> {
  // The same .env files Next itself reads, so this sees what the server will see.
  nextEnv.loadEnvConfig(process.cwd(), false, { info: () => undefined, error: console.error });
  const [{ getDatabase }, { checkConsoleSetup }, { formatSelfCheck }] = await Promise.all([
    import("@/lib/db"),
    import("@/lib/health/run-self-check"),
    import("@/lib/health/self-check"),
  ]);
  const report = await checkConsoleSetup(await getDatabase());
  for (const line of formatSelfCheck(report)) console.log(line);
  if (report.findings.some((finding) => finding.kind === "missing")) return 1;
  return report.findings.some((finding) => finding.kind === "unverified") ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : `Gatehouse self-check could not run: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(2);
  },
);
