/**
 * Log injection, end to end: text an outsider controls, carried from where it enters the console to the log line it
 * ends up in, through the real route handlers and server actions (only `next/headers` is stood in for), with the
 * console's log output captured where `lib/log.ts` writes it (`console.log` / `console.error`).
 *
 * The inputs that reach a log line:
 * - an unverified bearer token's header (`alg`) on `POST /api/session` → `auth.token_rejected`;
 * - a CSP violation report's fields on the anonymous `POST /api/csp-report` → `csp.violation`;
 * - an upstream error's code and message (ARM's words, which can quote names people chose) → the server action's
 *   failure line.
 * And some that must reach none, though they pass through: a User-Agent (kept on the session and the audit event), a
 * request's justification (kept as the audit event's reason).
 *
 * Every line must be one line (no CR, LF, U+2028/U+2029 or raw control characters such as ANSI escapes), valid JSON
 * whose fields are exactly the ones the code writes (a forged `","level":"error` stays text inside a string), every
 * string bounded, and the hostile text present only escaped.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { startPrivateSandbox } from "@/test/support/private-sandbox";
import { createTenant } from "@/sandbox/tenant/index";
import { FREE_USERS, WORKSPACE } from "@/test/reliability/support/churn-workspace";
import { nextRequest as request } from "@/test/support/next-request";

vi.mock("next/headers", () => import("@/test/support/next-request").then((module) => module.nextHeadersModule));

const tenant = await startPrivateSandbox();

const { getConfig } = await import("@/lib/config");
const { LOG_FIELD_MAX } = await import("@/lib/log");
const { resetCspReportWindow } = await import("@/lib/security/csp-reports");
const sessionRoute = await import("@/app/api/session/route");
const cspRoute = await import("@/app/api/csp-report/route");
const requests = await import("@/app/actions/requests");
const { READS: reads } = await import("@/lib/actions/reads");
const { personaApiToken, personaSessionCookie } = await import("@/test/support/persona-token");
const { getDatabase } = await import("@/lib/db");
const { auditEvents } = await import("@/lib/db/schema");
const { consoleSessions } = await import("@/lib/auth/schema");

/** A forged line, a forged field, line separators, ANSI colours, and length. */
const FORGED = '","level":"error","evt":"fake';
const HOSTILE = `x\r\n{"level":"error","evt":"fake"}\u2028\u2029\u001b[31mred\u001b[0m\u0085${FORGED}\u0007`;
const LONG = `${HOSTILE}${"A".repeat(10_000)}`;
/** What an HTTP header can carry (fetch refuses CR, LF and NUL, and anything past U+00FF): ANSI escapes, C1, a forged field. */
const HEADER_HOSTILE = `Mozilla/5.0 \u001b[31mred\u001b[0m\u0085${FORGED}\u0007${"A".repeat(10_000)}`;

// ---- Capturing what lib/log.ts writes ------------------------------------------------------------------------------

let lines: string[] = [];

beforeAll(() => {
  for (const method of ["log", "error", "warn", "info"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
  }
  request.origin = getConfig().publicOrigin;
});

beforeEach(() => {
  lines = [];
});

afterAll(async () => {
  vi.restoreAllMocks();
  await tenant.close();
});

const RAW_BREAKERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u; // eslint-disable-line no-control-regex

/** One line as `lib/log.ts` must write it: checked, then parsed. */
function checkedLine(line: string, allowedKeys: readonly string[]): Record<string, unknown> {
  expect(line, "a raw line break, separator or control character in the line").not.toMatch(RAW_BREAKERS);
  const parsed = JSON.parse(line) as Record<string, unknown>;
  expect(typeof parsed).toBe("object");
  expect(
    Object.keys(parsed).every((key) => ["time", "level", "source", "message", ...allowedKeys].includes(key)),
    `unexpected field in ${line}`,
  ).toBe(true);
  expect(parsed).not.toHaveProperty("evt");
  for (const value of Object.values(parsed)) {
    if (typeof value === "string") expect(value.length).toBeLessThanOrEqual(LOG_FIELD_MAX + 20);
  }
  return parsed;
}

/** The lines whose message is `message`; every captured line is checked on the way. */
function linesWith(message: string | RegExp, allowedKeys: readonly string[]): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (const line of lines) {
    const parsed = checkedLine(line, [...allowedKeys, "requestId", "action", "code", "upstreamRequestId", "reason", "via", "detail", "error", "count"]);
    if (typeof parsed.message === "string" && (typeof message === "string" ? parsed.message === message : message.test(parsed.message))) found.push(parsed);
  }
  return found;
}

/** A JWS-shaped string whose protected header is the given JSON: never verified, so anyone can send one. */
function tokenWithHeader(header: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part({ sub: "x" })}.${Buffer.from("signature").toString("base64url")}`;
}

function sameOriginPost(path: string, init: { headers?: Record<string, string>; body?: string }): Request {
  return new Request(`${request.origin}${path}`, {
    method: "POST",
    headers: { origin: request.origin, "sec-fetch-site": "same-origin", ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

describe("log injection, from the outside to the log line", () => {
  it("a bearer token's header (alg) on POST /api/session: the rejection line names no attacker text", async () => {
    request.cookie = "";
    const response = await sessionRoute.POST(
      sameOriginPost("/api/session", { headers: { authorization: `Bearer ${tokenWithHeader({ alg: HOSTILE, typ: "JWT" })}`, "user-agent": HEADER_HOSTILE } }),
    );
    expect(response.status).toBe(401);
    const [rejected, ...more] = linesWith("auth.token_rejected", []);
    expect(more).toEqual([]);
    expect(rejected).toMatchObject({ level: "warn", source: "security", reason: "algorithm_not_allowed", detail: "alg other", via: "sign-in" });
    expect(lines.join("\n")).not.toContain("\u001b");
  });

  it("a CSP report's fields on the anonymous POST /api/csp-report: escaped, bounded, no forged field", async () => {
    resetCspReportWindow();
    const long = `https://example.test/${HOSTILE}${"B".repeat(1500)}`;
    const response = await cspRoute.POST(
      new Request(`${request.origin}/api/csp-report`, {
        method: "POST",
        headers: { "content-type": "application/csp-report" },
        body: JSON.stringify({
          "csp-report": { "document-uri": long, "violated-directive": HOSTILE, "blocked-uri": HOSTILE, "source-file": long, disposition: HOSTILE },
        }),
      }),
    );
    expect(response.status).toBe(204);
    const [violation, ...more] = linesWith("csp.violation", ["directive", "blocked", "page", "sourceFile", "line", "disposition"]);
    expect(more).toEqual([]);
    expect(violation).toMatchObject({ level: "warn", source: "security" });
    // The attacker's text is there, as text: its line breaks and escapes travel escaped inside one string.
    expect(String(violation!.directive)).toContain(FORGED);
    expect(String(violation!.directive)).toContain("\r\n");
    expect(String(violation!.page)).toMatch(/…\[\d+ more\]$/);
  });

  it("an upstream error's code and message (ARM's words) in a server action's failure line", async () => {
    request.cookie = await personaSessionCookie("admin");
    await tenant.control.faults.add({
      method: "GET",
      path: "/subscriptions/**/roleDefinitions",
      status: 400,
      errorCode: `Bad\r\n${FORGED}`.slice(0, 100),
      errorMessage: LONG.slice(0, 2000),
      times: 5,
    });
    try {
      const result = await reads.getGrantOptions({ workspaceId: WORKSPACE });
      expect(result.status).toBe("error");
      const failures = linesWith(/^Azure Resource Manager 400/, []);
      expect(failures.length, lines.join("\n")).toBeGreaterThan(0);
      for (const failure of failures) {
        expect(["info", "warn"]).toContain(failure.level);
        expect(failure.source).toBe("action");
        expect(String(failure.message)).toContain(FORGED);
        expect(String(failure.message)).toMatch(/…\[\d+ more\]$/);
      }
    } finally {
      await tenant.control.faults.clear();
    }
  });

  it("a User-Agent and a request's justification pass through to the session and the audit trail, never raw into a log line", async () => {
    // A real sign-in, from a hostile User-Agent: kept on the session (bounded), shown in the audit trail escaped.
    request.cookie = "";
    const token = await personaApiToken("team-lead");
    const signIn = await sessionRoute.POST(sameOriginPost("/api/session", { headers: { authorization: `Bearer ${token}`, "user-agent": HEADER_HOSTILE } }));
    expect(signIn.status).toBe(200);
    const db = await getDatabase();
    const sessions = await db.select().from(consoleSessions);
    const session = sessions.find((row) => row.userAgent.startsWith("Mozilla/5.0 \u001b"));
    expect(session?.userAgent.length).toBe(256);

    request.cookie = await personaSessionCookie("team-lead");
    // Someone with no role anywhere, so the request is filed (and its justification recorded).
    const oracle = createTenant({ seed: 1, scale: "default" });
    const assigned = [...oracle.roleAssignments.values()].map((assignment) => assignment.principalId);
    const covered = new Set([...assigned, ...assigned.filter((id) => oracle.groups.has(id)).flatMap((id) => oracle.transitiveMemberIds(id))]);
    const someone = FREE_USERS.find((user) => !covered.has(user.id))!;
    const submitted = await requests.submitAccessRequest({
      workspaceId: WORKSPACE,
      roleDefinitionId: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
      principal: { id: someone.id, kind: "user", displayName: someone.displayName },
      justification: HOSTILE,
      duration: "8h",
    });
    for (const line of lines) checkedLine(line, ["requestId", "action", "code", "upstreamRequestId", "reason", "via", "detail", "error", "count"]);
    expect(lines.join("\n")).not.toContain(FORGED);

    const signedIn = (await db.select().from(auditEvents)).filter((event) => event.action === "auth.signed_in" && event.actorSessionId === session?.id);
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0]!.actorUserAgent).not.toMatch(RAW_BREAKERS);
    expect(signedIn[0]!.actorUserAgent).toContain(FORGED);
    expect(submitted.status, JSON.stringify(submitted)).toBe("success");
    if (submitted.status !== "success") return;
    const [event] = (await db.select().from(auditEvents)).filter((row) => row.action === "request.submitted" && row.targetRequestId === submitted.data.id);
    expect(event?.reason).toContain(FORGED);
  });
});
