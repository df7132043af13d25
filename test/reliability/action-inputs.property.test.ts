/**
 * Bad input, property-based: every server action, called through the real `serverAction` wrapper as a signed-in
 * admin, with input its schema refuses → a clear `invalid_input` result (a message for people, no stack, no upstream
 * text), never a throw, and no network call at all (so no Graph or ARM call). Actions that take a workspace id get
 * well-typed input with a tampered id too → refused before any upstream call.
 *
 * The set of actions is the permission matrix's, and each must have registered a schema: an action added without
 * being covered here fails the first test.
 */
import { readdirSync, readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";

import fc from "fast-check";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";

import { getConfig } from "@/lib/config";
import { actionNames } from "@/lib/shared/permissions";
import type { ActionResult } from "@/lib/shared/action-result";
import { personaApiToken } from "@/test/support/persona-token";
import { reliabilityLong } from "@/test/support/test-env";

const SCALE = reliabilityLong() ? 10 : 1;

const session = vi.hoisted(() => ({ cookie: "", origin: "" }));
vi.mock("next/headers", () => ({
  headers: () => Promise.resolve(new Headers({ origin: session.origin, "sec-fetch-site": "same-origin" })),
  cookies: () => Promise.resolve({ get: (name: string) => (name === "__Host-gatehouse-session" && session.cookie ? { name, value: session.cookie } : undefined) }),
}));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { actionInputSchemas } = await import("@/lib/actions/server-action");
const { SESSION_COOKIE } = await import("@/lib/auth/session");

type Action = (raw: unknown) => Promise<ActionResult<unknown>>;

/** Every module under app/ that starts with "use server": where the console's actions live. */
function actionModules(): string[] {
  const found: string[] = [];
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.includes(".test.") && /^\s*["']use server["']/.test(readFileSync(full, "utf8"))) found.push(full);
    }
  };
  visit("app");
  return found;
}

const actions = new Map<string, Action>();
beforeAll(async () => {
  for (const file of actionModules()) {
    const exported = (await import(/* @vite-ignore */ path.resolve(file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) if (typeof value === "function") actions.set(name, value as Action);
  }
  expect(SESSION_COOKIE).toBe("__Host-gatehouse-session");
  session.origin = getConfig().publicOrigin;
  session.cookie = await personaApiToken("admin");
  // The first call validates the session against the tenant's signing keys; after it, keys are cached.
  const warm = await actions.get("exportMappings")!({});
  expect(warm.status).toBe("success");
});

/** Any network use from this process: Graph and ARM go through fetch (undici) or node:https. */
function watchNetwork() {
  const fetchSpy = vi.spyOn(globalThis, "fetch");
  const httpsSpy = vi.spyOn(https, "request");
  return { calls: () => fetchSpy.mock.calls.length + httpsSpy.mock.calls.length };
}
afterEach(() => {
  vi.restoreAllMocks();
});

const STACK_OR_UPSTREAM = /\bat \S+ \(|ZodError|TypeError|undefined is not|Cannot read|AADSTS|Authorization_RequestDenied|"error":/;

function expectClearRefusal(result: ActionResult<unknown>, codes: readonly string[] = ["invalid_input"]) {
  expect(result.status).toBe("error");
  if (result.status !== "error") return;
  expect(codes).toContain(result.code);
  expect(result.message.trim().length).toBeGreaterThan(3);
  expect(result.message).not.toMatch(STACK_OR_UPSTREAM);
  for (const messages of Object.values(result.fieldErrors ?? {})) for (const message of messages) expect(message).not.toMatch(STACK_OR_UPSTREAM);
}

/** Junk shaped like the schema where it has a shape (its keys with wrong values), and junk of every other kind. */
function junkFor(schema: z.ZodType): fc.Arbitrary<unknown> {
  const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true });
  const hostileString = fc.oneof(fc.string({ minLength: 5000, maxLength: 20_000 }), fc.constantFrom("../../etc/passwd", "%2e%2e%2f", "\u0000", "<script>", "' OR 1=1 --", "__proto__"));
  const prototypePollution = fc.constantFrom(JSON.parse('{"__proto__": {"polluted": true}}') as unknown, JSON.parse('{"constructor": {"prototype": {"polluted": true}}}') as unknown);
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const shaped = keys.length > 0 ? fc.dictionary(fc.constantFrom(...keys), fc.oneof(anything, hostileString, fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY))) : fc.constant(undefined);
  return fc.oneof(anything, hostileString, prototypePollution, shaped, fc.constantFrom(null, undefined, 0, "", [], true, Number.NaN));
}

describe("every server action refuses bad input clearly, before any upstream call", () => {
  it("covers every action in the permission matrix", () => {
    const schemas = actionInputSchemas();
    for (const name of actionNames()) {
      expect(actions.has(name), `no exported server action named ${name}`).toBe(true);
      expect(schemas.has(name as never), `${name} registered no input schema`).toBe(true);
    }
  });

  it("answers input its schema refuses with invalid_input and a message for people, never a throw or a network call", async () => {
    for (const name of actionNames()) {
      const schema = actionInputSchemas().get(name as never)!;
      const action = actions.get(name)!;
      await fc.assert(
        fc.asyncProperty(junkFor(schema), async (value) => {
          fc.pre(!schema.safeParse(value).success);
          const network = watchNetwork();
          const result = await action(value);
          expect(network.calls(), `${name} used the network for invalid input`).toBe(0);
          vi.restoreAllMocks();
          expectClearRefusal(result);
        }),
        { numRuns: 60 * SCALE, seed: 1124 },
      );
      expect(({} as Record<string, unknown>).polluted, `${name} let input pollute Object.prototype`).toBeUndefined();
    }
  });

  it("sees the network when an action does call upstream (so the checks above can fail)", async () => {
    const network = watchNetwork();
    const workspace = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-a";
    const result = await actions.get("getGrantOptions")!({ workspaceId: workspace });
    expect(result.status).toBe("error");
    expect(network.calls()).toBeGreaterThan(0);
  });

  it("refuses a tampered workspace id in otherwise valid input before any upstream call", async () => {
    const workspace = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-a";
    const objectId = "11111111-1111-4111-8111-111111111111";
    const roleId = "f6c7c914-8db3-469d-8ca1-694a8f32e121";
    const inputs: Record<string, (workspaceId: string) => unknown> = {
      getGrantOptions: (workspaceId) => ({ workspaceId }),
      checkWorkspaceAccess: (workspaceId) => ({ workspaceId, principalId: objectId }),
      grantWorkspaceRoles: (workspaceId) => ({ workspaceId, roleDefinitionId: roleId, principals: [{ id: objectId, kind: "user", displayName: "x" }] }),
      revokeWorkspaceRoles: (workspaceId) => ({ workspaceId, assignmentIds: [`${workspace}/providers/Microsoft.Authorization/roleAssignments/${objectId}`] }),
      mappingRoleOptions: (workspaceId) => ({ workspaceId }),
      importWorkspaceMappings: (workspaceId) => ({ workspaceId }),
      checkMappingDrift: (workspaceId) => ({ workspaceId }),
    };
    const tampered = fc
      .tuple(fc.constantFrom("..", "/..", "%2F", "%2e%2e", "\\", "?x=1", "#", " ", "//", "\u2215", "/providers/Microsoft.Authorization/roleAssignments/x"), fc.nat())
      .map(([insert, at]) => {
        const position = 1 + (at % (workspace.length - 1));
        return workspace.slice(0, position) + insert + workspace.slice(position);
      })
      .filter((id) => id.length <= 512);
    for (const [name, build] of Object.entries(inputs)) {
      const action = actions.get(name)!;
      await fc.assert(
        fc.asyncProperty(fc.oneof(tampered, fc.constantFrom(`${workspace}//`, workspace.replace("/subscriptions/", "/subscriptions/../"), "/", "/subscriptions/00000000-0000-4000-8000-000000000001")), async (workspaceId) => {
          const network = watchNetwork();
          const result = await action(build(workspaceId));
          expect(network.calls(), `${name} called upstream for ${workspaceId}`).toBe(0);
          vi.restoreAllMocks();
          expectClearRefusal(result, ["invalid_input", "not_found"]);
        }),
        { numRuns: 40 * SCALE, seed: 2411 },
      );
    }
  });
});
