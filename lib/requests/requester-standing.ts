import "server-only";

import { z } from "zod";

import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { appGraphClient, graphError } from "@/lib/graph/client";
import { readAllPages } from "@/lib/graph/pages";
import { recheckDeleted } from "@/lib/graph/principals";
import { PERMISSIONS } from "@/lib/shared/permissions";
import type { Identity } from "./decision-guards";
import { verifyPrincipals } from "./verify";

/**
 * Whether the person who filed a request still stands behind it when it is decided: they still exist in the directory
 * and still hold a console role that may file requests. Their token is not there at decision time, so the console
 * reads their app-role assignments itself (Graph as the console: Application.Read.All, GroupMember.Read.All), as it
 * reads the approvers (`findApprovers`).
 */
export type RequesterStanding =
  | "ok"
  | "deleted"
  /** Still in the directory, but their account is disabled (`accountEnabled: false`): they could not sign in to ask now. */
  | "disabled"
  | "no_role"
  /**
   * The requester signed in from another allowed tenant: their console role is assigned on the console's enterprise
   * app in *their* tenant, which the console's identity cannot read. Only the deletion check of the principal applies.
   */
  | "other_tenant";

const ServicePrincipal = z.object({
  value: z.array(z.object({ id: z.string(), appRoles: z.array(z.object({ id: z.string(), value: z.string().nullable().optional() })).default([]) })),
});
const Assignment = z.object({ appRoleId: z.string(), principalId: z.string(), principalType: z.string() });
const Member = z.object({ id: z.string() });
const Group = z.object({ securityEnabled: z.boolean().nullable().optional() });

/** The console roles that may file a request, from the permission matrix. */
const FILING_ROLES: readonly string[] = PERMISSIONS.submitAccessRequest.allowed;

/**
 * Whether `userId` holds one of `roleValues` on the console's API app: assigned directly, or as a *direct* member of an
 * assigned security group (Entra gives app roles through neither nested groups nor other group types:
 * https://learn.microsoft.com/entra/identity/users/groups-saasapps). Throws when Graph cannot say.
 */
async function holdsConsoleRole(userId: string, roleValues: readonly string[]): Promise<boolean> {
  const client = appGraphClient();
  const id = userId.toLowerCase();
  try {
    const { apiClientId } = getConfig().identity;
    const sp = ServicePrincipal.parse(await client.api("/servicePrincipals").filter(`appId eq '${apiClientId}'`).select(["id", "appRoles"]).get()).value[0];
    if (!sp) throw new Error("the console's API service principal was not found");
    const roleIds = new Set(sp.appRoles.filter((role) => role.value && roleValues.includes(role.value)).map((role) => role.id.toLowerCase()));
    const assignments = (await readAllPages(client, `/servicePrincipals/${sp.id}/appRoleAssignedTo?$top=999`, Assignment)).filter((assignment) =>
      roleIds.has(assignment.appRoleId.toLowerCase()),
    );
    if (assignments.some((assignment) => assignment.principalType === "User" && assignment.principalId.toLowerCase() === id)) return true;
    for (const assignment of assignments.filter((candidate) => candidate.principalType === "Group")) {
      const group = Group.parse(await client.api(`/groups/${assignment.principalId}`).select(["securityEnabled"]).get());
      if (group.securityEnabled !== true) continue;
      const members = await readAllPages(client, `/groups/${assignment.principalId}/members?$select=id&$top=999`, Member);
      if (members.some((member) => member.id.toLowerCase() === id)) return true;
    }
    return false;
  } catch (error) {
    throw error instanceof AppError ? error : graphError(error);
  }
}

/** The requester's standing now (throws when Graph cannot say; the caller refuses to decide then). */
export async function readRequesterStanding(requester: Identity): Promise<RequesterStanding> {
  if (requester.tenantId.toLowerCase() !== getConfig().identity.tenantId.toLowerCase()) return "other_tenant";
  const id = requester.objectId.toLowerCase();
  const found = (await verifyPrincipals([id])).get(id);
  // Absent from one read is not yet deleted (Entra reads are eventually consistent): confirmed one by one.
  if (!found && (await recheckDeleted(appGraphClient(), [id])).get(id) === "deleted") return "deleted";
  if (found?.disabled) return "disabled";
  return (await holdsConsoleRole(requester.objectId, FILING_ROLES)) ? "ok" : "no_role";
}

/**
 * Which of `ids` the directory says are deleted: absent from `getByIds`, then confirmed one by one by a 404 on
 * `GET /directoryObjects/{id}` (Entra reads are eventually consistent; an object that reads back, or cannot be read,
 * is not called deleted). Throws when `getByIds` fails.
 */
export async function findDeletedObjects(ids: readonly string[]): Promise<ReadonlySet<string>> {
  const found = await verifyPrincipals(ids);
  const missing = [...new Set(ids.map((id) => id.toLowerCase()))].filter((id) => !found.has(id));
  if (missing.length === 0) return new Set();
  const rechecked = await recheckDeleted(appGraphClient(), missing);
  return new Set([...rechecked].filter(([, state]) => state === "deleted").map(([id]) => id));
}
