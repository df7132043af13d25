import "server-only";

import type { Bucket, Windows } from "@/lib/shared/credentials";

const DAY_MS = 86_400_000;
/** "Valid for more than 2 years": a lifetime longer than 730 days (Entra's own recommended maximum is 2 years). */
export const LONG_LIVED_MS = 730 * DAY_MS;

export interface DatedCredential {
  readonly startDateTime: string | null;
  readonly endDateTime: string | null;
}

/**
 * Classifies one password or key credential at `now`. Graph cannot filter credentials by end date server-side, so this
 * is where the buckets are decided. The first rule that matches wins:
 *
 * | rule | bucket |
 * |---|---|
 * | end ≤ now (a credential is no longer valid at its end time) | expired |
 * | end − now ≤ windows[0] days | within1 (default 7) |
 * | end − now ≤ windows[1] days | within2 (default 30) |
 * | end − now ≤ windows[2] days | within3 (default 90) |
 * | no end date, or end − start > 2 years (730 days), or (no start) end − now > 2 years | longLived |
 * | otherwise | healthy |
 */
export function classifyCredential(credential: DatedCredential, now: Date, windows: Windows): Bucket {
  const end = parseTime(credential.endDateTime);
  if (end === undefined) return "longLived";
  const remaining = end - now.getTime();
  if (remaining <= 0) return "expired";
  if (remaining <= windows[0] * DAY_MS) return "within1";
  if (remaining <= windows[1] * DAY_MS) return "within2";
  if (remaining <= windows[2] * DAY_MS) return "within3";
  const start = parseTime(credential.startDateTime);
  const lifetime = start === undefined ? remaining : end - start;
  return lifetime > LONG_LIVED_MS ? "longLived" : "healthy";
}

function parseTime(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

/**
 * Risk rank = urgency of the expiry bucket × privilege of what the identity unlocks (+ a small tie-break).
 *
 * urgency: expired 5 · within1 4 · within2 3 · within3 2 · longLived 3 (a leaked long-lived secret is as bad as one
 * expiring within the middle window) · healthy 1 · secretless 0.
 * privilege: 1 with no AML workspace role · 2 with any workspace role · 4 with a privileged role (one that can write
 * role assignments or do anything, custom roles included, or one of Owner, Contributor, User Access Administrator,
 * RBAC Administrator) · plus 1 when it holds roles on more than one workspace.
 * risk = urgency × privilege × 10 + min(workspaces, 9). Secretless identities are always 0.
 */
export const URGENCY: Readonly<Record<Bucket, number>> = {
  expired: 5,
  within1: 4,
  within2: 3,
  within3: 2,
  longLived: 3,
  healthy: 1,
  secretless: 0,
};

export function riskRank(bucket: Bucket, roles: readonly { workspaceScope: string; privileged: boolean }[]): number {
  const workspaces = new Set(roles.map((role) => role.workspaceScope.toLowerCase())).size;
  const privilege = (roles.some((role) => role.privileged) ? 4 : workspaces > 0 ? 2 : 1) + (workspaces > 1 ? 1 : 0);
  const urgency = URGENCY[bucket];
  if (urgency === 0) return 0;
  return urgency * privilege * 10 + Math.min(workspaces, 9);
}

/** The recommendation the drawer shows for an identity. */
export function recommendation(input: {
  readonly worst: Bucket | undefined;
  readonly isManagedIdentity: boolean;
  readonly hasFederated: boolean;
  readonly hasSecrets: boolean;
}): string {
  if (input.isManagedIdentity) return "Secretless: a managed identity's credentials are rotated by Azure. Nothing to do.";
  if (!input.hasSecrets) {
    return input.hasFederated
      ? "Secretless: authenticates with a federated credential only. Nothing to rotate."
      : "No credentials: this identity cannot sign in by itself. Remove it if it is unused.";
  }
  const move = input.hasFederated
    ? "It already has a federated credential: remove its secrets and certificates once the workload uses it."
    : "Move it to a federated credential (GitHub Actions, Kubernetes, another cloud) or, when it runs in Azure, to a managed identity.";
  switch (input.worst) {
    case "expired":
      return `Remove the expired credentials, and rotate any still in use. ${move}`;
    case "within1":
    case "within2":
    case "within3":
      return `Rotate before it expires: add a new credential, switch the workload, then remove the old one. ${move}`;
    case "longLived":
      return `Replace the long-lived credential with one valid for at most a year, or better: ${move.charAt(0).toLowerCase()}${move.slice(1)}`;
    default:
      return move;
  }
}
