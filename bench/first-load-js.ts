/**
 * First-load JavaScript per page, as a browser downloads it: every `<script src>` (but `nomodule` ones, which modern
 * browsers skip), `<link rel="modulepreload">` and `<link rel="preload" as="script">` of the page's HTML, each fetched
 * once and gzipped at zlib's default level (6, the level Next's own compression uses). Scripts a page imports later (`import()` after hydration) are not counted: they
 * are not needed for its first paint. Next.js 16 no longer prints First Load JS in `next build`, hence this.
 *
 *   node --import tsx bench/first-load-js.ts --console http://localhost:3000 --cookie 'gatehouse_session=…' \
 *     [--path /workspaces --path /audit …] [--json]
 *
 * Without `--path`: the console's pages, the workspace and request pages at the first ones the lists link to; /signin
 * is always fetched without the cookie.
 */
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export interface ScriptSize {
  readonly src: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
}

export interface PageFirstLoad {
  readonly path: string;
  readonly rawBytes: number;
  readonly gzipBytes: number;
  /** Largest first (gzip). */
  readonly scripts: readonly ScriptSize[];
}

/** The signed-in pages with fixed paths; the workspace and request pages are found with `discoverPaths`. */
export const CONSOLE_PAGES = ["/workspaces", "/requests", "/requests/new", "/mappings", "/credentials", "/audit", "/notifications", "/policy"] as const;

const SCRIPT_TAG = /<script\b[^>]*>/g;
const LINK_TAG = /<link\b[^>]*>/g;

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`, "i").exec(tag)?.[1];
}

/** The script URLs a page's HTML makes the browser download before it runs, in order, without repeats. */
export function scriptUrls(html: string, pageUrl: string): string[] {
  const found = new Set<string>();
  for (const [tag] of html.matchAll(SCRIPT_TAG)) {
    const src = attribute(tag, "src");
    // Polyfills for browsers without modules: every browser the console supports skips them.
    if (src && !/\bnomodule\b/i.test(tag)) found.add(new URL(decodeEntities(src), pageUrl).href);
  }
  for (const [tag] of html.matchAll(LINK_TAG)) {
    const rel = attribute(tag, "rel")?.toLowerCase();
    const href = attribute(tag, "href");
    if (!href) continue;
    if (rel === "modulepreload" || (rel === "preload" && attribute(tag, "as")?.toLowerCase() === "script")) {
      found.add(new URL(decodeEntities(href), pageUrl).href);
    }
  }
  return [...found];
}

function decodeEntities(value: string): string {
  return value.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#x27;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
}

async function pageHtml(origin: string, path: string, cookie: string | undefined): Promise<string> {
  const response = await fetch(new URL(path, origin), { headers: { accept: "text/html", ...(cookie ? { cookie } : {}) }, redirect: "manual" });
  const html = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return html;
}

/**
 * Measures each page in `paths` (fetched with `cookie`, or without one when it is undefined). A script shared by
 * several pages is downloaded once and counted in each.
 */
export async function measureFirstLoadJs(origin: string, cookie: string | undefined, paths: readonly string[]): Promise<PageFirstLoad[]> {
  const sizes = new Map<string, Promise<{ rawBytes: number; gzipBytes: number }>>();
  const sizeOf = (url: string) => {
    let size = sizes.get(url);
    if (!size) {
      size = fetch(url).then(async (response) => {
        if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
        const body = Buffer.from(await response.arrayBuffer());
        return { rawBytes: body.byteLength, gzipBytes: gzipSync(body).byteLength };
      });
      sizes.set(url, size);
    }
    return size;
  };
  const pages: PageFirstLoad[] = [];
  for (const path of paths) {
    const urls = scriptUrls(await pageHtml(origin, path, cookie), new URL(path, origin).href);
    const scripts = await Promise.all(urls.map(async (url) => ({ src: new URL(url).pathname, ...(await sizeOf(url)) })));
    scripts.sort((a, b) => b.gzipBytes - a.gzipBytes);
    pages.push({
      path,
      rawBytes: scripts.reduce((sum, script) => sum + script.rawBytes, 0),
      gzipBytes: scripts.reduce((sum, script) => sum + script.gzipBytes, 0),
      scripts,
    });
  }
  return pages;
}

/** The first workspace page and request page the signed-in lists link to (whichever exist). */
export async function discoverPaths(origin: string, cookie: string): Promise<string[]> {
  const found: string[] = [];
  const workspace = /href="(\/workspaces\/[^"?#]+\/[^"?#]+\/[^"?#]+)"/.exec(await pageHtml(origin, "/workspaces", cookie))?.[1];
  if (workspace) found.push(decodeEntities(workspace));
  const request = /href="(\/requests\/(?!new\b)[^"?#/]+)"/.exec(await pageHtml(origin, "/requests", cookie))?.[1];
  if (request) found.push(decodeEntities(request));
  return found;
}

/** Every console page: the signed-in ones with `cookie`, and /signin without it. */
export async function measureConsole(origin: string, cookie: string): Promise<PageFirstLoad[]> {
  const signedIn = await measureFirstLoadJs(origin, cookie, [...CONSOLE_PAGES, ...(await discoverPaths(origin, cookie))]);
  return [...signedIn, ...(await measureFirstLoadJs(origin, undefined, ["/signin"]))];
}

export function formatTable(pages: readonly PageFirstLoad[], top = 3): string {
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const lines = [`${"page".padEnd(48)} ${"raw KB".padStart(8)} ${"gzip KB".padStart(8)}  largest (gzip KB)`];
  for (const page of pages) {
    const largest = page.scripts
      .slice(0, top)
      .map((script) => `${script.src.split("/").at(-1)} ${kb(script.gzipBytes)}`)
      .join(", ");
    lines.push(`${page.path.slice(0, 48).padEnd(48)} ${kb(page.rawBytes).padStart(8)} ${kb(page.gzipBytes).padStart(8)}  ${largest}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      console: { type: "string" },
      cookie: { type: "string" },
      path: { type: "string", multiple: true },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.console) throw new Error("--console <origin> is required");
  const pages = values.path
    ? await measureFirstLoadJs(values.console, values.cookie, values.path)
    : values.cookie
      ? await measureConsole(values.console, values.cookie)
      : await measureFirstLoadJs(values.console, undefined, ["/signin"]);
  console.log(values.json ? JSON.stringify(pages, null, 2) : formatTable(pages));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(`first-load-js failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
