/**
 * The deterministic role-assignment name, property-based (security test plan row 18): a retried or duplicated grant
 * must PUT the same name, so it can never create a second assignment. ARM ids and GUIDs are case-insensitive, so the
 * same scope, principal and role in any casing name the same assignment; a different scope, principal or role never
 * does.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { workspaceScope } from "@/lib/shared/arm-scope";
import { reliabilityLong } from "@/test/support/test-env";
import { assignmentNameFor } from "./grant-workspace-roles";

const RUNS = { numRuns: reliabilityLong() ? 5000 : 500, seed: 20261205 };

const guid = fc.uuid();
const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/);
const scope = fc
  .record({ subscription: guid, resourceGroup: name, workspace: name })
  .map(({ subscription, resourceGroup, workspace }) => workspaceScope(subscription, resourceGroup, workspace));
/** The same text with each letter's case chosen by `flips`. */
const recased = (text: string, flips: readonly boolean[]) =>
  [...text].map((character, index) => (flips[index % Math.max(1, flips.length)] ? character.toUpperCase() : character.toLowerCase())).join("");
const flips = fc.array(fc.boolean(), { minLength: 1, maxLength: 64 });

describe("assignmentNameFor", () => {
  it("names the same assignment for the same scope, principal and role in any casing", () => {
    fc.assert(
      fc.property(scope, guid, guid, flips, flips, flips, (at, principal, role, scopeCase, principalCase, roleCase) => {
        const name = assignmentNameFor(at, principal, role);
        expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(assignmentNameFor(recased(at, scopeCase), recased(principal, principalCase), recased(role, roleCase))).toBe(name);
      }),
      RUNS,
    );
  });

  it("names different assignments when the scope, the principal or the role differs", () => {
    fc.assert(
      fc.property(scope, scope, guid, guid, guid, guid, (a, b, principal, otherPrincipal, role, otherRole) => {
        const name = assignmentNameFor(a, principal, role);
        if (a.toLowerCase() !== b.toLowerCase()) expect(assignmentNameFor(b, principal, role)).not.toBe(name);
        if (principal.toLowerCase() !== otherPrincipal.toLowerCase()) expect(assignmentNameFor(a, otherPrincipal, role)).not.toBe(name);
        if (role.toLowerCase() !== otherRole.toLowerCase()) expect(assignmentNameFor(a, principal, otherRole)).not.toBe(name);
      }),
      RUNS,
    );
  });
});
