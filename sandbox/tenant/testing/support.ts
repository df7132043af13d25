/**
 * Test helpers for calling Graph and ARM handlers directly: callers for personas and the console's API identity,
 * request builders, default settings and a structural JSON comparer for conformance tests.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { type Caller, CONSOLE_API_CLIENT_ID, type PersonaKey, type SandboxRequest, type SandboxSettings, SANDBOX_TENANT_ID } from "../../contract";
import { CONSOLE_API_DELEGATED_GRAPH_SCOPES, CONSOLE_API_GRAPH_APP_PERMISSIONS, CONSOLE_API_SERVICE_PRINCIPAL_ID } from "../console-apps";
import { newRoleAssignment, type RoleAssignmentPrincipalType } from "../model";
import { persona } from "../personas";
import type { Tenant } from "../tenant";

export const TEST_ORIGIN = "https://localhost:8443";
/** Fixed clock for tests: credential buckets and ARM timestamps are computed from it. */
export const TEST_NOW = new Date("2026-11-24T12:00:00.000Z");

export function testSettings(overrides: Partial<SandboxSettings> = {}): SandboxSettings {
  return {
    propagationDelaySeconds: 0,
    roleAssignmentLimitPerSubscription: 4000,
    accessTokenLifetimeSeconds: 3600,
    clockOffsetMs: 0,
    resourceGraphQuotaPerWindow: 15,
    resourceGraphQuotaWindowSeconds: 5,
    graphDefaultPageSize: 100,
    ...overrides,
  };
}

/** A delegated (on-behalf-of) caller for a persona, as the console's API would present it. */
export function userCaller(
  key: PersonaKey,
  scopes: readonly string[] = [...CONSOLE_API_DELEGATED_GRAPH_SCOPES, "user_impersonation"],
  authMethods: readonly string[] = ["pwd"],
): Caller {
  return { kind: "user", tenantId: SANDBOX_TENANT_ID, objectId: persona(key).objectId, appId: CONSOLE_API_CLIENT_ID, scopes, roles: [], authMethods };
}

export function userCallerById(objectId: string, scopes: readonly string[] = ["user_impersonation"]): Caller {
  return { kind: "user", tenantId: SANDBOX_TENANT_ID, objectId, appId: CONSOLE_API_CLIENT_ID, scopes, roles: [], authMethods: ["pwd"] };
}

/** The console API's own identity (client credentials). */
export function appCaller(roles: readonly string[] = CONSOLE_API_GRAPH_APP_PERMISSIONS): Caller {
  return {
    kind: "app",
    tenantId: SANDBOX_TENANT_ID,
    objectId: CONSOLE_API_SERVICE_PRINCIPAL_ID,
    appId: CONSOLE_API_CLIENT_ID,
    scopes: [],
    authMethods: [],
    roles,
  };
}

let requestCounter = 0;

export interface RequestOptions {
  readonly caller: Caller;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly now?: Date;
}

/** Builds a SandboxRequest the way the server does: path percent-decoded once, leading slashes collapsed. */
export function buildRequest(method: string, pathAndQuery: string, options: RequestOptions): SandboxRequest {
  const url = pathAndQuery.startsWith("https://") ? pathAndQuery.slice(TEST_ORIGIN.length) : pathAndQuery;
  const queryAt = url.indexOf("?");
  const rawPath = queryAt >= 0 ? url.slice(0, queryAt) : url;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  requestCounter++;
  return {
    method,
    path: `/${decodeURIComponent(rawPath).replace(/^\/+/, "")}`,
    query: new URLSearchParams(queryAt >= 0 ? url.slice(queryAt + 1) : ""),
    headers,
    body: options.body,
    caller: options.caller,
    requestId: `00000000-0000-4000-8000-${requestCounter.toString().padStart(12, "0")}`,
    now: options.now ?? TEST_NOW,
    origin: TEST_ORIGIN,
  };
}

const REFERENCE_ROOT = fileURLToPath(new URL("../../conformance/fixtures/", import.meta.url));

/** The text of a public API example in `sandbox/conformance/fixtures/` (tests only; the running sandbox never reads them). */
export function readReferenceText(relativePath: string): string {
  return readFileSync(`${REFERENCE_ROOT}${relativePath}`, "utf8");
}

/** A public API example from `sandbox/conformance/fixtures/`, parsed as JSON. */
export function readReference(relativePath: string): unknown {
  return JSON.parse(readReferenceText(relativePath)) as unknown;
}

export interface ShapeOptions {
  /** `exact`: same keys both ways (live recordings); `subset`: the example's keys must exist (trimmed spec examples). */
  readonly mode: "exact" | "subset";
  /** Paths (`a.b`, arrays as `a.b[]`) not compared. */
  readonly ignore?: readonly string[];
  /** Paths whose objects are maps (keys are data, e.g. `tags`): values are compared with the example's first value. */
  readonly maps?: readonly string[];
  /** Paths where our value may be null although the example has a value (nullable in the API's schema). */
  readonly nullable?: readonly string[];
  /** Paths the example has that we may omit (e.g. `nextLink` when there is no next page). */
  readonly optional?: readonly string[];
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Lists structural differences: same keys (recursively) and same JSON types; values may differ. */
export function shapeDifferences(expected: unknown, actual: unknown, options: ShapeOptions, path = ""): string[] {
  if (options.ignore?.includes(path)) return [];
  if (expected === null) return []; // A null in the example only says the property is nullable.
  if (actual === null && options.nullable?.includes(path)) return [];
  if (jsonType(expected) !== jsonType(actual)) return [`${path || "(root)"}: expected ${jsonType(expected)}, got ${jsonType(actual)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const template: unknown = (expected as unknown[])[0];
    if (template === undefined) return [];
    return (actual as unknown[]).flatMap((item) => shapeDifferences(template, item, options, `${path}[]`));
  }
  if (typeof expected === "object" && typeof actual === "object" && actual !== null) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    if (options.maps?.includes(path)) {
      const template = Object.values(e)[0];
      return template === undefined ? [] : Object.entries(a).flatMap(([k, v]) => shapeDifferences(template, v, options, `${path}.${k}`));
    }
    const differences: string[] = [];
    for (const key of Object.keys(e)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!(key in a)) {
        if (!options.optional?.includes(childPath) && !options.ignore?.includes(childPath)) differences.push(`${childPath}: missing`);
        continue;
      }
      differences.push(...shapeDifferences(e[key], a[key], options, childPath));
    }
    if (options.mode === "exact") {
      for (const key of Object.keys(a)) {
        const childPath = path ? `${path}.${key}` : key;
        if (!(key in e) && !options.ignore?.includes(childPath)) differences.push(`${childPath}: unexpected`);
      }
    }
    return differences;
  }
  return [];
}

/** Puts a role assignment straight into the tenant (no ARM rules), with a fresh name and no description or condition. */
export function putTestAssignment(
  tenant: Tenant,
  assignment: { scope: string; principalId: string; principalType: RoleAssignmentPrincipalType; roleDefinitionName: string; createdOn?: string },
): void {
  const createdOn = assignment.createdOn ?? "2026-01-05T10:00:00.0000000Z";
  tenant.putRoleAssignment(
    newRoleAssignment({
      name: randomUUID(),
      scope: assignment.scope,
      roleDefinitionName: assignment.roleDefinitionName,
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      createdOn,
    }),
  );
}
