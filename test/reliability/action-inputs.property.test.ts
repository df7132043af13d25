/**
 * Bad input, property-based: every server action and read, called through the real `serverAction` wrapper as a
 * signed-in admin (only `next/headers` is stood in for: the admin's real session cookie and a same-origin request).
 *
 * - Junk of every kind its schema refuses, and a valid input with one field broken, deleted or added → a clear
 *   `invalid_input` result whose message names the problem (the broken field for a field), never a throw, no stack
 *   or upstream text, no prototype pollution, no network use from this process, no call in the tenant's journal and
 *   no row written.
 * - Workspace ids tampered with wherever an action takes one → refused the same way, before any upstream call.
 * - Well-formed references that point elsewhere (assignment ids from other workspaces and subscriptions, or with
 *   `..` and encodings; unknown role ids; reconcile keys that are not in the plan) → read at most: ARM's role
 *   assignments are unchanged and no write reaches it.
 *
 * The set of actions is the permission matrix's: each must be exported from a "use server" module (or be one of the
 * reads in lib/actions/reads.ts), have registered its schema with the wrapper and have a valid example here, or the
 * first test fails. The console code talks to a sandbox tenant of this file's own, so its call journal counts this
 * file's calls only.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";

import type { ActionResult } from "@/lib/shared/action-result";
import { actionNames, type ConsoleAction } from "@/lib/shared/permissions";
import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { HOSTILE_TEXT } from "@/test/support/hostile-text";
import { watchOutgoingCalls } from "@/test/support/outgoing-calls";
import { reliabilityLong } from "@/test/support/test-env";
import { CUSTOM_ROLE_IDS, ROLE_IDS } from "@/sandbox/tenant/index";
import { DATA_SCIENTIST, FREE_USERS, WORKSPACE } from "./support/churn-workspace";
import { nextRequest as request } from "@/test/support/next-request";

const SCALE = reliabilityLong() ? 10 : 1;
const JUNK_RUNS = 200 * SCALE;
const MUTATION_RUNS = 100 * SCALE;
const TAMPERED_RUNS = 40 * SCALE;
const ELSEWHERE_RUNS = 25 * SCALE;

vi.mock("next/headers", () => import("@/test/support/next-request").then((module) => module.nextHeadersModule));

// Before any console code reads its configuration.
const tenant = await startPrivateSandbox();

const { actionInputSchemas } = await import("@/lib/actions/server-action");
const { SESSION_COOKIE } = await import("@/lib/auth/session");
const { getConfig } = await import("@/lib/config");
const { getDatabase } = await import("@/lib/db");
const { auditEvents, azureChangeIntents } = await import("@/lib/db/schema");
const { groupMappings } = await import("@/lib/mappings/schema");
const { accessRequests } = await import("@/lib/requests/schema");
const { credentialSnapshots } = await import("@/lib/credentials/schema");
const { notificationOutbox } = await import("@/lib/notifications/schema");
const { consoleSessions } = await import("@/lib/auth/schema");
const { personaSessionCookie } = await import("@/test/support/persona-token");

type Action = (raw: unknown) => Promise<ActionResult<unknown>>;

// ---- The actions -------------------------------------------------------------------------------------------------

/** Every module that starts with "use server" (where Next.js takes server actions from), outside tests. */
function useServerModules(): string[] {
  const found: string[] = [];
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && /^\s*["']use server["']/.test(readFileSync(full, "utf8"))) found.push(full);
    }
  };
  for (const root of ["app", "components", "lib"]) visit(root);
  return found;
}

const actions = new Map<string, Action>();

const OID = "11111111-1111-4111-8111-111111111111";
/** A valid input for every action (checked against its schema below). TypeScript makes sure none is missing. */
const VALID: Record<ConsoleAction, unknown> = {
  signOut: undefined,
  verifyAzureAccess: undefined,
  endSession: { sessionId: OID },
  searchSessions: { query: "ada" },
  searchPrincipals: { query: "ada", kinds: ["user", "group"] },
  checkWorkspaceAccess: { workspaceId: WORKSPACE, principalId: OID },
  getGrantOptions: { workspaceId: WORKSPACE },
  previewPermissionDelta: { workspaceId: WORKSPACE, roleDefinitionId: DATA_SCIENTIST, principalId: OID },
  previewBundleDelta: { workspaceId: WORKSPACE, bundleId: "data-scientist", principalId: OID },
  grantWorkspaceRoles: {
    workspaceId: WORKSPACE,
    roleDefinitionId: DATA_SCIENTIST,
    principals: [{ id: OID, kind: "user", displayName: "Ada" }],
    description: "Churn model",
  },
  planBundleGrant: { workspaceId: WORKSPACE, bundleId: "data-scientist" },
  grantBundle: { workspaceId: WORKSPACE, bundleId: "data-scientist", principalId: OID },
  resumeBundleGrant: { bundleGrantId: OID },
  removeBundleGrant: { bundleGrantId: OID },
  revokeWorkspaceRoles: {
    workspaceId: WORKSPACE,
    assignmentIds: [`${WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/${OID}`],
    confirmSelfLockout: false,
  },
  verifyAuditChain: undefined,
  mappingRoleOptions: { workspaceId: WORKSPACE },
  createMapping: { workspaceId: WORKSPACE, groupId: OID, roleDefinitionId: DATA_SCIENTIST },
  deleteMapping: { mappingId: OID, revokeAssignment: false },
  importWorkspaceMappings: { workspaceId: WORKSPACE },
  previewGroupMembers: { groupId: OID, search: "ada" },
  exportMappings: {},
  importMappings: {
    document: {
      kind: "gatehouse.mappings",
      version: 1,
      exportedAt: "2026-11-24T00:00:00.000Z",
      mappings: [{ workspaceId: WORKSPACE, groupId: OID, groupDisplayName: "ML team", roleDefinitionId: DATA_SCIENTIST, roleName: "AzureML Data Scientist" }],
    },
    dryRun: true,
    revokeRemoved: false,
    sourceName: "mappings.json",
  },
  checkMappingDrift: { workspaceId: WORKSPACE },
  applyReconcile: { workspaceId: WORKSPACE, keys: ["plan-item"] },
  submitAccessRequest: {
    workspaceId: WORKSPACE,
    workspaceName: "mlw-churn-prod",
    roleDefinitionId: DATA_SCIENTIST,
    principal: { id: OID, kind: "user", displayName: "Ada" },
    justification: "Retraining the churn model this quarter",
    duration: "7d",
    ticket: "CHG-1234",
    extendsRequestId: OID,
  },
  cancelAccessRequest: { requestId: OID, comment: "" },
  approveAccessRequest: { requestId: OID, comment: "Fine" },
  denyAccessRequest: { requestId: OID, comment: "Not needed" },
  retryAccessRequest: { requestId: OID },
  runRequestJobsNow: {},
  refreshCredentialInventory: {},
  getCredentialRefreshStatus: { snapshotId: 1 },
};

const names = () => actionNames() as ConsoleAction[];
const schemaOf = (name: ConsoleAction): z.ZodType => actionInputSchemas().get(name)!;
const actionOf = (name: ConsoleAction): Action => actions.get(name)!;

// ---- What a call may not do ----------------------------------------------------------------------------------------

/** Calls the tenant answered since `seq` (Entra, Graph and ARM alike), as "METHOD path" lines. */
function tenantCallsSince(seq: number): string[] {
  return tenant.sandbox.journal.list({ since: seq }).map((entry) => `${entry.system} ${entry.method} ${entry.path}`);
}

/** Rows in every table an action writes to. */
async function rowCounts(): Promise<Record<string, number>> {
  const db = await getDatabase();
  const tables = { auditEvents, azureChangeIntents, groupMappings, accessRequests, credentialSnapshots, notificationOutbox, consoleSessions };
  const counts: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) counts[name] = await db.$count(table);
  return counts;
}

/** Calls an action and checks it made no network call and the tenant saw nothing from it. */
async function callWithoutUpstream(name: ConsoleAction, value: unknown): Promise<ActionResult<unknown>> {
  const seq = tenant.sandbox.journal.lastSeq;
  const network = watchOutgoingCalls();
  const result = await actionOf(name)(value);
  expect(network.calls(), `${name} used the network for invalid input`).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(tenantCallsSince(seq), `${name} reached the tenant for invalid input`).toEqual([]);
  return result;
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const prototypeKeys = () => PROTOTYPES.map((prototype) => Object.getOwnPropertyNames(prototype).sort().join(","));

const STACK_OR_UPSTREAM =
  /\bat \S+ \(|\bat (?:async )?\S+:\d+:\d+|node:internal|node_modules|ZodError|TypeError|RangeError|SyntaxError|undefined is not|Cannot read|AADSTS|Authorization_RequestDenied|AuthorizationFailed|"error":|eyJ[\w-]+\.eyJ/;

/** A refusal a person can act on: the expected code, a short message of its own, nothing internal, plain data. */
function expectClearRefusal(result: ActionResult<unknown>, codes: readonly string[] = ["invalid_input"]) {
  expect(result.status).toBe("error");
  if (result.status !== "error") return;
  expect(codes).toContain(result.code);
  expect(result.message.trim().length).toBeGreaterThan(3);
  expect(result.message.length).toBeLessThanOrEqual(500);
  expect(result.message).not.toMatch(STACK_OR_UPSTREAM);
  for (const [field, messages] of Object.entries(result.fieldErrors ?? {})) {
    expect(messages.length, `no message for ${field}`).toBeGreaterThan(0);
    for (const message of messages) {
      expect(message.trim().length).toBeGreaterThan(3);
      expect(message.length).toBeLessThanOrEqual(500);
      expect(message).not.toMatch(STACK_OR_UPSTREAM);
    }
  }
  // What the browser gets must survive serialisation unchanged: plain strings, no class instances or functions.
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
}

// ---- Junk --------------------------------------------------------------------------------------------------------

const INVALID_SCOPES = [
  "/",
  "/subscriptions/00000000-0000-4000-8000-000000000001",
  `${WORKSPACE}/../../../subscriptions/00000000-0000-4000-8000-000000000002`,
  `${WORKSPACE}%2F..%2F..`,
  WORKSPACE.replace("/resourceGroups/", "/resourceGroups/%2e%2e/"),
  `${WORKSPACE}//`,
  `${WORKSPACE}\u0000`,
  WORKSPACE.replace("/", "\u2215"),
];
const hostileString = fc.oneof(
  fc.string({ minLength: 5000, maxLength: 20_000 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom(
    "",
    " ",
    ...HOSTILE_TEXT,
    "constructor",
    "$undefined",
    "$@0",
    "not-a-guid",
    "00000000-0000-0000-0000-00000000000g",
    "{11111111-1111-4111-8111-111111111111}",
    "11111111111141118111111111111111",
    ...INVALID_SCOPES,
  ),
);
const numbers = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, -1, 0, 1.5, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE);
const prototypePollution = fc.constantFrom(
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  JSON.parse('{"constructor": {"prototype": {"polluted": true}}}') as unknown,
  JSON.parse('{"__proto__": {"__proto__": {"polluted": true}}, "toString": 1, "valueOf": "x", "hasOwnProperty": null}') as unknown,
);
/** Nesting far deeper than any input has: a recursive validator or copier would overflow its stack. */
const deepNesting = fc.tuple(fc.integer({ min: 1000, max: 20_000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i += 1) value = arrays ? [value] : { workspaceId: value };
  // A short name in fast-check's counterexamples (a symbol key, which no validator looks at).
  Object.defineProperty(value, fc.toStringMethod, { value: () => `/* ${arrays ? "array" : "object"} nested ${depth} deep */ {}` });
  return value;
});
const anything = fc.anything({
  maxDepth: 3,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
});
/** A wrong value for a field: any type, hostile strings, odd numbers, pollution attempts, deep nesting. */
const junkValue = fc.oneof(
  anything,
  hostileString,
  numbers,
  prototypePollution,
  deepNesting,
  fc.constantFrom(null, undefined, true, false, [], {}, new Date(Number.NaN)),
);

/** Junk for a whole input: anything, and objects with the schema's own keys holding junk. */
function junkFor(schema: z.ZodType): fc.Arbitrary<unknown> {
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const shaped = keys.length > 0 ? fc.dictionary(fc.constantFrom(...keys), junkValue, { minKeys: 1 }) : fc.constant(null);
  return fc.oneof(junkValue, shaped, fc.array(junkValue, { maxLength: 5 }));
}

// ---- Mutations of a valid input ------------------------------------------------------------------------------------

type Path = readonly (string | number)[];
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Every path into a value: the value itself, each key and each array element, recursively. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

const valueAt = (value: unknown, at: Path): unknown => at.reduce<unknown>((current, key) => (current as Record<string | number, unknown>)[key], value);

/** A copy of `value` with the thing at `at` changed by `change` (which gets a copy of the thing's container). */
function changeAt(value: unknown, at: Path, change: (container: Record<string | number, unknown>, key: string | number) => void): unknown {
  const [head, ...rest] = at;
  if (head === undefined) throw new Error("changeAt needs a non-empty path");
  const copy = (Array.isArray(value) ? [...(value as unknown[])] : { ...(value as Record<string, unknown>) }) as Record<string | number, unknown>;
  if (rest.length === 0) change(copy, head);
  else copy[head] = changeAt(copy[head], rest, change);
  return copy;
}

type Mutation =
  | { readonly kind: "replace"; readonly at: Path; readonly value: unknown }
  | { readonly kind: "delete"; readonly at: Path }
  | { readonly kind: "add"; readonly at: Path; readonly key: string; readonly value: unknown };

function mutate(valid: unknown, mutation: Mutation): unknown {
  switch (mutation.kind) {
    case "replace":
      return mutation.at.length === 0 ? mutation.value : changeAt(valid, mutation.at, (container, key) => (container[key] = mutation.value));
    case "delete":
      return changeAt(valid, mutation.at, (container, key) => {
        if (Array.isArray(container)) container.splice(Number(key), 1);
        else delete container[key];
      });
    case "add": {
      const add = (target: unknown) => {
        const copy = { ...(target as Record<string, unknown>) };
        // An own property even for "__proto__", as a JSON body would give.
        Object.defineProperty(copy, mutation.key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
        return copy;
      };
      return mutation.at.length === 0 ? add(valid) : changeAt(valid, mutation.at, (container, key) => (container[key] = add(container[key])));
    }
  }
}

/** One change to a valid input: a value replaced by junk, a key or element removed, or a key added. */
function mutationsOf(valid: unknown): fc.Arbitrary<Mutation> {
  const paths = pathsOf(valid);
  const inner = paths.filter((at) => at.length > 0);
  const objects = paths.filter((at) => isRecord(valueAt(valid, at)));
  const extraKey = fc.oneof(
    fc.constantFrom("__proto__", "constructor", "prototype", "status", "approvedBy", "requestedBy", "scope", "isAdmin", "then", "$$typeof"),
    fc.string({ minLength: 1, maxLength: 20 }),
  );
  const options: fc.Arbitrary<Mutation>[] = [fc.record({ kind: fc.constant("replace" as const), at: fc.constantFrom(...paths), value: junkValue })];
  if (inner.length > 0) options.push(fc.record({ kind: fc.constant("delete" as const), at: fc.constantFrom(...inner) }));
  if (objects.length > 0) {
    options.push(
      fc
        .record({ kind: fc.constant("add" as const), at: fc.constantFrom(...objects), key: extraKey, value: junkValue })
        .filter((mutation) => !Object.hasOwn(valueAt(valid, mutation.at) as object, mutation.key)),
    );
  }
  return fc.oneof(...options);
}

// ---- Set-up --------------------------------------------------------------------------------------------------------

beforeAll(async () => {
  for (const file of useServerModules()) {
    const exported = (await import(/* @vite-ignore */ path.resolve(file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      expect(actions.has(name), `two "use server" modules export ${name}`).toBe(false);
      if (typeof value === "function") actions.set(name, value as Action);
    }
  }
  // The reads run the same pipeline behind POST /api/reads/<name> (that route's JSON handling has tests of its own).
  for (const [name, read] of Object.entries((await import("@/lib/actions/reads")).READS)) {
    expect(actions.has(name), `a "use server" module also exports the read ${name}`).toBe(false);
    actions.set(name, read);
  }
  expect(SESSION_COOKIE).toBe("__Host-gatehouse-session");
  request.origin = getConfig().publicOrigin;
  request.cookie = await personaSessionCookie("admin");
  // The first call validates the session against the tenant's signing keys; after it, the keys are cached.
  const warm = await actionOf("exportMappings")({});
  expect(warm.status).toBe("success");
});

afterAll(async () => {
  await tenant.close();
});

// ---- Properties ----------------------------------------------------------------------------------------------------

describe("every server action refuses bad input clearly, before any upstream call", () => {
  it("covers exactly the permission matrix's actions and reads: each exported from a 'use server' module or the reads, its schema registered, a valid example", () => {
    expect([...actions.keys()].sort()).toEqual([...names()].sort());
    expect([...actionInputSchemas().keys()].sort()).toEqual([...names()].sort());
    expect(Object.keys(VALID).sort()).toEqual([...names()].sort());
    for (const name of names()) {
      const parsed = schemaOf(name).safeParse(VALID[name]);
      expect(parsed.success, `the valid example for ${name}: ${parsed.success ? "" : parsed.error.message}`).toBe(true);
    }
  });

  it.each(names())("%s: junk its schema refuses → invalid_input with a message for people; no throw, network call or write", async (name) => {
    const schema = schemaOf(name);
    const prototypesBefore = prototypeKeys();
    const rowsBefore = await rowCounts();
    await fc.assert(
      fc.asyncProperty(junkFor(schema), async (value) => {
        fc.pre(!schema.safeParse(value).success);
        expectClearRefusal(await callWithoutUpstream(name, value));
      }),
      { numRuns: JUNK_RUNS, seed: 1124 },
    );
    expect(({} as Record<string, unknown>).polluted, `${name} let input pollute Object.prototype`).toBeUndefined();
    expect(prototypeKeys(), `${name} changed a built-in prototype`).toEqual(prototypesBefore);
    expect(await rowCounts(), `${name} wrote for invalid input`).toEqual(rowsBefore);
  });

  it.each(names().filter((name) => VALID[name] !== undefined))(
    "%s: a valid input with one value broken, removed or added → invalid_input naming that field",
    async (name) => {
      const schema = schemaOf(name);
      const valid = VALID[name];
      const rowsBefore = await rowCounts();
      await fc.assert(
        fc.asyncProperty(mutationsOf(valid), async (mutation) => {
          const value = mutate(valid, mutation);
          fc.pre(!schema.safeParse(value).success);
          const result = await callWithoutUpstream(name, value);
          expectClearRefusal(result);
          if (result.status !== "error") return;
          const field = mutation.at[0];
          if (mutation.kind === "add" && field === undefined) {
            // A key the input may not have: the message names it.
            expect(result.fieldErrors ?? {}).toEqual({});
            expect(result.message).toContain(mutation.key);
          } else if (field !== undefined) {
            // Exactly the broken field is named, and nothing else.
            expect(Object.keys(result.fieldErrors ?? {}), JSON.stringify(mutation.at)).toEqual([String(field)]);
          }
        }),
        { numRuns: MUTATION_RUNS, seed: 2024 },
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await rowCounts(), `${name} wrote for invalid input`).toEqual(rowsBefore);
    },
  );

  // security test plan row 7 (mass assignment): a field the form does not send is refused, never silently dropped or kept.
  const MASS_ASSIGNMENT_KEYS = [
    "status",
    "approvedBy",
    "decidedBy",
    "requestedBy",
    "roleDefinitionId",
    "scope",
    "principalId",
    "isAdmin",
    "__proto__",
    "constructor",
  ];
  it.each(names().filter((name) => isRecord(VALID[name])))(
    "%s: a field the form never sends (status, approver, role, scope…) → invalid_input naming it",
    async (name) => {
      const valid = VALID[name] as Record<string, unknown>;
      const rowsBefore = await rowCounts();
      for (const key of MASS_ASSIGNMENT_KEYS.filter((candidate) => !Object.hasOwn(valid, candidate))) {
        const result = await callWithoutUpstream(name, mutate(valid, { kind: "add", at: [], key, value: "x" }));
        expectClearRefusal(result);
        expect(result.status === "error" ? result.message : "", `${name} + ${key}`).toContain(key);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await rowCounts(), `${name} wrote for invalid input`).toEqual(rowsBefore);
    },
  );

  /** Every place in every action's input that holds a workspace id. */
  const workspaceSlots = names().flatMap((name) =>
    pathsOf(VALID[name])
      .filter((at) => valueAt(VALID[name], at) === WORKSPACE)
      .map((at) => ({ name, at })),
  );

  it("finds workspace ids to tamper with in the inputs of every action that takes one", () => {
    expect(new Set(workspaceSlots.map((slot) => slot.name))).toEqual(
      new Set([
        "checkWorkspaceAccess",
        "getGrantOptions",
        "grantWorkspaceRoles",
        "revokeWorkspaceRoles",
        "planBundleGrant",
        "grantBundle",
        "mappingRoleOptions",
        "createMapping",
        "importWorkspaceMappings",
        "importMappings",
        "checkMappingDrift",
        "applyReconcile",
        "submitAccessRequest",
        "previewPermissionDelta",
        "previewBundleDelta",
      ]),
    );
  });

  const OTHER_SUBSCRIPTION = "22222222-2222-4222-8222-222222222222";
  const tamperedWorkspace = fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          "..",
          "/..",
          "/../",
          "/.",
          "%2F",
          "%2f",
          "%2e%2e",
          "%00",
          "\\",
          "?x=1",
          "#",
          " ",
          "\t",
          "\u0000",
          "//",
          "\u2215",
          "\uff0f",
          "\u200b",
          "\u212a",
          `/subscriptions/${OTHER_SUBSCRIPTION}`,
          "/providers/Microsoft.Authorization/roleAssignments/x",
        ),
        fc.nat(),
      )
      // Anywhere but at the very end, where a schema that trims would drop whitespace (the same workspace, then).
      .map(([insert, at]) => {
        const position = 1 + (at % (WORKSPACE.length - 1));
        return WORKSPACE.slice(0, position) + insert + WORKSPACE.slice(position);
      }),
    fc.constantFrom(
      ...INVALID_SCOPES,
      `${WORKSPACE}/subscriptions/${OTHER_SUBSCRIPTION}`,
      `${WORKSPACE}/.`,
      `/subscriptions/${OTHER_SUBSCRIPTION}/..${WORKSPACE}`,
      WORKSPACE.replace("/providers/Microsoft.MachineLearningServices/workspaces/", "/providers/Microsoft.Storage/storageAccounts/"),
      WORKSPACE.replace(/\/workspaces\/.*/, ""),
      `${WORKSPACE}/computes/cpu`,
      `${WORKSPACE}${"x".repeat(600)}`,
      WORKSPACE.toLowerCase().replace("mlw-churn-prod", "mlw-churn-prod."),
    ),
  );

  it.each(workspaceSlots.map((slot) => [`${slot.name} ${slot.at.join(".")}`, slot] as const))(
    "%s: a tampered workspace id → invalid_input before any upstream call or write",
    async (_label, { name, at }) => {
      const rowsBefore = await rowCounts();
      await fc.assert(
        fc.asyncProperty(tamperedWorkspace, async (workspaceId) => {
          expectClearRefusal(await callWithoutUpstream(name, mutate(VALID[name], { kind: "replace", at, value: workspaceId })));
        }),
        { numRuns: TAMPERED_RUNS, seed: 2411 },
      );
      expect(await rowCounts(), `${name} wrote for a tampered workspace id`).toEqual(rowsBefore);
    },
  );
  /** Every text value in every action's valid input: ids, names, free text, enum values. */
  const textSlots = names().flatMap((name) =>
    pathsOf(VALID[name])
      .filter((at) => at.length > 0 && typeof valueAt(VALID[name], at) === "string")
      .map((at) => ({ name, at })),
  );

  it.each(textSlots.map((slot) => [`${slot.name} ${slot.at.join(".")}`, slot] as const))(
    "%s: a NUL character in the text (which PostgreSQL cannot store) → invalid_input naming the field, before any upstream call or write",
    async (_label, { name, at }) => {
      const original = valueAt(VALID[name], at) as string;
      const rowsBefore = await rowCounts();
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.constantFrom("\u0000", "\u0000\u0000", " \u0000 "), async (position, nul) => {
          const cut = position % (original.length + 1);
          const result = await callWithoutUpstream(
            name,
            mutate(VALID[name], { kind: "replace", at, value: original.slice(0, cut) + nul + original.slice(cut) }),
          );
          expectClearRefusal(result);
          expect(Object.keys(result.status === "error" ? (result.fieldErrors ?? {}) : {})).toEqual([String(at[0])]);
        }),
        { numRuns: 10 * SCALE, seed: 7 },
      );
      expect(await rowCounts(), `${name} wrote for invalid input`).toEqual(rowsBefore);
    },
  );
});

describe("well-formed references that point elsewhere change nothing in Azure", () => {
  const ASSIGNMENTS = "/providers/Microsoft.Authorization/roleAssignments/";
  const idOf = (assignment: { scope: string; name: string }) => `${assignment.scope === "/" ? "" : assignment.scope}${ASSIGNMENTS}${assignment.name}`;
  const armAssignments = () => [...tenant.sandbox.tenant.roleAssignments.values()].map(idOf).sort();
  const armWrites = (seq: number) =>
    tenant.sandbox.journal
      .list({ since: seq })
      .filter((entry) => entry.system === "arm" && entry.method !== "GET")
      .map((entry) => `${entry.method} ${entry.path}`);

  const own = () => [...tenant.sandbox.tenant.roleAssignments.values()].filter((a) => a.scope.toLowerCase() === WORKSPACE.toLowerCase());
  const elsewhere = () => [...tenant.sandbox.tenant.roleAssignments.values()].filter((a) => a.scope.toLowerCase() !== WORKSPACE.toLowerCase());

  /** Assignment ids this workspace must not delete: other scopes' (inherited, sibling, other subscriptions'), and its own ones tampered with. */
  function foreignAssignmentIds() {
    const ownIds = own().map(idOf);
    const otherIds = elsewhere().map(idOf);
    const subscription = WORKSPACE.split("/")[2]!;
    const tampered = fc
      .tuple(fc.constantFrom(...ownIds), fc.constantFrom("..", "/..", "%2F", "%2e%2e", "/", "\u0000", " ", "x", "/providers/x"), fc.nat())
      .map(([id, insert, at]) => {
        const position = 1 + (at % (id.length - 1));
        return id.slice(0, position) + insert + id.slice(position);
      });
    const movedToOtherSubscription = fc
      .tuple(fc.constantFrom(...ownIds), fc.constantFrom("22222222-2222-4222-8222-222222222222", "00000000-0000-4000-8000-000000000000"))
      .map(([id, other]) => id.replace(subscription, other));
    const underOtherScopes = fc
      .tuple(fc.constantFrom(...ownIds), fc.constantFrom(...otherIds))
      .map(([id, other]) => `${other.slice(0, other.indexOf(ASSIGNMENTS))}${id.slice(id.indexOf(ASSIGNMENTS))}`);
    return fc
      .oneof(fc.constantFrom(...otherIds), tampered, movedToOtherSubscription, underOtherScopes)
      .filter((id) => id.length <= 600 && !ownIds.some((mine) => mine.toLowerCase() === id.toLowerCase()));
  }

  it("revokeWorkspaceRoles: assignment ids from other scopes and subscriptions, or tampered ones, are never deleted", async () => {
    expect(own().length).toBeGreaterThan(0);
    expect(elsewhere().length).toBeGreaterThan(0);
    const before = armAssignments();
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(foreignAssignmentIds(), { minLength: 1, maxLength: 4 }), async (assignmentIds) => {
        const seq = tenant.sandbox.journal.lastSeq;
        const result = await actionOf("revokeWorkspaceRoles")({ workspaceId: WORKSPACE, assignmentIds, confirmSelfLockout: true });
        // Refused as a whole (e.g. a NUL character), or each id answered as not this workspace's to remove.
        if (result.status === "error") expectClearRefusal(result);
        else {
          answered += 1;
          for (const item of result.data as { status: string; message: string }[]) {
            expect(["already_gone", "refused"]).toContain(item.status);
            expect(item.message).not.toMatch(STACK_OR_UPSTREAM);
          }
        }
        expect(armWrites(seq)).toEqual([]);
      }),
      { numRuns: ELSEWHERE_RUNS, seed: 77 },
    );
    // Most calls got past validation to the re-read of the workspace's assignments (the part under test).
    expect(answered).toBeGreaterThan(ELSEWHERE_RUNS / 2);
    expect(armAssignments()).toEqual(before);
  });

  it("grantWorkspaceRoles: a role id that is not a role in the subscription → invalid_input, nothing written", async () => {
    const before = armAssignments();
    const rowsBefore = await rowCounts();
    await fc.assert(
      fc.asyncProperty(fc.uuid(), async (roleDefinitionId) => {
        const seq = tenant.sandbox.journal.lastSeq;
        const result = await actionOf("grantWorkspaceRoles")({
          workspaceId: WORKSPACE,
          roleDefinitionId,
          principals: [{ id: OID, kind: "user", displayName: "Ada" }],
        });
        expectClearRefusal(result);
        expect(armWrites(seq)).toEqual([]);
      }),
      { numRuns: ELSEWHERE_RUNS, seed: 78 },
    );
    expect(armAssignments()).toEqual(before);
    expect(await rowCounts()).toEqual(rowsBefore);
  });

  it("applyReconcile: keys that are not in the plan are skipped, nothing written", async () => {
    const before = armAssignments();
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 200 }), fc.constantFrom(...own().map(idOf)), fc.uuid()), { minLength: 1, maxLength: 5 }),
        async (keys) => {
          const seq = tenant.sandbox.journal.lastSeq;
          const result = await actionOf("applyReconcile")({ workspaceId: WORKSPACE, keys });
          expect(result.status, JSON.stringify(result)).toBe("success");
          if (result.status !== "success") return;
          for (const item of result.data as { status: string }[]) expect(item.status).toBe("skipped");
          expect(armWrites(seq)).toEqual([]);
        },
      ),
      { numRuns: ELSEWHERE_RUNS, seed: 79 },
    );
    expect(armAssignments()).toEqual(before);
  });
});

describe("the grantable-role policy: no action creates an assignment of a role it forbids (nothing allowed here)", () => {
  const ASSIGNMENTS = "/providers/Microsoft.Authorization/roleAssignments/";
  const armAssignments = () =>
    [...tenant.sandbox.tenant.roleAssignments.values()].map((a) => `${a.scope}${ASSIGNMENTS}${a.name}|${a.principalId}|${a.roleDefinitionName}`).sort();
  const armWrites = (seq: number) =>
    tenant.sandbox.journal
      .list({ since: seq })
      .filter((entry) => entry.system === "arm" && entry.method !== "GET")
      .map((entry) => `${entry.method} ${entry.path}`);
  const forbiddenRole = fc
    .tuple(
      fc.constantFrom(ROLE_IDS.owner, ROLE_IDS.contributor, ROLE_IDS.userAccessAdministrator, ROLE_IDS.rbacAdministrator, CUSTOM_ROLE_IDS.accessDelegate),
      fc.boolean(),
    )
    .map(([id, upper]) => (upper ? id.toUpperCase() : id));
  const model = () => tenant.sandbox.tenant;
  const admin = () =>
    model()
      .personas()
      .find((persona) => persona.key === "admin")!;
  // Someone else, or the admin themselves (whose privileged grant would otherwise become a request for two approvers).
  const user = fc.oneof(
    fc.constantFrom(...FREE_USERS.slice(0, 5)).map((u) => ({ id: u.id, kind: "user", displayName: u.displayName })),
    fc.constant(null).map(() => ({ id: admin().objectId, kind: "user", displayName: model().users.get(admin().objectId)!.displayName })),
  );
  const group = fc.constantFrom(...[...model().groups.values()].slice(0, 5)).map((g) => ({ id: g.id, displayName: g.displayName }));
  const attempt = fc.oneof(
    fc.record({ action: fc.constant("grantWorkspaceRoles" as const), role: forbiddenRole, principal: user }),
    fc.record({ action: fc.constant("createMapping" as const), role: forbiddenRole, group }),
    fc.record({ action: fc.constant("importMappings" as const), role: forbiddenRole, group }),
  );

  it("grants, mappings and mapping imports of Contributor, Owner, User Access Administrator, RBAC Administrator or a role-writing custom role are refused, with nothing written to ARM, no request and no mapping", async () => {
    const before = armAssignments();
    const rowsBefore = await rowCounts();
    await fc.assert(
      fc.asyncProperty(attempt, async (input) => {
        const seq = tenant.sandbox.journal.lastSeq;
        if (input.action === "grantWorkspaceRoles") {
          const result = await actionOf("grantWorkspaceRoles")({ workspaceId: WORKSPACE, roleDefinitionId: input.role, principals: [input.principal] });
          expectClearRefusal(result, ["forbidden"]);
        } else if (input.action === "createMapping") {
          const result = await actionOf("createMapping")({ workspaceId: WORKSPACE, groupId: input.group.id, roleDefinitionId: input.role });
          expectClearRefusal(result, ["forbidden"]);
        } else {
          const result = await actionOf("importMappings")({
            document: { kind: "gatehouse.mappings", version: 1, mappings: [{ workspaceId: WORKSPACE, groupId: input.group.id, roleDefinitionId: input.role }] },
            dryRun: false,
            revokeRemoved: false,
          });
          expect(result.status, JSON.stringify(result)).toBe("success");
          if (result.status !== "success") return;
          const items = (result.data as { results: { ok: boolean; message: string }[] }).results;
          expect(items.length).toBe(1);
          expect(items[0]!.ok).toBe(false);
          expect(items[0]!.message).toContain("GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES");
        }
        expect(armWrites(seq)).toEqual([]);
      }),
      { numRuns: ELSEWHERE_RUNS * 2, seed: 80 },
    );
    expect(armAssignments()).toEqual(before);
    const after = await rowCounts();
    // Refusals and imports are audited; nothing else is written: no intent, mapping or request.
    expect({ ...after, auditEvents: 0 }).toEqual({ ...rowsBefore, auditEvents: 0 });
    expect(after.auditEvents).toBeGreaterThan(rowsBefore.auditEvents!);
  });
});

describe("the checks above can fail", () => {
  it("sees an action's upstream calls in this process's network use and in the tenant's journal", async () => {
    const seq = tenant.sandbox.journal.lastSeq;
    const network = watchOutgoingCalls();
    const result = await actionOf("getGrantOptions")({ workspaceId: WORKSPACE });
    expect(result.status, JSON.stringify(result)).toBe("success");
    expect(network.calls().length).toBeGreaterThan(0);
    expect(tenantCallsSince(seq).some((call) => call.startsWith("arm GET"))).toBe(true);
  });

  it("sees a write in the row counts (a valid sign-out is recorded in the audit trail)", async () => {
    const before = await rowCounts();
    const result = await actionOf("signOut")(undefined);
    expect(result.status).toBe("success");
    expect((await rowCounts()).auditEvents).toBe(before.auditEvents! + 1);
  });
});
