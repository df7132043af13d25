/**
 * Security regressions (docs/security-test-plan.md, rows 2, 4, 24, 25, 27): proxy-bypass header and path variants,
 * anonymous action-id discovery, security headers on every HTML response, no-store on signed-in pages, and no test
 * seams or secrets in the browser's bundles. Rows 1, 3 and 29 are in permissions.spec.ts and security.spec.ts;
 * rows 12–14 (token validation) in lib/auth/access-token.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { type APIRequestContext, expect, test } from "@playwright/test";

import { CONSOLE_API_CLIENT_SECRET } from "../sandbox/contract";
import { createTenant } from "../sandbox/tenant/index";
import { CONSOLE_ORIGIN } from "./support/env";
import { CSP_PROBE_URL, loggedCspViolations } from "./support/csp-violations";
import { callsOnSomeonesBehalf, sandbox } from "./support/sandbox";
import { buildServerActions, postServerAction } from "./support/server-actions";
import { SESSION_COOKIE, signIn } from "./support/sign-in";

const oracle = createTenant({ seed: 1, scale: "default" });
const fraud = [...oracle.workspaces.values()].find((workspace) => workspace.name === "mlw-fraud-prod")!;
const WORKSPACE_PAGE = `/workspaces/${fraud.subscriptionId}/${fraud.resourceGroup}/${fraud.name}`;

const holderOnFraud = [...oracle.roleAssignments.values()].find((a) => a.scope.toLowerCase().endsWith("/mlw-fraud-prod") && oracle.users.has(a.principalId))!;
/**
 * Strings only signed-in pages show — a workspace's friendly name, a subscription's name, a persona's address, a
 * person holding a role on the workspace — and none of which a caller can put into the URL it asks for.
 */
const SENTINELS = [fraud.friendlyName, "Contoso ML Production", "admin@contosoml.onmicrosoft.com", oracle.users.get(holderOnFraud.principalId)!.displayName];

/** Every page route in the production build, with its dynamic segments filled in. */
function pageRoutes(): string[] {
  const manifest = JSON.parse(readFileSync(".next/app-path-routes-manifest.json", "utf8")) as Record<string, string>;
  return Object.entries(manifest)
    .filter(([file, route]) => file.endsWith("/page") && !route.startsWith("/_"))
    .map(([, route]) =>
      route.replace("/workspaces/[subscriptionId]/[resourceGroup]/[workspaceName]", WORKSPACE_PAGE).replace("[id]", "00000000-0000-4000-8000-000000000000"),
    );
}
// The sign-in page and MSAL's redirect bridge are public by design.
const PUBLIC_PAGES = new Set(["/signin", "/auth/redirect"]);
const PROTECTED_ROUTES = [...pageRoutes().filter((route) => !PUBLIC_PAGES.has(route)), "/api/audit/export?format=csv", "/api/credentials/export"];

async function callsOnBehalfOfSomeone(since: number) {
  return callsOnSomeonesBehalf((await sandbox.journal.since(since)).entries);
}

function expectNoSentinel(body: string, where: string) {
  for (const sentinel of SENTINELS) expect(body, `${where} leaked "${sentinel}"`).not.toContain(sentinel);
}

test.describe("row 4: proxy and middleware bypass variants reach no protected data", () => {
  const HEADER_VARIANTS: Record<string, string>[] = [
    { "x-middleware-subrequest": "middleware" },
    { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware" },
    { "x-middleware-subrequest": "proxy:proxy:proxy:proxy:proxy" },
    { "x-middleware-subrequest": "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware" },
    { "x-middleware-subrequest": "pages/_middleware" },
    { "x-middleware-prefetch": "1" },
    { rsc: "1" },
    { rsc: "1", "next-router-prefetch": "1" },
    { rsc: "1", "next-router-segment-prefetch": "/_tree" },
    { "next-router-state-tree": "%5B%22%22%2C%7B%7D%5D" },
    { "next-resume": "1" },
    { "x-nextjs-data": "1" },
    { "x-invoke-path": "/workspaces" },
    { "x-matched-path": "/workspaces" },
    { "x-now-route-matches": "1" },
    { "x-forwarded-host": "evil.test", "x-forwarded-proto": "https" },
  ];
  const PATH_VARIANTS = (route: string) => [
    route,
    `${route}/`,
    `/${route}`,
    route.toUpperCase(),
    `${route}${route.includes("?") ? "&" : "?"}_rsc=x`,
    `${route}.rsc`,
    route.replace(/^\/(\w)/, (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`),
  ];

  test("anonymous requests with bypass headers get no protected data on any route", async ({ request }) => {
    test.setTimeout(120_000);
    const before = await sandbox.journal.lastSeq();
    for (const route of PROTECTED_ROUTES) {
      for (const headers of HEADER_VARIANTS) {
        // API routes: follow Next's own redirects (e.g. `RSC: 1` adds `_rsc`) to where the handler answers.
        const response = await request.get(`${CONSOLE_ORIGIN}${route}`, { headers, maxRedirects: route.startsWith("/api/") ? 3 : 0, failOnStatusCode: false });
        const where = `${route} with ${JSON.stringify(headers)}`;
        expect(response.status(), where).toBeLessThan(500);
        const body = await response.text();
        expectNoSentinel(body, where);
        if (route.startsWith("/api/")) {
          // Refused — or, for `x-middleware-prefetch`, Next's own short-circuit: "{}" without running the handler.
          const skipped = response.headers()["x-middleware-skip"] === "1" && body === "{}";
          expect(response.status() >= 400 || skipped, `${where} answered an anonymous caller`).toBe(true);
        }
      }
    }
    // Nothing reached Graph or ARM on anyone's behalf.
    expect(await callsOnBehalfOfSomeone(before)).toEqual([]);
  });

  test("anonymous requests with odd path forms get no protected data either", async ({ request }) => {
    for (const route of PROTECTED_ROUTES) {
      for (const variant of PATH_VARIANTS(route)) {
        const response = await request.get(`${CONSOLE_ORIGIN}${variant}`, { maxRedirects: 0, failOnStatusCode: false });
        expect(response.status(), variant).toBeLessThan(500);
        expectNoSentinel(await response.text(), variant);
      }
    }
  });
});

test("row 2: action ids found in the browser's bundles give an anonymous caller nothing", async ({ request }) => {
  const inBuild = new Set(buildServerActions().values());
  const discovered = new Set<string>();
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith(".js")) {
        for (const match of readFileSync(full, "utf8").matchAll(/["']([0-9a-f]{40,42})["']/g)) if (inBuild.has(match[1]!)) discovered.add(match[1]!);
      }
    }
  };
  visit(".next/static");
  // The page bundles reference the actions their forms call: discovery is possible, and must not matter.
  expect(discovered.size).toBeGreaterThan(0);
  const before = await sandbox.journal.lastSeq();
  for (const id of [...discovered, "0".repeat(42), "ff".repeat(21)]) {
    const response = await postServerAction(request, id, { args: [{ workspaceId: "/subscriptions/x", query: "admin" }] });
    const body = await response.text();
    expect(response.status(), id).toBeLessThan(500);
    expect(body, id).not.toMatch(/\n\s+at \S+ \(|Error: /);
    expectNoSentinel(body, `action ${id}`);
    if (inBuild.has(id)) expect(body, id).toContain("unauthenticated");
  }
  expect(await callsOnBehalfOfSomeone(before)).toEqual([]);
});

test.describe("row 25: every HTML response carries the security headers", () => {
  async function expectSecurityHeaders(request: APIRequestContext, route: string, cookie?: string) {
    const load = () => request.get(`${CONSOLE_ORIGIN}${route}`, { headers: cookie ? { Cookie: cookie } : {}, maxRedirects: 0, failOnStatusCode: false });
    const [first, second] = [await load(), await load()];
    expect(first.headers()["content-type"] ?? "", route).toContain("text/html");
    const csp = first.headers()["content-security-policy"] ?? "";
    // Only MSAL's redirect bridge may be framed, and only by the console itself (a silent renewal's hidden iframe).
    const bridge = route === "/auth/redirect";
    const framing = bridge ? "frame-ancestors 'self'" : "frame-ancestors 'none'";
    for (const directive of ["default-src 'self'", framing, "base-uri 'none'", "object-src 'none'", "'strict-dynamic'"]) {
      expect(csp, `${route}: ${directive}`).toContain(directive);
    }
    expect(first.headers()["x-frame-options"], route).toBe(bridge ? "SAMEORIGIN" : "DENY");
    expect(csp, `${route}: no eval in production`).not.toContain("unsafe-eval");
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce, `${route}: a nonce`).toBeTruthy();
    expect(/'nonce-([^']+)'/.exec(second.headers()["content-security-policy"] ?? "")?.[1], `${route}: a fresh nonce per response`).not.toBe(nonce);
    // The nonce is the one the page's own scripts carry.
    expect(await first.text()).toContain(`nonce="${nonce}"`);
    expect(first.headers()["x-content-type-options"], route).toBe("nosniff");
    expect(first.headers()["referrer-policy"], route).toBeTruthy();
    expect(first.headers()["x-powered-by"], route).toBeUndefined();
    // Sandbox mode serves plain http on localhost: HSTS is for azure mode only (lib/security/headers.test.ts).
    expect(first.headers()["strict-transport-security"], route).toBeUndefined();
    return first;
  }

  test("signed out, on every page and on a page that does not exist", async ({ request }) => {
    for (const route of [...pageRoutes(), "/no-such-page"]) await expectSecurityHeaders(request, route);
  });

  test("signed in, on every page, and signed-in pages are never stored by a cache (row 24)", async ({ page, request }) => {
    await signIn(page, "admin");
    const value = (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE)!.value;
    const cookie = `${SESSION_COOKIE}=${value}`;
    for (const route of pageRoutes()) {
      const response = await expectSecurityHeaders(request, route, cookie);
      expect(response.headers()["cache-control"] ?? "", route).toMatch(/no-store|private/);
    }
  });
});

test("row 25: a page that breaks the policy is blocked and the browser's report reaches the console's log", async ({ page }) => {
  await signIn(page, "admin");
  const before = loggedCspViolations().filter((violation) => violation.blocked === CSP_PROBE_URL).length;
  const blocked = page.waitForEvent("console", (message) => message.type() === "error" && message.text().includes("Content Security Policy"));
  await page.evaluate((url) => {
    const image = document.createElement("img");
    image.src = url;
    document.body.append(image);
  }, CSP_PROBE_URL);
  await blocked;
  // The report is sent by the browser on its own time; the global teardown fails the run on any other violation.
  await expect.poll(() => loggedCspViolations().filter((violation) => violation.blocked === CSP_PROBE_URL).length, { timeout: 15_000 }).toBe(before + 1);
  const report = loggedCspViolations().findLast((violation) => violation.blocked === CSP_PROBE_URL)!;
  expect(report.directive).toBe("img-src");
  const shown = new URL(page.url());
  expect(report.page).toBe(`${shown.origin}${shown.pathname}`);
});

test("row 27: the browser's bundles hold no secrets, tokens, test seams or server settings", () => {
  const secrets = [
    new RegExp(CONSOLE_API_CLIENT_SECRET),
    // The shape of an Entra client secret (e.g. "abc8Q~…").
    /[\w.~-]{3}\dQ~[\w.~-]{31,34}/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /DATABASE_URL|postgres:\/\//,
    /GATEHOUSE_[A-Z_]+/,
    /\/_sandbox\//,
    /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./,
    /NODE_EXTRA_CA_CERTS|TEST_DATABASE_URL|GATEHOUSE_TEST_SANDBOX_ORIGIN/,
  ];
  let files = 0;
  const visit = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (/\.(js|css|html|json|txt|map)$/.test(entry.name)) {
        files++;
        const text = readFileSync(full, "utf8");
        for (const pattern of secrets) expect(pattern.test(text), `${full} matches ${pattern}`).toBe(false);
      }
    }
  };
  visit(".next/static");
  expect(files).toBeGreaterThan(10);
});
