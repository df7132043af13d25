/**
 * Bad input over the wire: every server action in the production build and every read, posted raw as a signed-in
 * admin with argument lists no schema accepts (fast-check, seeded; a read gets the first argument, as JSON). Each answer is a clear `invalid_input` result — never an
 * HTTP 500, a stack trace or an error digest — and the tenant's journal shows no Graph or ARM call on anyone's behalf
 * during the post. The same properties through the wrapper in-process, with many more runs:
 * test/reliability/action-inputs.property.test.ts.
 */
import { expect, test } from "@playwright/test";
import fc from "fast-check";

import { actionNames, isRead, serverActionNames } from "../lib/shared/permissions";
import { HOSTILE_TEXT } from "../test/support/hostile-text";
import { CONSOLE_ORIGIN } from "./support/env";
import { callsOnSomeonesBehalf, sandbox } from "./support/sandbox";
import { buildServerActions, postRead, postServerAction } from "./support/server-actions";
import { SESSION_COOKIE, signIn } from "./support/sign-in";

const RUNS_PER_ACTION = 12;
const SEED = 20261124;

// ---- The wire format ------------------------------------------------------------------------------------------------

/**
 * A value as React's `encodeReply` puts it in a server-action body: JSON, with strings that start with "$" escaped as
 * "$$…" and the values JSON lacks spelled "$undefined", "$NaN", "$Infinity", "$-Infinity", "$-0" and "$n<digits>".
 * Keys are own properties even when they are "__proto__", as the browser's JSON would carry them.
 */
function encode(value: unknown): unknown {
  switch (typeof value) {
    case "undefined":
      return "$undefined";
    case "bigint":
      return `$n${value.toString()}`;
    case "number":
      if (Number.isNaN(value)) return "$NaN";
      if (value === Number.POSITIVE_INFINITY) return "$Infinity";
      if (value === Number.NEGATIVE_INFINITY) return "$-Infinity";
      return Object.is(value, -0) ? "$-0" : value;
    case "string":
      return value.startsWith("$") ? `$${value}` : value;
    case "object": {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(encode);
      const encoded: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(encoded, key, { value: encode(item), enumerable: true, writable: true, configurable: true });
      }
      return encoded;
    }
    default:
      return value;
  }
}

/**
 * The same value as a read's JSON body: what JSON cannot spell becomes what it can, still wrong for every field — the
 * special numbers null (as `JSON.stringify` writes them), a big integer an object.
 */
function asJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? { bigint: item.toString() } : item)) ?? "";
}

// ---- Arguments no action accepts ------------------------------------------------------------------------------------

const WORKSPACE = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/mlw-a";
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ minLength: 5_000, maxLength: 20_000 }),
  fc.constantFrom(
    "$",
    "$undefined",
    "$@1",
    "$Q1",
    "$K1",
    "$T",
    "$h1",
    "$-0",
    ...HOSTILE_TEXT,
    `${WORKSPACE}/../../subscriptions/00000000-0000-4000-8000-000000000002`,
    `${WORKSPACE}%2F..`,
    `${WORKSPACE}//`,
  ),
);
/** Values no field of any action accepts: the special numbers, big integers, null, nesting where text is expected. */
const wrongValue = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, -1, 1.5, 2 ** 60, null),
  fc.bigInt(),
  fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), hostileString), { maxKeys: 4 }),
);
const nested = (depth: number) => {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { workspaceId: value };
  return value;
};
/** A whole argument that is not an object: no schema (an object, or `undefined`) accepts it. */
const notAnObject = fc.oneof(
  hostileString,
  wrongValue.filter((value) => typeof value !== "object" || value === null || Array.isArray(value)),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }),
  fc.integer({ min: 50, max: 400 }).map(nested).filter(Array.isArray),
);
// Every field name the actions' schemas use, and keys that try to be more than data.
const FIELDS = [
  "workspaceId",
  "principalId",
  "roleDefinitionId",
  "principals",
  "assignmentIds",
  "confirmSelfLockout",
  "groupId",
  "mappingId",
  "revokeAssignment",
  "search",
  "query",
  "kinds",
  "document",
  "dryRun",
  "revokeRemoved",
  "sourceName",
  "keys",
  "requestId",
  "comment",
  "principal",
  "justification",
  "duration",
  "ticket",
  "snapshotId",
  "description",
];
const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "then", "$$typeof", "_response", "status", "approvedBy", "toString"];
/**
 * An object: its known fields hold wrong values (never well-formed text), and it always carries a `workspaceId` that is
 * not text — so only a schema with no required field and no `workspaceId` (exportMappings) could accept it.
 */
const junkObject = fc
  .tuple(
    wrongValue,
    fc.array(fc.tuple(fc.constantFrom(...FIELDS), wrongValue), { maxLength: 6 }),
    fc.array(fc.tuple(fc.constantFrom(...HOSTILE_KEYS), fc.oneof(wrongValue, hostileString)), { maxLength: 3 }),
  )
  .map(([workspaceId, fields, hostile]) => {
    const object: Record<string, unknown> = {};
    for (const [key, value] of [...fields, ...hostile, ["workspaceId", workspaceId] as const]) {
      Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return object;
  });
/** A whole argument list: the first argument is what the action reads; extra ones must change nothing. */
const invalidArguments = fc
  .tuple(fc.oneof({ arbitrary: notAnObject, weight: 2 }, { arbitrary: junkObject, weight: 3 }), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 2 }))
  .map(([first, extra]) => [first, ...extra]);

// ---- What the answer may not contain --------------------------------------------------------------------------------

// An action that throws is answered with HTTP 200 and an `E{"digest":…}` row in Next 16, so the status alone proves
// little: a digest in the body is what marks an unhandled failure.
const INTERNALS =
  /\bat [\w$.<>]+ \(|\.(?:js|ts|mjs|cjs):\d+:\d+|node:internal|webpack-internal|node_modules|ZodError|TypeError|RangeError|SyntaxError|"digest"|AADSTS|AuthorizationFailed/;

/** The tenant's journal since `seq`: its last sequence number, and the Graph and ARM calls made on someone's behalf. */
async function upstreamCallsSince(seq: number): Promise<{ lastSeq: number; calls: string[] }> {
  const { lastSeq, entries } = await sandbox.journal.since(seq);
  return { lastSeq, calls: callsOnSomeonesBehalf(entries).map((entry) => `${entry.system} ${entry.method} ${entry.path}`) };
}

let cookie = "";
test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage({ ignoreHTTPSErrors: true });
  await signIn(page, "admin");
  const session = (await page.context().cookies()).find((candidate) => candidate.name === SESSION_COOKIE);
  expect(session).toBeDefined();
  cookie = `${SESSION_COOKIE}=${session!.value}`;
  await page.close();
});

test("the posts below can fail: a valid post is answered and its Graph/ARM calls show in the journal", async ({ request }) => {
  const actions = buildServerActions();
  const { lastSeq } = await upstreamCallsSince(Number.MAX_SAFE_INTEGER);
  const verify = await postRead(request, "verifyAzureAccess", { cookie });
  expect(verify.status()).toBe(200);
  expect(await verify.text()).toContain('"status":"success"');
  expect((await upstreamCallsSince(lastSeq)).calls.length).toBeGreaterThan(0);
  // exportMappings reads only the database: an empty object is its valid input; an unknown key is refused (row 7).
  const exported = await postRead(request, "exportMappings", { cookie, input: {} });
  expect(await exported.text()).toContain('"status":"success"');
  const extra = await postRead(request, "exportMappings", { cookie, input: { status: "approved" } });
  expect(await extra.text()).toContain('"code":"invalid_input","message":"Unrecognized key: \\"status\\""');
  // A server action is answered too: ending a session that does not exist changes nothing.
  const ended = await postServerAction(request, actions.get("endSession")!, { cookie, args: [{ sessionId: "00000000-0000-4000-8000-000000000000" }] });
  expect(await ended.text()).toMatch(/"status":"(success|error)"/);
});

test("every action answers invalid argument lists with invalid_input: no 500, no stack, no Graph/ARM call", async ({ request }) => {
  test.setTimeout(120_000);
  const actions = buildServerActions();
  expect([...actions.keys()].sort()).toEqual(serverActionNames().sort());
  let seq = (await upstreamCallsSince(Number.MAX_SAFE_INTEGER)).lastSeq;
  for (const [index, name] of actionNames().sort().entries()) {
    await fc.assert(
      fc.asyncProperty(invalidArguments, async (args) => {
        const response = isRead(name)
          ? await postRead(request, name, { cookie, body: asJson(args[0]) })
          : await postServerAction(request, actions.get(name)!, { cookie, args: args.map(encode) });
        const body = await response.text();
        expect(response.status(), `${name}: HTTP ${response.status()}`).toBeLessThan(500);
        expect(body, `${name} answered with internals`).not.toMatch(INTERNALS);
        const objectInput = typeof args[0] === "object" && args[0] !== null && !Array.isArray(args[0]);
        if (name === "exportMappings" && objectInput) expect(body).toMatch(/"status":"(success|error)"/);
        else expect(body, `${name}: ${body.slice(0, 300)}`).toContain('"code":"invalid_input"');
        const after = await upstreamCallsSince(seq);
        seq = after.lastSeq;
        expect(after.calls, `${name} reached Graph/ARM for invalid input`).toEqual([]);
      }),
      { numRuns: RUNS_PER_ACTION, seed: SEED + index, endOnFailure: true },
    );
  }
});

/**
 * Bodies React's client never sends fail in Next's decoder, before the action (and its wrapper) runs. Next answers
 * them with a bare error digest: HTTP 200 for most actions, but HTTP 500 when the action is one the posted-to page
 * itself uses (here /account with endSession) — the framework's choice, out of the console's reach. What the
 * console does guarantee holds either way: no stack or internals in the answer, nothing run, no upstream call.
 */
test("bodies React would never send (malformed Flight, unresolved references, nesting 5,000 deep): a bare digest, no stack, no upstream call", async ({
  request,
}) => {
  const actions = buildServerActions();
  const nested = (depth: number) => `[${"[".repeat(depth)}"x"${"]".repeat(depth)}]`;
  const bodies = ["", "{{{", '"x"', "[", nested(5_000), '["$Q1"]', '["$1"]', '["$h1"]', '[{"then":"$1:then","_response":{}}]'];
  const bareDigest = /^0:\{[^\n]*\}\n1:E\{"digest":"\d+"\}\n?$/;
  let seq = (await upstreamCallsSince(Number.MAX_SAFE_INTEGER)).lastSeq;
  for (const name of ["endSession", "revokeWorkspaceRoles", "grantWorkspaceRoles", "submitAccessRequest"]) {
    for (const data of bodies) {
      const what = `${name} ${JSON.stringify(data.slice(0, 40))}`;
      const response = await request.post(`${CONSOLE_ORIGIN}/account`, {
        headers: {
          "Next-Action": actions.get(name)!,
          "Content-Type": "text/plain;charset=UTF-8",
          Accept: "text/x-component",
          Origin: CONSOLE_ORIGIN,
          Cookie: cookie,
        },
        data,
        failOnStatusCode: false,
        maxRedirects: 0,
      });
      const body = await response.text();
      expect([200, 500], what).toContain(response.status());
      expect(body, what).toMatch(bareDigest);
      const after = await upstreamCallsSince(seq);
      seq = after.lastSeq;
      expect(after.calls, `${what} reached Graph/ARM`).toEqual([]);
    }
  }
});

test("the reads route: bodies that are not JSON, not sent as JSON or too large are refused in its own words, no upstream call", async ({ request }) => {
  let seq = (await upstreamCallsSince(Number.MAX_SAFE_INTEGER)).lastSeq;
  const cases: Array<[string, { body: string; headers?: Record<string, string> }, number, string]> = [
    ["malformed JSON", { body: "{{{" }, 400, "The input is not valid JSON."],
    ["a Flight reference", { body: '["$Q1"]' }, 400, "Invalid input: expected object, received array"],
    ["a form post", { body: "query=admin", headers: { "Content-Type": "application/x-www-form-urlencoded" } }, 415, "Send the input as application/json."],
    ["text", { body: '{"query":"admin"}', headers: { "Content-Type": "text/plain;charset=UTF-8" } }, 415, "Send the input as application/json."],
    ["17 KB", { body: JSON.stringify({ query: "a".repeat(17_000) }) }, 413, "The request body is larger than 16384 bytes."],
  ];
  for (const [what, call, status, message] of cases) {
    const response = await postRead(request, "searchPrincipals", { cookie, ...call });
    const body = await response.text();
    expect(response.status(), what).toBe(status);
    expect(body, what).toContain('"code":"invalid_input"');
    expect(body, what).toContain(message);
    expect(body, what).not.toMatch(INTERNALS);
    const after = await upstreamCallsSince(seq);
    seq = after.lastSeq;
    expect(after.calls, `${what} reached Graph/ARM`).toEqual([]);
  }
});
