import type { ReadInput, ReadOutput } from "@/lib/actions/reads";
import type { ActionResult } from "@/lib/shared/action-result";
import type { ConsoleRead } from "@/lib/shared/permissions";

/**
 * The console's reads, called from the browser: `POST /api/reads/<name>` with the input as JSON, answered with the
 * same `ActionResult` a server action returns. Reads are not server actions because Next runs a page's server actions
 * one at a time, so a grant clicked while a preview loads would wait for it; these run side by side with anything.
 */
export async function readFromConsole<Name extends ConsoleRead>(name: Name, input: ReadInput<Name>): Promise<ActionResult<ReadOutput<Name>>> {
  let response: Response;
  try {
    response = await fetch(`/api/reads/${name}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: input === undefined ? "" : JSON.stringify(input),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    return { status: "error", code: "upstream_unavailable", message: "Gatehouse could not be reached. Check your connection and try again." };
  }
  const answer = (await response.json().catch(() => undefined)) as ActionResult<ReadOutput<Name>> | undefined;
  if (answer?.status === "success" || answer?.status === "error") return answer;
  // Not the console's own answer (a proxy's error page, a cut-off body): say so without showing what came back.
  return {
    status: "error",
    code: "internal",
    message: `Gatehouse did not answer as expected (HTTP ${response.status}). Try again; if it keeps happening, tell your admin.`,
  };
}

type Read<Name extends ConsoleRead> = (input: ReadInput<Name>) => Promise<ActionResult<ReadOutput<Name>>>;
const reader =
  <Name extends ConsoleRead>(name: Name): Read<Name> =>
  (input) =>
    readFromConsole(name, input);

export const verifyAzureAccess = reader("verifyAzureAccess");
export const searchSessions = reader("searchSessions");
export const searchPrincipals = reader("searchPrincipals");
export const checkWorkspaceAccess = reader("checkWorkspaceAccess");
export const getGrantOptions = reader("getGrantOptions");
export const previewPermissionDelta = reader("previewPermissionDelta");
export const planBundleGrant = reader("planBundleGrant");
export const previewBundleDelta = reader("previewBundleDelta");
export const mappingRoleOptions = reader("mappingRoleOptions");
export const previewGroupMembers = reader("previewGroupMembers");
export const exportMappings = reader("exportMappings");
export const checkMappingDrift = reader("checkMappingDrift");
export const getCredentialRefreshStatus = reader("getCredentialRefreshStatus");
export const verifyAuditChain = reader("verifyAuditChain");
