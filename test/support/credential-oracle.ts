/**
 * An independent count of credentials per bucket, computed straight from a tenant seeded like the shared sandbox
 * (seed 1, default scale) — the oracle for the credentials inventory's integration and e2e tests. The console's own
 * apps are left out: the launcher registers a certificate on them at start, which no seed knows.
 */
import { BUCKETS, type Bucket } from "../../lib/shared/credentials";
import { CONSOLE_API_CLIENT_ID, CONSOLE_SPA_CLIENT_ID } from "../../sandbox/contract";
import { createTenant } from "../../sandbox/tenant/index";

const DAY = 86_400_000;

export const CONSOLE_APP_IDS: ReadonlySet<string> = new Set([CONSOLE_API_CLIENT_ID, CONSOLE_SPA_CLIENT_ID]);

/** Classified at `now`, with the default 7/30/90-day windows. */
export function oracleCredentialCounts(now: Date): Record<Bucket, number> {
  const tenant = createTenant({ seed: 1, scale: "default", now });
  const counts = Object.fromEntries(BUCKETS.map((bucket) => [bucket, 0])) as Record<Bucket, number>;
  const bucketOf = (credential: { startDateTime: string; endDateTime: string }, longLivedApplies = true): Bucket => {
    const end = Date.parse(credential.endDateTime);
    const left = end - now.getTime();
    if (left <= 0) return "expired";
    if (left <= 7 * DAY) return "within1";
    if (left <= 30 * DAY) return "within2";
    if (left <= 90 * DAY) return "within3";
    return longLivedApplies && end - Date.parse(credential.startDateTime) > 730 * DAY ? "longLived" : "healthy";
  };
  const sps = [...tenant.servicePrincipals.values()];
  for (const app of tenant.applications.values()) {
    if (CONSOLE_APP_IDS.has(app.appId)) continue;
    const sp = sps.find((candidate) => candidate.appId === app.appId);
    // A SAML token-signing certificate is one row (its Sign key); its Verify key and password twin share its
    // customKeyIdentifier. Entra makes them for 3 years, so "long-lived" does not apply to them.
    const signing = (sp?.keyCredentials ?? []).filter((key) => key.usage === "Sign");
    const twins = new Set(signing.map((key) => key.customKeyIdentifier));
    for (const key of signing) counts[bucketOf(key, false)] += 1;
    const own = [
      ...app.passwordCredentials,
      ...app.keyCredentials,
      ...(sp ? [...sp.passwordCredentials, ...sp.keyCredentials] : []).filter((credential) => !twins.has(credential.customKeyIdentifier ?? "")),
    ];
    for (const credential of own) counts[bucketOf(credential)] += 1;
    if (own.length === 0 && app.federatedIdentityCredentials.length > 0) counts.secretless += 1;
  }
  counts.secretless += sps.filter((sp) => sp.servicePrincipalType === "ManagedIdentity").length;
  return counts;
}
