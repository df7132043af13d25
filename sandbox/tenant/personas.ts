import type { Persona, PersonaKey } from "../contract";
import { TENANT_DOMAIN } from "./model";

/**
 * The documented sign-ins. Object ids are fixed (not drawn from the seed) so docs, `.env` files and tests can name
 * them whatever seed the sandbox runs with. Passwords are sandbox-only and published on purpose.
 */
export const PERSONAS: readonly Persona[] = [
  {
    key: "admin",
    objectId: "c0ffee00-0000-4000-8000-000000000001",
    userPrincipalName: `admin@${TENANT_DOMAIN}`,
    password: "Admin-Sandbox-2026!",
    displayName: "Avery Admin",
    description: "Console admin who is Owner of the Contoso ML Production subscription, so grants succeed.",
    consoleRoles: ["Console.Admin"],
  },
  {
    key: "limited-admin",
    objectId: "c0ffee00-0000-4000-8000-000000000002",
    userPrincipalName: `limited-admin@${TENANT_DOMAIN}`,
    password: "LimitedAdmin-Sandbox-2026!",
    displayName: "Lee Limited-Admin",
    description: "Console admin with only Reader in Azure, so every grant fails with ARM's 403 AuthorizationFailed.",
    consoleRoles: ["Console.Admin"],
  },
  {
    key: "team-lead",
    objectId: "c0ffee00-0000-4000-8000-000000000003",
    userPrincipalName: `team-lead@${TENANT_DOMAIN}`,
    password: "TeamLead-Sandbox-2026!",
    displayName: "Taylor Team-Lead",
    description: "Requester (through the ML Team Leads group) who is AzureML Data Scientist on mlw-fraud-prod.",
    consoleRoles: ["Console.Requester"],
  },
  {
    key: "security",
    objectId: "c0ffee00-0000-4000-8000-000000000004",
    userPrincipalName: `security@${TENANT_DOMAIN}`,
    password: "Security-Sandbox-2026!",
    displayName: "Sam Security",
    description: "Security reviewer with read-only console access and Reader on every subscription.",
    consoleRoles: ["Console.SecurityReader"],
  },
  {
    key: "no-role",
    objectId: "c0ffee00-0000-4000-8000-000000000005",
    userPrincipalName: `no-role@${TENANT_DOMAIN}`,
    password: "NoRole-Sandbox-2026!",
    displayName: "Noah No-Role",
    description:
      "A data scientist reached by the console's Requester assignment only through a nested group (DS - Churn → Data Scientists): Entra gives them no role and, as the console API requires assignment, refuses their sign-in (AADSTS50105).",
    consoleRoles: [],
  },
  {
    key: "step-up-admin",
    objectId: "c0ffee00-0000-4000-8000-000000000006",
    userPrincipalName: `step-up-admin@${TENANT_DOMAIN}`,
    password: "StepUpAdmin-Sandbox-2026!",
    displayName: "Morgan Step-Up",
    description:
      "Console admin and Owner of Contoso ML Production who signs in with a password only: ARM demands MFA (a claims challenge) for their role-assignment writes.",
    consoleRoles: ["Console.Admin"],
    armWritesNeedMfa: true,
  },
  {
    key: "fraud-owner",
    objectId: "c0ffee00-0000-4000-8000-000000000007",
    userPrincipalName: `fraud-owner@${TENANT_DOMAIN}`,
    password: "FraudOwner-Sandbox-2026!",
    displayName: "Frankie Fraud-Owner",
    description:
      "Requester who owns the DS - Fraud group, so the sandbox's request policy routes mlw-fraud-* requests to them; Role Based Access Control Administrator on mlw-fraud-prod, so a routed approval there grants as them.",
    consoleRoles: ["Console.Requester"],
  },
];

/**
 * Group object ids the shipped sandbox request policies name (config/request-policy.json, e2e/support/request-policy.json):
 * fixed, not drawn from the seed, like the personas' ids.
 */
export const PINNED_GROUP_IDS: Readonly<Record<string, string>> = {
  "DS - Fraud": "c0ffee00-9a0b-4000-8000-0000000000f1",
};

/** Every seeded non-persona user signs in with this password. */
export const SEEDED_USER_PASSWORD = "User-Sandbox-2026!";

export function persona(key: PersonaKey): Persona {
  const found = PERSONAS.find((p) => p.key === key);
  if (!found) throw new Error(`Unknown persona ${key}`);
  return found;
}
