import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { reliabilityLong } from "@/test/support/test-env";
import { parseScope, sameScope, scopeApplies, workspaceScope } from "./arm-scope";

// Seeded so a failure in CI reproduces exactly; 500 runs per property (5,000 in the long variant).
const RUNS = { numRuns: reliabilityLong() ? 5000 : 500, seed: 20261124 };

const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: length, maxLength: length });
const guid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join("-"));
const nameChar = (extra: string) => fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", ...extra);
// Azure's rules as Gatehouse applies them: resource groups 1–90 characters (not ending in "."), workspaces 3–33.
const resourceGroup = fc
  .string({ unit: nameChar(".()"), minLength: 1, maxLength: 90 })
  .filter((name) => !name.endsWith(".") && !name.includes(".."));
const workspaceName = fc
  .tuple(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), fc.string({ unit: nameChar(""), minLength: 2, maxLength: 32 }))
  .map(([first, rest]) => first + rest);
const workspaceParts = fc.record({ subscriptionId: guid, resourceGroup, workspaceName });

/** The fixed segments of a workspace id, each in an arbitrary casing (ARM ids are case-insensitive). */
const casedSegments = fc
  .tuple(
    ...["subscriptions", "resourceGroups", "providers", "Microsoft.MachineLearningServices", "workspaces"].map((segment) =>
      fc.array(fc.boolean(), { minLength: segment.length, maxLength: segment.length }).map((upper) => [...segment].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join("")),
    ),
  )
  .map(([subscriptions, resourceGroups, providers, namespace, workspaces]) => ({ subscriptions, resourceGroups, providers, namespace, workspaces }));

/** Ways of smuggling something past a naive parser, inserted anywhere into a valid id. */
const hostile = fc.constantFrom(
  "..",
  "/..",
  "/../",
  "./",
  "%2F",
  "%2f",
  "%2e%2e",
  "%00",
  "\\",
  "?",
  "#",
  " ",
  "\t",
  "\n",
  "\u0000",
  "//",
  "\u2215", // division slash, a "/" lookalike
  "\uff0f", // fullwidth solidus
  "\u0130", // İ: lower-cases to two code units
  "/providers/Microsoft.Authorization/roleAssignments/x",
);

describe("ARM scope strings (property-based)", () => {
  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" }), fc.string({ maxLength: 2000 })), (input) => {
        expect(() => parseScope(input)).not.toThrow();
      }),
      RUNS,
    );
  });

  it("reads every valid workspace id back to its parts, in any casing of the fixed segments, with or without one trailing slash", () => {
    fc.assert(
      fc.property(workspaceParts, casedSegments, fc.boolean(), (parts, cased, trailing) => {
        const id = `/${cased.subscriptions}/${parts.subscriptionId}/${cased.resourceGroups}/${parts.resourceGroup}/${cased.providers}/${cased.namespace}/${cased.workspaces}/${parts.workspaceName}`;
        const parsed = parseScope(trailing ? `${id}/` : id);
        expect(parsed).toEqual({
          level: "workspace",
          scope: id,
          subscriptionId: parts.subscriptionId.toLowerCase(),
          resourceGroup: parts.resourceGroup,
          workspaceName: parts.workspaceName,
        });
        expect(sameScope(id, workspaceScope(parts.subscriptionId, parts.resourceGroup, parts.workspaceName))).toBe(true);
      }),
      RUNS,
    );
  });

  it("refuses a valid workspace id with anything hostile inserted, or with more than one trailing slash", () => {
    fc.assert(
      fc.property(workspaceParts, hostile, fc.nat(), (parts, insert, at) => {
        const id = workspaceScope(parts.subscriptionId, parts.resourceGroup, parts.workspaceName);
        const position = 1 + (at % id.length);
        const tampered = id.slice(0, position) + insert + id.slice(position);
        const parsed = parseScope(tampered);
        // Either refused, or (a harmless insertion inside a name, e.g. "-" is not in the list) read as a different,
        // well-formed scope — never as one containing the hostile text.
        if (parsed) expect(parsed.scope).not.toContain(insert);
        expect(parseScope(`${id}//`)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it("accepts only canonical, plain-ASCII scopes, and parsing its own output gives the same result", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          workspaceParts.map((p) => workspaceScope(p.subscriptionId, p.resourceGroup, p.workspaceName)),
          workspaceParts.map((p) => `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroup}`),
          guid.map((id) => `/subscriptions/${id}/`),
          fc.string({ maxLength: 300 }).map((tail) => `/subscriptions/${tail}`),
          fc.string({ maxLength: 300 }),
        ),
        (input) => {
          const parsed = parseScope(input);
          if (!parsed) return;
          expect(parsed.scope).toMatch(/^[\x21-\x7e]+$/);
          expect(parsed.scope).not.toMatch(/\.\.|\/\/|%|\\/);
          expect(parsed.scope === "/" || !parsed.scope.endsWith("/")).toBe(true);
          expect(parseScope(parsed.scope)).toEqual(parsed);
        },
      ),
      RUNS,
    );
  });

  it("applies an assignment only at its own scope and below it, never in another subscription or a sibling with a shared prefix", () => {
    fc.assert(
      fc.property(workspaceParts, guid, fc.constantFrom("x", "-2", "0", ".b"), (parts, otherSubscription, suffix) => {
        fc.pre(otherSubscription.toLowerCase() !== parts.subscriptionId.toLowerCase());
        const workspace = workspaceScope(parts.subscriptionId, parts.resourceGroup, parts.workspaceName);
        const group = `/subscriptions/${parts.subscriptionId}/resourceGroups/${parts.resourceGroup}`;
        const subscription = `/subscriptions/${parts.subscriptionId}`;
        for (const ancestor of ["/", subscription, group, workspace, subscription.toUpperCase(), `${group}/`]) expect(scopeApplies(ancestor, workspace)).toBe(true);
        expect(scopeApplies(`/subscriptions/${otherSubscription}`, workspace)).toBe(false);
        expect(scopeApplies(workspaceScope(otherSubscription, parts.resourceGroup, parts.workspaceName), workspace)).toBe(false);
        expect(scopeApplies(`${group}${suffix}`, workspace)).toBe(false);
        expect(scopeApplies(`${workspace}${suffix}`, workspace)).toBe(false);
        // A workspace grants nothing on its resource group or subscription.
        expect(scopeApplies(workspace, group)).toBe(false);
      }),
      RUNS,
    );
  });
});
