/**
 * Graph's permission check: a delegated call needs one of the route's scopes in `scp`, an app-only call one of its
 * application permissions in `roles`. Otherwise 403 Authorization_RequestDenied, as Graph answers.
 */
import type { SandboxRequest, SandboxResponse } from "../contract";
import { GRAPH_MESSAGES, graphError } from "./responses";

export interface PermissionRequirement {
  /** Any one of these delegated scopes suffices. */
  readonly delegated: readonly string[];
  /** Any one of these application permissions suffices. */
  readonly application: readonly string[];
}

const DIRECTORY_READ = ["Directory.Read.All", "Directory.ReadWrite.All"];

export const PERMISSIONS = {
  readUsers: {
    delegated: ["User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", ...DIRECTORY_READ],
    application: ["User.Read.All", "User.ReadWrite.All", ...DIRECTORY_READ],
  },
  readMe: {
    delegated: ["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", ...DIRECTORY_READ],
    application: [],
  },
  readOwnMemberships: {
    delegated: ["User.Read", "GroupMember.Read.All", "Group.Read.All", ...DIRECTORY_READ],
    application: [],
  },
  readMemberships: {
    delegated: ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", ...DIRECTORY_READ],
    application: ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", ...DIRECTORY_READ],
  },
  readGroups: {
    delegated: ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", ...DIRECTORY_READ],
    application: ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", ...DIRECTORY_READ],
  },
  readApplications: {
    delegated: ["Application.Read.All", "Application.ReadWrite.All", ...DIRECTORY_READ],
    application: ["Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", ...DIRECTORY_READ],
  },
  readDirectoryObjects: {
    delegated: DIRECTORY_READ,
    application: DIRECTORY_READ,
  },
  sendMail: {
    delegated: ["Mail.Send"],
    application: ["Mail.Send"],
  },
} as const satisfies Record<string, PermissionRequirement>;

export function hasPermission(request: SandboxRequest, requirement: PermissionRequirement): boolean {
  const { caller } = request;
  const held = caller.kind === "user" ? caller.scopes : caller.roles;
  const accepted = caller.kind === "user" ? requirement.delegated : requirement.application;
  const heldLower = new Set(held.map((p) => p.toLowerCase()));
  return accepted.some((p) => heldLower.has(p.toLowerCase()));
}

export function denyUnlessPermitted(request: SandboxRequest, requirement: PermissionRequirement): SandboxResponse | undefined {
  if (hasPermission(request, requirement)) return undefined;
  return graphError(request, 403, "Authorization_RequestDenied", GRAPH_MESSAGES.insufficientPrivileges);
}
