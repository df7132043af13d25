/** `POST /users/{id}/sendMail` and `/me/sendMail`: accepted mail goes to the tenant's outbox (202, no body). */
import { randomUUID } from "node:crypto";

import type { SandboxRequest, SandboxResponse } from "../../contract";
import type { UserRecord } from "../../tenant/model";
import type { Tenant } from "../../tenant/tenant";
import { denyUnlessPermitted, PERMISSIONS } from "../permissions";
import { graphEmpty, graphError } from "../responses";

interface Recipient {
  emailAddress?: { address?: unknown };
}

function addresses(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  for (const recipient of value as Recipient[]) {
    const address = recipient?.emailAddress?.address;
    if (typeof address !== "string" || !address.includes("@")) return undefined;
    out.push(address);
  }
  return out;
}

export function sendMail(tenant: Tenant, request: SandboxRequest, sender: UserRecord): SandboxResponse {
  const denied = denyUnlessPermitted(request, PERMISSIONS.sendMail);
  if (denied) return denied;
  // A delegated Mail.Send token sends only as its own user; Send-As another mailbox is denied (Exchange's error).
  if (request.caller.kind === "user" && request.caller.objectId.toLowerCase() !== sender.id.toLowerCase()) {
    return graphError(request, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
  }
  if (!sender.mail) {
    return graphError(request, 404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
  }
  const body = request.body as { message?: Record<string, unknown> } | undefined;
  const message = body?.message;
  if (typeof message !== "object" || message === null) {
    return graphError(request, 400, "ErrorInvalidRequest", "The request body must contain a 'message'.");
  }
  const to = addresses(message.toRecipients);
  const cc = addresses(message.ccRecipients);
  if (!to || !cc || to.length + cc.length === 0) {
    return graphError(request, 400, "ErrorInvalidRecipients", "At least one recipient is not valid.");
  }
  const content = message.body as { contentType?: unknown; content?: unknown } | undefined;
  tenant.recordMail({
    id: randomUUID(),
    fromUserId: sender.id,
    fromAddress: sender.mail,
    to,
    cc,
    subject: typeof message.subject === "string" ? message.subject : "",
    bodyContentType: typeof content?.contentType === "string" && content.contentType.toLowerCase() === "html" ? "html" : "text",
    body: typeof content?.content === "string" ? content.content : "",
    sentDateTime: request.now.toISOString(),
    sentByAppId: request.caller.appId,
  });
  return graphEmpty(request, 202);
}
