/**
 * The directory read's overlap: `$batch` calls for the owners and federated credentials of a list page start while
 * later pages are still being read, full calls of 20, never more than four at once; and a list page or a `$batch`
 * call that fails stops the read cleanly (no further page, no call left in flight, Graph's error). Graph is a scripted
 * middleware here, so the order of calls and answers is under the test's control.
 */
import { Client, type Context, type Middleware } from "@microsoft/microsoft-graph-client";
import { describe, expect, it } from "vitest";

import { AppError } from "@/lib/errors";
import { GraphCallSlots, readDirectoryInventory } from "./inventory";

const GRAPH = "https://graph.microsoft.com/v1.0";

interface Script {
  /** Application pages, in order; `fail` answers that page with a 500. */
  readonly applicationPages: readonly { count: number; delayMs?: number; fail?: boolean }[];
  readonly servicePrincipals: number;
  /** The n-th `$batch` call (1-based) is answered with a 500. */
  readonly failBatch?: number;
  readonly batchDelayMs?: number;
}

interface Log {
  readonly events: string[];
  /** Ids of the `$batch` requests answered so far. */
  readonly answered: Set<string>;
  readonly batchSizes: number[];
  inFlight: number;
  maxInFlight: number;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Graph that serves the script: applications `a{n}` (one secret each), service principals `s{n}` with a secret. */
function scriptedGraph(script: Script): { client: Client; log: Log } {
  const log: Log = { events: [], answered: new Set(), batchSizes: [], inFlight: 0, maxInFlight: 0 };
  let appsServed = 0;
  let batches = 0;
  const middleware: Middleware = {
    execute: async (context: Context) => {
      const url = new URL(typeof context.request === "string" ? context.request : context.request.url);
      const path = url.pathname.replace("/v1.0", "");
      if (path === "/applications") {
        const page = Number(url.searchParams.get("page") ?? "0");
        const plan = script.applicationPages[page]!;
        log.events.push(`apps page ${page} asked`);
        await sleep(plan.delayMs ?? 0);
        log.events.push(`apps page ${page} answered`);
        if (plan.fail) {
          context.response = json(500, { error: { code: "InternalServerError", message: "page failed" } });
          return;
        }
        const value = Array.from({ length: plan.count }, () => {
          const n = appsServed++;
          return { id: `a${n}`, appId: `app-${n}`, displayName: `app ${n}`, passwordCredentials: [{ keyId: `k${n}`, endDateTime: "2030-01-01T00:00:00Z" }] };
        });
        const next = page + 1 < script.applicationPages.length ? { "@odata.nextLink": `${GRAPH}/applications?page=${page + 1}` } : {};
        context.response = json(200, { value, ...next });
        return;
      }
      if (path === "/servicePrincipals") {
        const value = Array.from({ length: script.servicePrincipals }, (_, n) => ({
          id: `s${n}`,
          appId: `sp-app-${n}`,
          displayName: `sp ${n}`,
          servicePrincipalType: "Application",
          passwordCredentials: [{ keyId: `sk${n}`, endDateTime: "2030-01-01T00:00:00Z" }],
        }));
        context.response = json(200, { value });
        return;
      }
      if (path === "/$batch") {
        const body = JSON.parse(context.options?.body as string) as { requests: { id: string; url: string }[] };
        const call = ++batches;
        log.batchSizes.push(body.requests.length);
        log.inFlight += 1;
        log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
        log.events.push(`batch ${call} sent`);
        await sleep(script.batchDelayMs ?? 5);
        log.inFlight -= 1;
        log.events.push(`batch ${call} answered`);
        if (call === script.failBatch) {
          context.response = json(500, { error: { code: "InternalServerError", message: "batch failed" } });
          return;
        }
        const responses = body.requests.map((request) => {
          const [, kind, id] = /^\/(applications|servicePrincipals)\/([^/]+)\//.exec(request.url)!;
          const value = request.url.includes("/federatedIdentityCredentials")
            ? [{ name: `fic-${id}`, issuer: "https://token.actions.githubusercontent.com", subject: `repo:${id}` }]
            : [{ id: `owner-of-${id}`, displayName: `Owner of ${kind} ${id}`, mail: `${id}@contoso.test` }];
          log.answered.add(request.id);
          return { id: request.id, status: 200, body: { value } };
        });
        context.response = json(200, { responses });
        return;
      }
      context.response = json(404, { error: { code: "NotFound", message: path } });
    },
    setNext: () => undefined,
  };
  return { client: Client.initWithMiddleware({ middleware, defaultVersion: "v1.0" }), log };
}

describe("reading the directory: $batch calls overlap the list pages", () => {
  it("starts the $batch calls before the last page arrives, 20 per call and at most 4 at once, and reads everything", async () => {
    const { client, log } = scriptedGraph({
      applicationPages: [{ count: 150 }, { count: 150, delayMs: 150 }, { count: 35, delayMs: 150 }],
      servicePrincipals: 12,
    });
    const directory = await readDirectoryInventory(client, () => undefined);

    expect(log.events.indexOf("batch 1 sent")).toBeLessThan(log.events.indexOf("apps page 2 answered"));
    expect(log.maxInFlight).toBeLessThanOrEqual(4);
    const requests = 335 * 2 + 12;
    expect(log.batchSizes.reduce((a, b) => a + b, 0)).toBe(requests);
    expect(log.batchSizes.slice(0, -1).every((size) => size === 20)).toBe(true);
    expect(directory.graphCalls).toBe(3 + 1 + Math.ceil(requests / 20));

    expect(directory.applications.map((app) => app.id)).toEqual(Array.from({ length: 335 }, (_, n) => `a${n}`));
    for (const app of directory.applications) {
      expect(app.owners).toEqual([{ id: `owner-of-${app.id}`, displayName: `Owner of applications ${app.id}`, mail: `${app.id}@contoso.test` }]);
      expect(app.federated).toEqual([{ name: `fic-${app.id}`, issuer: "https://token.actions.githubusercontent.com", subject: `repo:${app.id}` }]);
    }
    expect(directory.servicePrincipals.map((sp) => sp.owners.map((owner) => owner.id))).toEqual(Array.from({ length: 12 }, (_, n) => [`owner-of-s${n}`]));
    expect(directory.warnings).toEqual([]);
  });

  it("a later list page that fails fails the read with Graph's error, after the $batch calls in flight have ended", async () => {
    const { client, log } = scriptedGraph({
      applicationPages: [{ count: 200 }, { count: 200, delayMs: 60 }, { count: 10, delayMs: 20, fail: true }, { count: 10 }],
      servicePrincipals: 3,
      batchDelayMs: 40,
    });
    const failure = await readDirectoryInventory(client, () => undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: "upstream_unavailable" });
    expect(log.events).toContain("batch 1 sent");
    // No call left running behind the failure, and the page after the failed one is never asked for.
    expect(log.inFlight).toBe(0);
    expect(log.events).not.toContain("apps page 3 asked");
    const sent = log.events.filter((event) => event.endsWith("sent")).length;
    await sleep(100);
    expect(log.events.filter((event) => event.endsWith("sent")).length).toBe(sent);
  });

  it("a $batch call that fails while the lists are still read stops the lists and fails the read", async () => {
    const { client, log } = scriptedGraph({
      applicationPages: [{ count: 100 }, { count: 100, delayMs: 80 }, { count: 100, delayMs: 80 }, { count: 100, delayMs: 80 }],
      servicePrincipals: 0,
      failBatch: 1,
    });
    await expect(readDirectoryInventory(client, () => undefined)).rejects.toBeInstanceOf(AppError);
    expect(log.inFlight).toBe(0);
    expect(log.events).not.toContain("apps page 3 asked");
  });

  it("reports each object once, after its last navigation has answered, and the lists once both are read", async () => {
    const { client, log } = scriptedGraph({ applicationPages: [{ count: 60 }, { count: 45, delayMs: 30 }], servicePrincipals: 30 });
    const reported: string[] = [];
    const early: string[] = [];
    let listed: number[] | undefined;
    const directory = await readDirectoryInventory(client, () => undefined, {
      onListed: (applications, servicePrincipals) => {
        listed = [applications.length, servicePrincipals.length];
      },
      onObjectRead: (kind, index) => {
        reported.push(`${kind} ${index}`);
        // Every service principal here has a secret, so its owners are read.
        const needed = kind === "application" ? [`f${index}`, `o${index}`] : [`s${index}`];
        if (!needed.every((id) => log.answered.has(id))) early.push(`${kind} ${index}`);
      },
    });
    expect(listed).toEqual([105, 30]);
    expect(early).toEqual([]);
    const expected = [...Array.from({ length: 105 }, (_, n) => `application ${n}`), ...Array.from({ length: 30 }, (_, n) => `servicePrincipal ${n}`)];
    expect([...reported].sort()).toEqual(expected.sort());
    expect(directory.applications).toHaveLength(105);
  });

  it("keeps a limit of calls in flight shared with another reader", async () => {
    const { client, log } = scriptedGraph({ applicationPages: [{ count: 300 }], servicePrincipals: 0, batchDelayMs: 10 });
    const slots = new GraphCallSlots(4);
    // Another reader holds three of the four slots while the directory is read.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = Array.from({ length: 3 }, () => slots.run(() => gate));
    const directory = await readDirectoryInventory(client, () => undefined, { slots });
    expect(log.maxInFlight).toBe(1);
    expect(directory.applications.every((app) => app.owners.length === 1)).toBe(true);
    release();
    await Promise.all(held);
  });
});
