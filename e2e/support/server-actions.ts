import { readFileSync } from "node:fs";

import type { APIRequestContext, APIResponse } from "@playwright/test";

import { isRead } from "../../lib/shared/permissions";
import { CONSOLE_ORIGIN } from "./env";

interface ManifestEntry {
  readonly filename?: string;
  readonly exportedName?: string;
}

/** Every server action in the production build, by exported name: the build's own list, not ours. */
export function buildServerActions(): Map<string, string> {
  const manifest = JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, ManifestEntry>;
  };
  const actions = new Map<string, string>();
  for (const [id, entry] of Object.entries(manifest.node)) {
    if (entry.exportedName) actions.set(entry.exportedName, id);
  }
  return actions;
}

/**
 * Calls a server action the way an attacker could: a raw POST with the action id. Arguments are the JSON-encoded
 * argument list React would send (`$undefined` for undefined).
 */
export function postServerAction(
  request: APIRequestContext,
  actionId: string,
  options: { origin?: string | null; headers?: Record<string, string>; cookie?: string; args?: unknown[] } = {},
): Promise<APIResponse> {
  const headers: Record<string, string> = {
    "Next-Action": actionId,
    "Content-Type": "text/plain;charset=UTF-8",
    Accept: "text/x-component",
    ...options.headers,
  };
  if (options.origin !== null) headers.Origin = options.origin ?? CONSOLE_ORIGIN;
  if (options.cookie) headers.Cookie = options.cookie;
  return request.post(`${CONSOLE_ORIGIN}/account`, {
    headers,
    data: JSON.stringify(options.args ?? ["$undefined"]),
    failOnStatusCode: false,
    maxRedirects: 0,
  });
}

/**
 * Calls a read (`kind: "read"` in the permission matrix) the way an attacker could: a raw POST to
 * `/api/reads/<name>` with the input as JSON (`body` instead, to send bytes that are not). The answer is the same
 * `ActionResult` a server action returns, as JSON.
 */
export function postRead(
  request: APIRequestContext,
  name: string,
  options: { origin?: string | null; headers?: Record<string, string>; cookie?: string; input?: unknown; body?: string } = {},
): Promise<APIResponse> {
  const headers: Record<string, string> = { "Content-Type": "application/json", ...options.headers };
  if (options.origin !== null) headers.Origin = options.origin ?? CONSOLE_ORIGIN;
  if (options.cookie) headers.Cookie = options.cookie;
  return request.post(`${CONSOLE_ORIGIN}/api/reads/${name}`, {
    headers,
    // As bytes: Playwright would encode a string again as JSON, since the content type says JSON.
    data: Buffer.from(options.body ?? (options.input === undefined ? "" : JSON.stringify(options.input))),
    failOnStatusCode: false,
    maxRedirects: 0,
  });
}

let builtActions: Map<string, string> | undefined;

/** A server action or a read by name, with no input (`undefined`): each by the way the browser calls it. */
export function postConsoleCall(request: APIRequestContext, name: string, options: { cookie?: string } = {}): Promise<APIResponse> {
  if (isRead(name)) return postRead(request, name, options);
  builtActions ??= buildServerActions();
  return postServerAction(request, builtActions.get(name)!, options);
}
