/**
 * A console process doing one bulk grant as the admin persona, for the crash-consistency test, which kills it while
 * ARM is answering. Uses the configured database (the test's PGlite directory) and sandbox, like the console.
 */
import { parseArgs } from "node:util";

import { grantWorkspaceRoles } from "@/lib/workspaces/grant-workspace-roles";
import { personaContext } from "@/test/support/persona-token";

const { values } = parseArgs({ options: { workspace: { type: "string" }, role: { type: "string" }, principals: { type: "string" } } });

async function main(): Promise<void> {
  const admin = await personaContext("admin");
  const principals = (values.principals ?? "").split(",").map((id) => ({ id, kind: "user" as const, displayName: `User ${id.slice(0, 8)}` }));
  console.log("granting");
  const results = await grantWorkspaceRoles(admin, { workspaceId: values.workspace ?? "", roleDefinitionId: values.role ?? "", principals });
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
