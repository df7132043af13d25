/**
 * `addPassword` / `removePassword` on applications and service principals. `secretText` is returned once, by
 * addPassword only; later reads show `secretText: null` and the three-character `hint`, as Graph does.
 */
import { randomBytes, randomUUID } from "node:crypto";

import type { SandboxRequest, SandboxResponse } from "../../contract";
import type { ApplicationRecord, PasswordCredentialRecord, ServicePrincipalRecord } from "../../tenant/model";
import { renderPasswordCredential } from "../entities";
import { contextUrl } from "../odata";
import { denyUnlessPermitted, type PermissionRequirement } from "../permissions";
import { graphEmpty, graphError, graphJson } from "../responses";

const WRITE_APPLICATIONS: PermissionRequirement = {
  delegated: ["Application.ReadWrite.All", "Directory.ReadWrite.All"],
  application: ["Application.ReadWrite.All", "Application.ReadWrite.OwnedBy"],
};
const DEFAULT_LIFETIME_MS = 2 * 365 * 86_400_000;

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function parseDate(value: unknown): Date | undefined | "invalid" {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) return "invalid";
  return new Date(value);
}

export function addPassword(request: SandboxRequest, owner: ApplicationRecord | ServicePrincipalRecord): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  const input = (request.body as { passwordCredential?: Record<string, unknown> } | undefined)?.passwordCredential ?? {};
  const start = parseDate(input.startDateTime) ?? request.now;
  const end = parseDate(input.endDateTime) ?? (start === "invalid" ? "invalid" : new Date(start.getTime() + DEFAULT_LIFETIME_MS));
  if (start === "invalid" || end === "invalid" || end <= start) {
    return graphError(request, 400, "Request_BadRequest", "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.");
  }
  // Entra secrets are 40 characters from a URL-safe alphabet with '~', '.', '_' and '-'.
  const secretText = randomBytes(30)
    .toString("base64url")
    .replace(/^(.{3})/, "$1~")
    .slice(0, 40);
  const credential: PasswordCredentialRecord = {
    keyId: randomUUID(),
    displayName: typeof input.displayName === "string" ? input.displayName : null,
    hint: secretText.slice(0, 3),
    secretText,
    startDateTime: isoSeconds(start),
    endDateTime: isoSeconds(end),
  };
  owner.passwordCredentials.push(credential);
  return graphJson(request, 200, {
    "@odata.context": contextUrl(request, "microsoft.graph.passwordCredential", undefined),
    ...renderPasswordCredential(credential),
    secretText,
  });
}

export function removePassword(request: SandboxRequest, owner: ApplicationRecord | ServicePrincipalRecord): SandboxResponse {
  const denied = denyUnlessPermitted(request, WRITE_APPLICATIONS);
  if (denied) return denied;
  const keyId = (request.body as { keyId?: unknown } | undefined)?.keyId;
  if (typeof keyId !== "string") return graphError(request, 400, "Request_BadRequest", "The request body must contain 'keyId'.");
  const remaining = owner.passwordCredentials.filter((c) => c.keyId.toLowerCase() !== keyId.toLowerCase());
  if (remaining.length === owner.passwordCredentials.length) {
    return graphError(request, 404, "Request_ResourceNotFound", `No password credential found with keyId '${keyId}'.`);
  }
  owner.passwordCredentials = remaining;
  return graphEmpty(request, 204);
}
