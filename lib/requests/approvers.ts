import "server-only";

import { z } from "zod";

import { getConfig } from "@/lib/config";
import { appGraphClient } from "@/lib/graph/client";
import { readAllPages } from "@/lib/graph/pages";
import { describeError, log } from "@/lib/log";

const ServicePrincipal = z.object({
  value: z.array(z.object({ id: z.string(), appRoles: z.array(z.object({ id: z.string(), value: z.string().nullable().optional() })).default([]) })),
});
const Assignment = z.object({ appRoleId: z.string(), principalId: z.string(), principalType: z.string() });
const Member = z.object({ "@odata.type": z.string().optional(), id: z.string() });
const Group = z.object({ securityEnabled: z.boolean().nullable().optional() });

/**
 * Who may approve: everyone holding Console.Admin on the console's API app, directly or as a *direct* member of an
 * assigned security group — Entra gives app roles to nobody through nested groups, so nested members would be mailed
 * and then refused. Read from Graph as the console's own identity (Application.Read.All, GroupMember.Read.All). Empty
 * when Graph cannot say.
 */
export async function findApprovers(): Promise<string[]> {
  try {
    const client = appGraphClient();
    const { apiClientId } = getConfig().identity;
    const sp = ServicePrincipal.parse(await client.api("/servicePrincipals").filter(`appId eq '${apiClientId}'`).select(["id", "appRoles"]).get()).value[0];
    const adminRole = sp?.appRoles.find((role) => role.value === "Console.Admin");
    if (!sp || !adminRole) return [];
    // Every page: an approver on the second page of a large tenant's assignments is still an approver.
    const assignments = (await readAllPages(client, `/servicePrincipals/${sp.id}/appRoleAssignedTo?$top=999`, Assignment)).filter(
      (assignment) => assignment.appRoleId === adminRole.id,
    );
    const people = new Set<string>();
    for (const assignment of assignments) {
      if (assignment.principalType === "User") people.add(assignment.principalId.toLowerCase());
      else if (assignment.principalType === "Group") {
        const group = Group.parse(await client.api(`/groups/${assignment.principalId}`).select(["securityEnabled"]).get());
        if (group.securityEnabled !== true) continue;
        const members = await readAllPages(client, `/groups/${assignment.principalId}/members?$select=id&$top=999`, Member);
        for (const member of members) {
          if (member["@odata.type"] === "#microsoft.graph.user") people.add(member.id.toLowerCase());
        }
      }
    }
    return [...people];
  } catch (error) {
    log("warn", "notifications", "could not list approvers", { error: describeError(error) });
    return [];
  }
}
