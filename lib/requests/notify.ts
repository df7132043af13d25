import "server-only";

import { z } from "zod";

import { getConfig } from "@/lib/config";
import { appGraphClient } from "@/lib/graph/client";
import { readAllPages } from "@/lib/graph/pages";
import { describeError, log } from "@/lib/log";
import { sendNotification } from "@/lib/notifications/send-notification";
import { requestedAccess } from "@/lib/shared/requested-access";
import { isRequester } from "./decision-guards";
import type { AccessRequestRow } from "./schema";

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

function link(request: AccessRequestRow): string {
  return `${getConfig().publicOrigin}/requests/${request.id}`;
}

function duration(request: AccessRequestRow): string {
  if (request.durationMinutes === null) return "permanently";
  const days = request.durationMinutes / 1440;
  return days >= 1 ? `for ${days} day${days === 1 ? "" : "s"}` : `for ${request.durationMinutes / 60} hours`;
}

function summary(request: AccessRequestRow): string {
  return `${requestedAccess(request)} on ${request.workspaceName} for ${request.principalDisplayName} ${duration(request)}`;
}

const KIND_WORDS: Record<string, string> = { user: "user", group: "group", servicePrincipal: "service principal", managedIdentity: "managed identity" };
const FLAG_WORDS: Record<string, string> = { guest: "guest user", external: "external account", other_tenant_app: "app from another organisation" };

/** The principal as Graph named it, with what identifies it: type, UPN or app id, object id, and any flags. */
export function principalFacts(request: AccessRequestRow): string {
  const kind = KIND_WORDS[request.principalKind] ?? request.principalKind;
  const secondary = request.principalSecondaryId
    ? `${request.principalKind === "user" ? "UPN" : request.principalKind === "group" ? "mail" : "app id"} ${request.principalSecondaryId}, `
    : "";
  const flags = request.principalFlags.length > 0 ? ` — ${request.principalFlags.map((flag) => FLAG_WORDS[flag] ?? flag).join(", ")}` : "";
  return `${request.principalDisplayName} (${kind}, ${secondary}object id ${request.principalId})${flags}`;
}

/** Tells approvers a request is waiting. Never throws. */
export async function notifyApproversOfArrival(request: AccessRequestRow): Promise<void> {
  const tenantId = getConfig().identity.tenantId;
  const approvers = (await findApprovers()).filter((id) => !isRequester({ tenantId, objectId: id }, request));
  await sendNotification({
    to: approvers,
    subject: `Access request: ${requestedAccess(request)} on ${request.workspaceName}`,
    text: [
      `${request.requesterName} (${request.requesterUpn}) asks for ${summary(request)}.`,
      "",
      `For: ${principalFacts(request)}`,
      `Workspace: ${request.workspaceName} (${request.workspaceId})`,
      request.origin === "self_grant" ? "An admin granted this to themselves (or a group they are in); it needs two other admins." : "",
      "",
      `Why (the requester's words): ${request.justification}`,
      request.ticket ? `Ticket: ${request.ticket}` : "",
      request.approvalsRequired > 1 ? `This role needs ${request.approvalsRequired} different approvers.` : "",
      "",
      `Decide: ${link(request)}`,
    ]
      .filter((line, index, lines) => line !== "" || lines[index - 1] !== "")
      .join("\n"),
    webhookSummary: `${request.requesterName} requests ${requestedAccess(request)} on ${request.workspaceName} for ${principalFacts(request)} ${duration(request)}`,
  });
}

/** Tells the requester their request was granted, failed or denied. Never throws. */
export async function notifyRequesterOfDecision(request: AccessRequestRow): Promise<void> {
  const outcome =
    request.status === "granted"
      ? `was approved and granted${request.expiresAt ? `; it ends ${request.expiresAt.toISOString().replace("T", " ").slice(0, 16)} UTC` : ""}`
      : request.status === "denied"
        ? `was denied by ${request.decidedByName ?? "an admin"}${request.decisionComment ? `: ${request.decisionComment}` : ""}`
        : request.status === "covered"
          ? `needs nothing granted: ${request.outcomeNote ?? "the access already exists"} Nothing will expire`
          : `was approved, but the grant failed: ${request.failureReason ?? "Azure refused it"}. An admin can retry it.`;
  const verb =
    request.status === "granted" ? "was granted" : request.status === "denied" ? "was denied" : request.status === "covered" ? "is already covered" : "failed";
  await sendNotification({
    to: [request.requesterObjectId],
    subject: `Your access request ${verb}: ${requestedAccess(request)} on ${request.workspaceName}`,
    text: `Your request for ${summary(request)} ${outcome}.\n\nDetails: ${link(request)}`,
    webhookSummary: `Request for ${summary(request)} ${request.status}`,
  });
}

/** Reminds the requester that access ends soon. Never throws. */
export async function notifyRequesterOfExpiry(request: AccessRequestRow, daysLeft: number): Promise<void> {
  await sendNotification({
    to: [request.requesterObjectId],
    subject: `Access ends in ${daysLeft} day${daysLeft === 1 ? "" : "s"}: ${requestedAccess(request)} on ${request.workspaceName}`,
    text: `${request.principalDisplayName}'s ${requestedAccess(request)} on ${request.workspaceName} ends ${request.expiresAt?.toISOString().replace("T", " ").slice(0, 16)} UTC.\nAsk for an extension before then: ${link(request)}`,
    webhookSummary: `${request.principalDisplayName}'s ${requestedAccess(request)} on ${request.workspaceName} ends in ${daysLeft} day(s)`,
  });
}

/** Tells the admins, once, that Gatehouse could not remove access that has ended. Never throws. */
export async function notifyAdminsOfExpiryFailure(request: AccessRequestRow, reason: string): Promise<void> {
  await sendNotification({
    to: await findApprovers(),
    subject: `Expiry failed: ${requestedAccess(request)} on ${request.workspaceName} is still assigned`,
    text: [
      `Time-bound access ended, but Gatehouse could not remove it: ${reason}`,
      "",
      `Access: ${requestedAccess(request)} on ${request.workspaceName} for ${principalFacts(request)}`,
      `It ended: ${request.expiresAt?.toISOString().replace("T", " ").slice(0, 16) ?? "?"} UTC. Gatehouse retries with back-off; until then the access stays.`,
      "Check that Gatehouse's identity may still remove role assignments on this workspace, or remove the assignment in Azure.",
      "",
      `Request: ${link(request)}`,
    ].join("\n"),
    webhookSummary: `Expiry failed: ${requestedAccess(request)} on ${request.workspaceName} for ${request.principalDisplayName} is still assigned`,
  });
}
