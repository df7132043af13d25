import type { SignedInPrincipal } from "@/lib/auth/access-token";

let people = 0;

/** A new person each call (their own object id and names) in the test tenant, signed in as a requester until `expiresAt`. */
export function newSignedInPrincipal(expiresAt: Date, overrides: Partial<SignedInPrincipal> = {}): SignedInPrincipal {
  people += 1;
  return {
    tenantId: "72f988bf-0000-4000-8000-00000000c05a",
    objectId: `00000000-0000-4000-8000-${String(people).padStart(12, "0")}`,
    displayName: `Person ${people}`,
    userPrincipalName: `person${people}@contosoml.onmicrosoft.com`,
    roles: ["Console.Requester"],
    authContexts: [],
    expiresAt,
    ...overrides,
  };
}
