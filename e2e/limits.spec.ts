/**
 * Limits on abuse over the wire (security.md rows 23 and 35): an action body past Next's `bodySizeLimit` is refused
 * before the action runs, and a sustained stream of bodies React would never send leaves the console up, answering
 * each without a server error or internals, with bounded memory growth (read from /proc; latency is measured by
 * `npm run bench`, never asserted).
 */
import { type APIRequestContext, type Browser, expect, test } from "@playwright/test";
import fc from "fast-check";

import { consoleProcessId, residentBytes } from "./support/console-process";
import { CONSOLE_ORIGIN } from "./support/env";
import { PERSONAS } from "./support/personas";
import { buildServerActions, postRead } from "./support/server-actions";
import { SESSION_COOKIE } from "./support/sign-in";
import { storedSessionPage } from "./support/stored-sessions";

const SEED = 2326;
const FUZZ_BODIES = 2_000;
const RSS_GROWTH_BOUND = 200 * 1024 * 1024;
const INTERNALS = /\bat [\w$.<>]+ \(|\.(?:js|ts|mjs|cjs):\d+:\d+|node:internal|webpack-internal|node_modules|ZodError|TypeError|RangeError|SyntaxError|AADSTS/;

async function cookieOf(browser: Browser, persona: "team-lead" | "security" | "admin"): Promise<string> {
  const page = await storedSessionPage(browser, persona);
  const value = (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!.value;
  await page.context().close();
  return `${SESSION_COOKIE}=${value}`;
}

function postAction(request: APIRequestContext, actionId: string, cookie: string, data: string | Buffer, contentType = "text/plain;charset=UTF-8") {
  return request.post(`${CONSOLE_ORIGIN}/account`, {
    headers: { "Next-Action": actionId, "Content-Type": contentType, Accept: "text/x-component", Origin: CONSOLE_ORIGIN, Cookie: cookie },
    data,
    failOnStatusCode: false,
    maxRedirects: 0,
  });
}

/**
 * Next refuses the body while reading it ("Body exceeded 1mb limit", an ApiError with status 413); on a page that
 * renders the action it answers 500 (as for malformed bodies, e2e/action-inputs.spec.ts). Either way the action never
 * runs, which is what the console relies on (security.md row 23: "413/500 with no action run").
 */
test("a 1.5 MB action body is refused (413 or 500) and the action never runs", async ({ browser, request }) => {
  const actions = buildServerActions();
  const teamLead = await cookieOf(browser, "team-lead");
  const reader = await cookieOf(browser, "security");
  // signOut records auth.signed_out for the caller whenever it runs: the trail shows whether it did.
  const signOuts = async () => {
    const response = await request.get(`${CONSOLE_ORIGIN}/api/audit/export?format=jsonl&action=auth.signed_out`, { headers: { Cookie: reader } });
    expect(response.status()).toBe(200);
    return (await response.text()).split("\n").filter((line) => line.includes(PERSONAS["team-lead"].login)).length;
  };
  const before = await signOuts();
  const response = await postAction(request, actions.get("signOut")!, teamLead, JSON.stringify(["x".repeat(1.5 * 1024 * 1024)]));
  expect([413, 500]).toContain(response.status());
  expect(await response.text()).not.toMatch(INTERNALS);
  expect(await signOuts()).toBe(before);
});

// ---- Bodies React would never send ------------------------------------------------------------------------------

const reference = fc.constantFrom("$1", "$0", "$Q1", "$@1", "$h1", "$K1", "$T", "$B1", "$F1", "$n1", "$-0", "$1:then", "$1:__proto__:constructor");
const hostileKey = fc.constantFrom("__proto__", "constructor", "then", "prototype", "_response", "$$typeof", "status", "value");
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, reference, fc.string({ maxLength: 30 }), fc.integer(), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), tie("value"), { maxKeys: 4 }),
})).value;

interface FuzzBody {
  readonly data: string;
  readonly contentType?: string;
}

const textBody = (data: string): FuzzBody => ({ data });
const malformedBodies: fc.Arbitrary<FuzzBody> = fc.oneof(
  // Deep nesting, balanced or not.
  fc.integer({ min: 100, max: 20_000 }).map((depth) => textBody(`[${"[".repeat(depth)}"x"${"]".repeat(depth)}]`)),
  fc.integer({ min: 100, max: 20_000 }).map((depth) => textBody("[".repeat(depth))),
  // Huge strings (under the body limit).
  fc.integer({ min: 100_000, max: 900_000 }).map((length) => textBody(JSON.stringify(["$x" + "x".repeat(length)]))),
  // References that resolve to nothing, to themselves, or into prototypes.
  fc.array(fc.oneof(reference, jsonValue), { minLength: 1, maxLength: 6 }).map((args) => textBody(JSON.stringify(args))),
  jsonValue.map((value) => textBody(JSON.stringify([value]))),
  // Not JSON at all.
  fc.string({ unit: "binary", maxLength: 2_000 }).map(textBody),
  // Multipart bodies whose parts reference each other in a cycle.
  fc.tuple(fc.constantFrom("$1", "$@1", "$Q1", "$K1"), fc.constantFrom("$0", "$@0", "$1")).map(([first, second]) => {
    const boundary = "----gatehouse-fuzz";
    const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    return {
      data: `${part("0", JSON.stringify([first]))}${part("1", JSON.stringify([second]))}--${boundary}--\r\n`,
      contentType: `multipart/form-data; boundary=${boundary}`,
    };
  }),
);

test("a sustained stream of malformed Flight and multipart bodies: no server error, no internals, the console stays up with bounded memory", async ({
  browser,
  request,
}) => {
  test.setTimeout(600_000);
  const actions = buildServerActions();
  const admin = await cookieOf(browser, "admin");
  const post = (name: string) => (data: string, contentType?: string) => postAction(request, actions.get(name)!, admin, data, contentType);
  // The reads route takes the same bodies as JSON (a multipart one is refused for its type).
  const postToRead = (name: string) => (data: string, contentType?: string) =>
    postRead(request, name, { cookie: admin, body: data, headers: contentType ? { "Content-Type": contentType } : {} });
  const targets = [
    post("createMapping"),
    post("grantWorkspaceRoles"),
    post("submitAccessRequest"),
    post("importMappings"),
    post("applyReconcile"),
    postToRead("getGrantOptions"),
    postToRead("verifyAuditChain"),
  ];
  const pid = consoleProcessId(Number(new URL(CONSOLE_ORIGIN).port));
  const rssBefore = residentBytes(pid);
  const statuses = new Map<number, number>();

  const samples = fc.sample(malformedBodies, { numRuns: FUZZ_BODIES, seed: SEED });
  for (const [index, body] of samples.entries()) {
    const response = await targets[index % targets.length]!(body.data, body.contentType);
    const text = await response.text();
    const what = `body ${index} (${body.contentType ?? "text"}, ${body.data.length} chars): HTTP ${response.status()} ${text.slice(0, 200)}`;
    statuses.set(response.status(), (statuses.get(response.status()) ?? 0) + 1);
    // Next answers bodies its decoder refuses with a bare digest (200, see e2e/action-inputs.spec.ts) or a 4xx; the
    // console adds no server error of its own.
    expect(response.status() < 500, what).toBe(true);
    expect(text, what).not.toMatch(INTERNALS);
  }

  // Still up, the same process, and answering.
  expect(consoleProcessId(Number(new URL(CONSOLE_ORIGIN).port))).toBe(pid);
  expect((await request.get(`${CONSOLE_ORIGIN}/api/health`)).status()).toBe(200);
  const growth = residentBytes(pid) - rssBefore;
  test.info().annotations.push({ type: "answers", description: JSON.stringify(Object.fromEntries(statuses)) });
  test.info().annotations.push({ type: "rss growth (MB)", description: (growth / 1024 / 1024).toFixed(1) });
  expect(growth, "resident set growth over the fuzz").toBeLessThan(RSS_GROWTH_BOUND);
});
