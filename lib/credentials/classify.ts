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
 *
 * `longLived: false` drops the long-lived rule for a SAML signing certificate: Entra makes those valid for 3 years by
 * default (addTokenSigningCertificate), and a leaked one signs tokens for one application, it signs nobody in.
 */
export function classifyCredential(credential: DatedCredential, now: Date, windows: Windows, options: { longLived?: boolean } = {}): Bucket {
  const longLived = options.longLived ?? true;
  const end = parseTime(credential.endDateTime);
  if (end === undefined) return longLived ? "longLived" : "healthy";
  const remaining = end - now.getTime();
  if (remaining <= 0) return "expired";
  if (remaining <= windows[0] * DAY_MS) return "within1";
  if (remaining <= windows[1] * DAY_MS) return "within2";
  if (remaining <= windows[2] * DAY_MS) return "within3";
  const start = parseTime(credential.startDateTime);
  const lifetime = start === undefined ? remaining : end - start;
  return longLived && lifetime > LONG_LIVED_MS ? "longLived" : "healthy";
}

/**
 * Graph's credential dates are `DateTimeOffset`s in UTC ("2026-06-01T12:00:00Z"). A date and time without a zone is
 * read as UTC too, never in the server's own time zone, so the buckets do not move with where the console runs.
 */
function parseTime(value: string | null): number | undefined {
  if (value === null || value === "") return undefined;
  const zoneless = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(value);
  const time = Date.parse(zoneless ? `${value}Z` : value);
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

const SAML_STEPS = "create a new one, give its certificate or metadata to the application, make it active, then remove the old one.";
const SAML_NOT_SIGN_IN = "It signs the tokens Entra sends to the application; nobody signs in with it, so there is nothing to move to a federated credential.";

/**
 * The recommendation the drawer shows for an identity. `worst` is the worst bucket of its sign-in credentials
 * (secrets and certificates); `samlSigning` that of its SAML signing certificates, undefined when it has none.
 */
export function recommendation(input: {
  readonly worst: Bucket | undefined;
  readonly isManagedIdentity: boolean;
  readonly hasFederated: boolean;
  readonly hasSecrets: boolean;
  readonly samlSigning?: Bucket | undefined;
  /** Federated credentials Graph listed but that could not be read: the identity may well sign in with them. */
  readonly unreadableFederated?: number;
}): string {
  if (input.isManagedIdentity) {
    return input.hasFederated
      ? "Secretless: a managed identity's credentials are rotated by Azure. It also trusts federated credentials: workloads outside Azure that match them act as this identity, so remove any that are no longer used."
      : "Secretless: a managed identity's credentials are rotated by Azure. Nothing to do.";
  }
  const saml = input.samlSigning === undefined ? undefined : samlAdvice(input.samlSigning);
  if (!input.hasSecrets) {
    if (saml !== undefined) return saml;
    if (input.hasFederated) return "Secretless: authenticates with a federated credential only. Nothing to rotate.";
    if ((input.unreadableFederated ?? 0) > 0) return "It has federated credentials that could not be read; check them in the Entra admin center.";
    return "No credentials: this identity cannot sign in by itself. Remove it if it is unused.";
  }
  const signIn = signInAdvice(input.worst, input.hasFederated);
  return saml === undefined ? signIn : `${signIn} ${saml}`;
}

function samlAdvice(bucket: Bucket): string {
  const first =
    bucket === "expired"
      ? `The SAML signing certificate has expired, so single sign-on fails until a new one is active: ${SAML_STEPS}`
      : `Rotate the SAML signing certificate before it expires or single sign-on breaks: ${SAML_STEPS}`;
  return `${first} ${SAML_NOT_SIGN_IN}`;
}

function signInAdvice(worst: Bucket | undefined, hasFederated: boolean): string {
  const move = hasFederated
    ? "It already has a federated credential: remove its secrets and certificates once the workload uses it."
    : "Move it to a federated credential (GitHub Actions, Kubernetes, another cloud) or, when it runs in Azure, to a managed identity.";
  switch (worst) {
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
