/**
 * Bad input over the wire: every server action in the production build, posted raw as a signed-in admin
 * with argument lists no schema accepts (fast-check, seeded). Each answer is a clear `invalid_input` result — never an
 * HTTP 500, a stack trace or an error digest — and the tenant's journal shows no Graph or ARM call on anyone's behalf
 * during the post. The same properties through the wrapper in-process, with many more runs:
 * test/reliability/action-inputs.property.test.ts.
 */
import { expect, test } from "@playwright/test";
import fc from "fast-check";

import { actionNames } from "../lib/shared/permissions";
import { HOSTILE_TEXT } from "../test/support/hostile-text";
import { CONSOLE_ORIGIN } from "./support/env";
import { callsOnSomeonesBehalf, sandbox } from "./support/sandbox";
import { buildServerActions, postServerAction } from "./support/server-actions";
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
  const verify = await postServerAction(request, actions.get("verifyAzureAccess")!, { cookie, args: ["$undefined"] });
  expect(verify.status()).toBe(200);
  expect(await verify.text()).toContain('"status":"success"');
  expect((await upstreamCallsSince(lastSeq)).calls.length).toBeGreaterThan(0);
  // exportMappings reads only the database: an empty object is its valid input; an unknown key is refused (row 7).
  const exported = await postServerAction(request, actions.get("exportMappings")!, { cookie, args: [{}] });
  expect(await exported.text()).toContain('"status":"success"');
  const extra = await postServerAction(request, actions.get("exportMappings")!, { cookie, args: [{ status: "approved" }] });
  expect(await extra.text()).toContain('"code":"invalid_input","message":"Unrecognized key: \\"status\\""');
});

test("every action answers invalid argument lists with invalid_input: no 500, no stack, no Graph/ARM call", async ({ request }) => {
  test.setTimeout(120_000);
  const actions = buildServerActions();
  expect([...actions.keys()].sort()).toEqual(actionNames().sort());
  let seq = (await upstreamCallsSince(Number.MAX_SAFE_INTEGER)).lastSeq;
  for (const [index, name] of actionNames().sort().entries()) {
    const id = actions.get(name)!;
    await fc.assert(
      fc.asyncProperty(invalidArguments, async (args) => {
        const response = await postServerAction(request, id, { cookie, args: args.map(encode) });
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
 * itself uses (here /account with verifyAzureAccess) — the framework's choice, out of the console's reach. What the
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
  for (const name of ["verifyAzureAccess", "getGrantOptions", "grantWorkspaceRoles", "submitAccessRequest"]) {
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
