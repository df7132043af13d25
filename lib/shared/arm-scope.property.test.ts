/**
 * ARM scope strings, property-based (security test plan row 8). What arm-scope.ts documents, checked over
 * generated input: ids at every level Gatehouse works with read back to their parts in any casing of the fixed
 * segments (ARM ids are case-insensitive) and with one trailing slash; anything else — `..` and `.` segments, encoded
 * characters, empty segments, whitespace, NUL and other control characters, Unicode lookalikes outside resource-group
 * names, overlong ids or names, another subscription's id under a workspace id — is refused, and nothing ever throws.
 * Resource-group names may hold Unicode letters and digits, as Azure's allow; a lookalike there is another name. Assignments apply exactly at
 * and below their own scope (checked against a model of the hierarchy).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { reliabilityLong } from "@/test/support/test-env";
import {
  assignmentOrigin,
  listedAssignmentApplies,
  ORIGIN_LABELS,
  parseScope,
  type ParsedScope,
  sameScope,
  scopeApplies,
  type ScopeLevel,
  workspaceScope,
} from "./arm-scope";

// Seeded so a failure in CI reproduces exactly; 500 runs per property (5,000 in the long variant).
const RUNS = { numRuns: reliabilityLong() ? 5000 : 500, seed: 20261124 };

// ---- Valid scopes ------------------------------------------------------------------------------------------------

const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: length, maxLength: length });
const guid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join("-"));
const nameChar = (extra: string) => fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", ...extra);
// Unicode characters Azure's resource-group pattern allows (letters, a combining mark, decimal digits, connector
// punctuation), each with a one-to-one case mapping or none, so that upper- and lower-casing an id stays the same id.
const UNICODE_NAME_CHARS = [..."äÄéÉñÑøØåÅжЖωΩçÇ研究データ日本語\u0301٣३‿"];
// Azure's rules as Gatehouse applies them: resource groups 1–90 characters of letters, digits _ - . ( ) (Unicode
// letters and digits too), management groups the same in ASCII, neither ending in "." (and, Gatehouse's own
// restriction, never containing ".."); workspaces 3–33 of ASCII letters, digits _ - starting with a letter or digit.
const managementGroupName = (maxLength = 90) =>
  fc.string({ unit: nameChar(".()"), minLength: 1, maxLength }).filter((name) => !name.endsWith(".") && !name.includes(".."));
const groupName = (maxLength = 90) =>
  fc
    .string({ unit: fc.oneof({ arbitrary: nameChar(".()"), weight: 4 }, fc.constantFrom(...UNICODE_NAME_CHARS)), minLength: 1, maxLength })
    .filter((name) => !name.endsWith(".") && !name.includes(".."));
const workspaceName = (maxLength = 33) =>
  fc
    .tuple(
      fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
      fc.string({ unit: nameChar(""), minLength: 2, maxLength: maxLength - 1 }),
    )
    .map(([first, rest]) => first + rest);

/** One casing of a fixed segment, e.g. "ResourceGROUPS". */
const casing = (segment: string) =>
  fc
    .array(fc.boolean(), { minLength: segment.length, maxLength: segment.length })
    .map((upper) => [...segment].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
const fixed = (segment: string, cased: boolean) => (cased ? casing(segment) : fc.constant(segment));

interface ScopeModel {
  readonly level: ScopeLevel;
  readonly managementGroup?: string;
  readonly subscriptionId?: string;
  readonly resourceGroup?: string;
  readonly workspaceName?: string;
}

interface GeneratedScope {
  readonly id: string;
  readonly model: ScopeModel;
}

/** A valid scope of any level as the string to parse, with what parsing it must give. */
function validScope(
  options: {
    cased?: boolean;
    names?: { subscription: fc.Arbitrary<string>; managementGroup: fc.Arbitrary<string>; group: fc.Arbitrary<string>; workspace: fc.Arbitrary<string> };
  } = {},
): fc.Arbitrary<GeneratedScope> {
  const cased = options.cased ?? true;
  const names = options.names ?? { subscription: guid, managementGroup: managementGroupName(), group: groupName(), workspace: workspaceName() };
  const f = (segment: string) => fixed(segment, cased);
  const root = fc.constant<GeneratedScope>({ id: "/", model: { level: "root" } });
  const managementGroup = fc
    .tuple(f("providers"), f("Microsoft.Management"), f("managementGroups"), names.managementGroup)
    .map(([providers, namespace, groups, name]): GeneratedScope => ({
      id: `/${providers}/${namespace}/${groups}/${name}`,
      model: { level: "managementGroup", managementGroup: name },
    }));
  const subscription = fc
    .tuple(f("subscriptions"), names.subscription)
    .map(([subscriptions, id]): GeneratedScope => ({ id: `/${subscriptions}/${id}`, model: { level: "subscription", subscriptionId: id } }));
  const resourceGroup = fc
    .tuple(f("subscriptions"), names.subscription, f("resourceGroups"), names.group)
    .map(([subscriptions, id, groups, group]): GeneratedScope => ({
      id: `/${subscriptions}/${id}/${groups}/${group}`,
      model: { level: "resourceGroup", subscriptionId: id, resourceGroup: group },
    }));
  const workspace = fc
    .tuple(
      f("subscriptions"),
      names.subscription,
      f("resourceGroups"),
      names.group,
      f("providers"),
      f("Microsoft.MachineLearningServices"),
      f("workspaces"),
      names.workspace,
    )
    .map(([subscriptions, id, groups, group, providers, namespace, workspaces, name]): GeneratedScope => ({
      id: `/${subscriptions}/${id}/${groups}/${group}/${providers}/${namespace}/${workspaces}/${name}`,
      model: { level: "workspace", subscriptionId: id, resourceGroup: group, workspaceName: name },
    }));
  return fc.oneof(root, managementGroup, subscription, resourceGroup, { arbitrary: workspace, weight: 3 });
}

/** What parseScope must return for a model, given the id it was written as (without a trailing slash). */
function expected(model: ScopeModel, id: string): ParsedScope {
  const parsed: Record<string, string> = { level: model.level, scope: id };
  if (model.managementGroup !== undefined) parsed.managementGroup = model.managementGroup;
  if (model.subscriptionId !== undefined) parsed.subscriptionId = model.subscriptionId.toLowerCase();
  if (model.resourceGroup !== undefined) parsed.resourceGroup = model.resourceGroup;
  if (model.workspaceName !== undefined) parsed.workspaceName = model.workspaceName;
  return parsed as unknown as ParsedScope;
}

/** Inserts `text` into `id` at a position chosen by `at` (anywhere after the leading slash, or at the very end). */
const insertAt = (id: string, text: string, at: number) => {
  const position = 1 + (at % id.length);
  return id.slice(0, position) + text + id.slice(position);
};

// ---- Hostile material ---------------------------------------------------------------------------------------------

/** Tokens that no accepted scope may contain: inserting one anywhere into a valid id must make it invalid. */
const HOSTILE = [
  "..",
  "/..",
  "/../",
  "/.",
  "/./",
  "./",
  "//",
  "%2F",
  "%2f",
  "%2e",
  "%2E%2E",
  "%00",
  "%",
  "\\",
  "?",
  "?api-version=2022-04-01",
  "#",
  "#x",
  " ",
  "\t",
  "\n",
  "\r\n",
  "\u0000",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u200b", // zero-width space
  "\u200e", // left-to-right mark
  "\u2028",
  "\ufeff",
  "\u2215", // division slash, a "/" lookalike
  "\u2044", // fraction slash
  "\uff0f", // fullwidth solidus
  "\u2010", // hyphen, a "-" lookalike
  "\ud800", // a lone surrogate
  "\u{1f600}",
  "\u{1d400}", // mathematical bold A: a letter, but a surrogate pair to .NET's \w in Azure's pattern
];

/** Characters that look like, or case-fold to, ASCII ones — substituted for one character they imitate. */
const LOOKALIKES: Record<string, readonly string[]> = {
  a: ["\u0430", "\uff41"], // Cyrillic а, fullwidth a
  c: ["\u0441", "\u217d"], // Cyrillic с, small Roman numeral one hundred
  e: ["\u0435", "\uff45"],
  i: ["\u0131", "\u0456", "\u0130"], // dotless ı, Cyrillic і, İ
  k: ["\u212a", "\u043a"], // Kelvin sign (case-folds to k), Cyrillic к
  o: ["\u043e", "\u03bf", "\u2134"],
  p: ["\u0440"],
  s: ["\u017f", "\u0455"], // long s (upper-cases to S), Cyrillic ѕ
  x: ["\u0445"],
  "-": ["\u2010", "\u2011", "\u2013", "\u2212"],
  "/": ["\u2215", "\u2044", "\uff0f", "\u29f8"],
  ".": ["\u2024", "\uff0e", "\u3002"],
  "0": ["\uff10", "\u0660"],
  "1": ["\u0661", "\u2460"],
};

/** Any string a parser could meet, including long, Unicode and binary ones. */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.string({ maxLength: 2000 }),
  fc.string({ unit: fc.constantFrom(..."/subscriptionsresourceGroupsprovidersMicrosoft.MachineLearningServicesworkspaces0123456789abcdef-.%\\ ") }),
);

/**
 * Where a resource-group name sits in an id of the resource-group or workspace level, as [start, end) in code units;
 * the one place where Unicode letters and digits (and so lookalikes) are part of a valid id.
 */
function groupNameSpan(id: string, model: ScopeModel): [number, number] | undefined {
  if (model.resourceGroup === undefined) return undefined;
  const start = 1 + id.slice(1).split("/").slice(0, 3).join("/").length + 1;
  return [start, start + model.resourceGroup.length];
}

/** Every way a scope is spelled that parseScope accepts is printable ASCII outside its resource-group name, canonical, and reads back to itself. */
function expectCanonical(input: string, parsed: ParsedScope) {
  const outsideGroupName = parsed.resourceGroup === undefined ? parsed.scope : parsed.scope.replace(`/${parsed.resourceGroup}`, "/");
  expect(outsideGroupName).toMatch(/^[\x21-\x7e]+$/);
  if (parsed.resourceGroup !== undefined) expect(parsed.resourceGroup).toMatch(/^[-\p{L}\p{Mn}\p{Nd}\p{Pc}.()]+$/u);
  expect(parsed.scope).not.toMatch(/\.\.|\/\/|%|\\|\?|#/);
  const segments = parsed.scope === "/" ? [] : parsed.scope.slice(1).split("/");
  for (const segment of segments) expect(segment === "" || segment === "." || segment === "..", `segment "${segment}" in ${parsed.scope}`).toBe(false);
  expect(parsed.scope === "/" || !parsed.scope.endsWith("/")).toBe(true);
  expect(parsed.scope.length).toBeLessThanOrEqual(512);
  // The scope is the input itself, less at most one trailing slash: nothing is decoded, resolved or re-cased.
  expect([input, input.replace(/\/$/, "")]).toContain(parsed.scope);
  expect(parseScope(parsed.scope)).toEqual(parsed);
  // The parts rebuild the scope (no hidden segment), and the subscription is the one in the leading segment.
  if (parsed.level === "workspace") {
    expect(sameScope(workspaceScope(parsed.subscriptionId!, parsed.resourceGroup!, parsed.workspaceName!), parsed.scope)).toBe(true);
  }
  if (parsed.subscriptionId !== undefined) expect(parsed.scope.toLowerCase().startsWith(`/subscriptions/${parsed.subscriptionId}`)).toBe(true);
}

describe("ARM scope strings (property-based)", () => {
  it("never throws, whatever the input, in any of the module's functions", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(() => parseScope(a)).not.toThrow();
        expect(() => sameScope(a, b)).not.toThrow();
        expect(() => scopeApplies(a, b)).not.toThrow();
        expect(Object.keys(ORIGIN_LABELS)).toContain(assignmentOrigin(a, b));
        const parsed = parseScope(a);
        if (parsed) expectCanonical(a, parsed);
      }),
      RUNS,
    );
  });

  it("reads every valid scope back to its parts, in any casing of the fixed segments, with or without one trailing slash", () => {
    fc.assert(
      fc.property(validScope(), fc.boolean(), ({ id, model }, trailing) => {
        const input = trailing && id !== "/" ? `${id}/` : id;
        const parsed = parseScope(input);
        expect(parsed).toEqual(expected(model, id));
        expectCanonical(input, parsed!);
        if (model.level === "workspace") expect(sameScope(id, workspaceScope(model.subscriptionId!, model.resourceGroup!, model.workspaceName!))).toBe(true);
      }),
      RUNS,
    );
  });

  it("treats the whole id case-insensitively: upper- and lower-cased ids parse to the same scope", () => {
    fc.assert(
      fc.property(validScope(), ({ id, model }) => {
        for (const variant of [id.toUpperCase(), id.toLowerCase()]) {
          const parsed = parseScope(variant);
          expect(parsed?.level).toBe(model.level);
          expect(sameScope(parsed!.scope, id)).toBe(true);
          expect(parsed!.subscriptionId).toBe(model.subscriptionId?.toLowerCase());
        }
      }),
      RUNS,
    );
  });

  it("refuses a valid id with a hostile token inserted anywhere: dot segments, encodings, separators, whitespace, control and lookalike characters", () => {
    fc.assert(
      fc.property(validScope(), fc.constantFrom(...HOSTILE), fc.nat(), fc.boolean(), ({ id }, token, at, atStart) => {
        const tampered = atStart ? token + id : insertAt(id, token, at);
        expect(parseScope(tampered), JSON.stringify(tampered)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it("refuses more than one trailing slash, a leading or trailing dot segment, and a missing leading slash", () => {
    fc.assert(
      fc.property(validScope(), ({ id }) => {
        for (const variant of [`${id}//`, `${id}/.`, `${id}/./`, `${id}/..`, `/.${id}`, `/..${id}`, `/${id}`, id.slice(1), ` ${id}`, `${id} `, `${id}\u0000`]) {
          expect(parseScope(variant), JSON.stringify(variant)).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it("refuses any percent-encoding, even of characters that would be valid unencoded", () => {
    fc.assert(
      fc.property(
        validScope().filter(({ id }) => id.length > 1),
        fc.nat(),
        fc.boolean(),
        ({ id }, at, upper) => {
          const position = 1 + (at % (id.length - 1));
          // Percent-encoding one UTF-16 unit of a non-ASCII character would not decode back to it.
          fc.pre(id.charCodeAt(position) < 0x80);
          const hexCode = id.charCodeAt(position).toString(16).padStart(2, "0");
          const encoded = `${id.slice(0, position)}%${upper ? hexCode.toUpperCase() : hexCode}${id.slice(position + 1)}`;
          expect(decodeURIComponent(encoded)).toBe(id);
          expect(parseScope(encoded)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it("refuses an id with any segment emptied, replaced by a dot segment, or with a character outside its resource-group name swapped for a lookalike", () => {
    const substitutable = Object.keys(LOOKALIKES);
    fc.assert(
      fc.property(
        validScope().filter(({ id }) => id.length > 1),
        fc.nat(),
        fc.constantFrom("", ".", ".."),
        fc.nat(),
        fc.nat(),
        ({ id, model }, segmentAt, replacement, charAt, pick) => {
          const segments = id.slice(1).split("/");
          const index = segmentAt % segments.length;
          const emptied = `/${segments.map((segment, i) => (i === index ? replacement : segment)).join("/")}`;
          expect(parseScope(emptied), JSON.stringify(emptied)).toBeUndefined();

          const [from, to] = groupNameSpan(id, model) ?? [0, 0];
          const positions = [...id].flatMap((c, i) =>
            (substitutable.includes(c.toLowerCase()) || substitutable.includes(c)) && (i < from || i >= to) ? [i] : [],
          );
          fc.pre(positions.length > 0);
          const position = positions[charAt % positions.length]!;
          const original = id[position]!;
          const options = LOOKALIKES[original] ?? LOOKALIKES[original.toLowerCase()]!;
          const swapped = id.slice(0, position) + options[pick % options.length]! + id.slice(position + 1);
          expect(parseScope(swapped), JSON.stringify(swapped)).toBeUndefined();
        },
      ),
      RUNS,
    );
  });

  it("reads a lookalike inside a resource-group name as another resource group: valid when Azure's pattern allows it, never the same scope", () => {
    const substitutable = Object.keys(LOOKALIKES);
    fc.assert(
      fc.property(
        validScope().filter(({ model }) => model.resourceGroup !== undefined),
        fc.nat(),
        fc.nat(),
        ({ id, model }, charAt, pick) => {
          const [from, to] = groupNameSpan(id, model)!;
          const positions = [...id].flatMap((c, i) =>
            (substitutable.includes(c.toLowerCase()) || substitutable.includes(c)) && i >= from && i < to ? [i] : [],
          );
          fc.pre(positions.length > 0);
          const position = positions[charAt % positions.length]!;
          const original = id[position]!;
          const options = LOOKALIKES[original] ?? LOOKALIKES[original.toLowerCase()]!;
          const lookalike = options[pick % options.length]!;
          const swapped = id.slice(0, position) + lookalike + id.slice(position + 1);
          const parsed = parseScope(swapped);
          const allowed = /^[-\p{L}\p{Mn}\p{Nd}\p{Pc}()]$/u.test(lookalike);
          expect(parsed !== undefined, JSON.stringify(swapped)).toBe(allowed);
          if (parsed) {
            expect(parsed.resourceGroup).toBe(swapped.slice(from, to));
            expect(sameScope(swapped, id), JSON.stringify(swapped)).toBe(false);
            expect(scopeApplies(swapped, id) || scopeApplies(id, swapped), JSON.stringify(swapped)).toBe(false);
          }
        },
      ),
      RUNS,
    );
  });

  it("refuses overlong ids and names beyond Azure's limits, and accepts names exactly at them", () => {
    fc.assert(
      fc.property(
        guid,
        fc.oneof(groupName(90), managementGroupName(90)),
        workspaceName(33),
        fc.integer({ min: 1, max: 600 }),
        (subscription, group, name, extra) => {
          const longGroup = group.padEnd(91, "g") + "g".repeat(extra % 20);
          const longWorkspace = name.padEnd(34, "w") + "w".repeat(extra % 20);
          expect(parseScope(`/subscriptions/${subscription}/resourceGroups/${longGroup}`)).toBeUndefined();
          expect(parseScope(`/providers/Microsoft.Management/managementGroups/${longGroup}`)).toBeUndefined();
          expect(parseScope(workspaceScope(subscription, group, longWorkspace))).toBeUndefined();
          expect(parseScope(`/subscriptions/${subscription}${"/".repeat(2 + (extra % 50))}`)).toBeUndefined();
          expect(parseScope(`/subscriptions/${subscription}/resourceGroups/${group}${"a".repeat(512)}`.slice(0, 512 + (extra % 100)))).toBeUndefined();
          // At the limits: a 90-character group and a 33-character workspace (the longest id is well under 512).
          const atLimit = workspaceScope(subscription, group.padEnd(90, "g"), name.padEnd(33, "w"));
          expect(parseScope(atLimit)?.level).toBe("workspace");
        },
      ),
      RUNS,
    );
  });

  it("never reads another subscription than the leading one: ids nested, appended or smuggled under a workspace id are refused", () => {
    fc.assert(
      fc.property(
        validScope({ cased: false }).filter(({ model }) => model.level === "workspace"),
        guid,
        fc.nat(),
        ({ id, model }, other, at) => {
          fc.pre(other.toLowerCase() !== model.subscriptionId!.toLowerCase());
          const smuggled = [
            `${id}/subscriptions/${other}`,
            `${id}/../../../../../../subscriptions/${other}`,
            `${id}/%2e%2e/%2e%2e/subscriptions/${other}`,
            `${id}%2F..%2F..%2Fsubscriptions%2F${other}`,
            `${id}?scope=/subscriptions/${other}`,
            `${id}#/subscriptions/${other}`,
            `/subscriptions/${other}/..${id}`,
            `/subscriptions/${other}${id}`,
            insertAt(id, `/subscriptions/${other}`, at),
            id.replace(`/resourceGroups/${model.resourceGroup}`, `/resourceGroups/${model.resourceGroup}/subscriptions/${other}`),
          ];
          for (const value of smuggled) expect(parseScope(value), value).toBeUndefined();
          // And the id itself belongs to its own subscription, not the other one.
          expect(scopeApplies(`/subscriptions/${other}`, id)).toBe(false);
          expect(scopeApplies(`/subscriptions/${other}/`, id)).toBe(false);
          expect(scopeApplies(id.replace(model.subscriptionId!, other), id)).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it("accepts, out of arbitrary strings built from scope-like pieces, only canonical scopes", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "/",
        "subscriptions",
        "resourceGroups",
        "providers",
        "Microsoft.MachineLearningServices",
        "Microsoft.Management",
        "managementGroups",
        "workspaces",
        ".",
        "..",
        "%2F",
        "",
        " ",
        "\u0000",
        "\u212a",
      ),
      guid,
      groupName(12),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), fc.boolean(), (pieces, slashed) => {
        const input = slashed ? pieces.join("/") : pieces.join("");
        const parsed = parseScope(input);
        if (parsed) expectCanonical(input, parsed);
      }),
      RUNS,
    );
  });
});

describe("which scopes an assignment applies at (property-based, against a model of the hierarchy)", () => {
  // A small pool of names, so scopes often share a subscription or group, or differ only by a prefix or case.
  const SUBSCRIPTIONS = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-00000000000A", "00000000-0000-4000-8000-000000000010"];
  const pooled = validScope({
    names: {
      subscription: fc.constantFrom(...SUBSCRIPTIONS),
      managementGroup: fc.constantFrom("rg", "RG", "rg1", "rg-1", "rg.1", "r", "rg(1)"),
      // Unicode names too: "rg-ü"/"RG-Ü" are one group in two casings, the Kelvin sign is not the letter k.
      group: fc.constantFrom("rg", "RG", "rg1", "rg-1", "rg.1", "r", "rg(1)", "rg-ü", "RG-Ü", "rg-k", "rg-\u212a"),
      workspace: fc.constantFrom("mlw", "MLW", "mlw1", "mlw-1", "ml1"),
    },
  });
  const DEPTH: Record<ScopeLevel, number> = { root: 0, managementGroup: 1, subscription: 1, resourceGroup: 2, workspace: 3 };
  const same = (a?: string, b?: string) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase() && a.toUpperCase() === b.toUpperCase();

  /** The model: an assignment applies at its own scope and everything below it, and nowhere else. */
  function modelApplies(assignment: ScopeModel, target: ScopeModel): boolean {
    if (assignment.level === "root") return true;
    if (assignment.level === "managementGroup") return target.level === "managementGroup" && same(assignment.managementGroup, target.managementGroup);
    if (target.level === "root" || target.level === "managementGroup" || DEPTH[target.level] < DEPTH[assignment.level]) return false;
    if (!same(assignment.subscriptionId, target.subscriptionId)) return false;
    if (assignment.level === "subscription") return true;
    if (!same(assignment.resourceGroup, target.resourceGroup)) return false;
    return assignment.level === "resourceGroup" || same(assignment.workspaceName, target.workspaceName);
  }

  it("scopeApplies and sameScope agree with the model, in any casing and with a trailing slash on either side", () => {
    fc.assert(
      fc.property(pooled, pooled, fc.boolean(), fc.boolean(), (assignment, target, slashA, slashT) => {
        const a = slashA && assignment.id !== "/" ? `${assignment.id}/` : assignment.id;
        const t = slashT && target.id !== "/" ? `${target.id}/` : target.id;
        expect(scopeApplies(a, t), `${a} at ${t}`).toBe(modelApplies(assignment.model, target.model));
        const identical = modelApplies(assignment.model, target.model) && modelApplies(target.model, assignment.model);
        expect(sameScope(a, t), `${a} = ${t}`).toBe(identical);
        expect(sameScope(t, a)).toBe(sameScope(a, t));
      }),
      RUNS,
    );
  });

  it("counts an assignment ARM listed for a workspace's scope as applying when it is at a management group or the root (ARM lists only the groups above), otherwise as scopeApplies does", () => {
    fc.assert(
      fc.property(
        pooled,
        pooled.filter(({ model }) => model.level !== "root" && model.level !== "managementGroup"),
        (assignment, target) => {
          const inherited = assignment.model.level === "managementGroup" || assignment.model.level === "root";
          expect(listedAssignmentApplies(assignment.id, target.id), `${assignment.id} at ${target.id}`).toBe(
            inherited || scopeApplies(assignment.id, target.id),
          );
        },
      ),
      RUNS,
    );
  });

  it("labels where an applicable assignment comes from by its level", () => {
    fc.assert(
      fc.property(
        pooled,
        pooled.filter(({ model }) => model.level === "workspace"),
        (assignment, workspace) => {
          fc.pre(scopeApplies(assignment.id, workspace.id));
          const origin = assignmentOrigin(assignment.id, workspace.id);
          expect(origin).toBe(assignment.model.level);
        },
      ),
      RUNS,
    );
  });
});

describe("regressions (example-based)", () => {
  it('refuses a management group named "." or ending in "." (a dot segment that URL handling drops)', () => {
    // Before the fix, `/providers/Microsoft.Management/managementGroups/.` was read as a management group named ".";
    // sent to ARM it would be normalised to `…/managementGroups`, another resource altogether.
    expect(new URL("https://management.azure.com/providers/Microsoft.Management/managementGroups/./x").pathname).toBe(
      "/providers/Microsoft.Management/managementGroups/x",
    );
    for (const name of [".", "mg.", "(.", "a.b."]) {
      expect(parseScope(`/providers/Microsoft.Management/managementGroups/${name}`), name).toBeUndefined();
      expect(parseScope(`/providers/Microsoft.Management/managementGroups/${name}/`), `${name}/`).toBeUndefined();
    }
    expect(parseScope("/providers/Microsoft.Management/managementGroups/a.b")).toMatchObject({ level: "managementGroup", managementGroup: "a.b" });
    expect(parseScope(`/providers/Microsoft.Management/managementGroups/${"m".repeat(90)}`)?.level).toBe("managementGroup");
    expect(parseScope(`/providers/Microsoft.Management/managementGroups/${"m".repeat(91)}`)).toBeUndefined();
  });
});
