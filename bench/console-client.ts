/**
 * Talks to the running production console over HTTP the way a browser does: a session cookie from `/api/session`,
 * full page loads (the whole streamed HTML, Suspense boundaries included), server-action posts with the action id
 * from the build's manifest, and reads posted as JSON to `/api/reads/<name>`. Nothing here reaches into the console's
 * process.
 */
import { readFileSync } from "node:fs";

import { isRead } from "@/lib/shared/permissions";
import { type PERSONA_LOGINS, personaApiToken } from "@/test/support/persona-token";

export type Persona = keyof typeof PERSONA_LOGINS;

/** Server-action ids by exported name, from the production build's own manifest. */
export function buildActionIds(): Map<string, string> {
  const manifest = JSON.parse(readFileSync(".next/server/server-reference-manifest.json", "utf8")) as {
    node: Record<string, { exportedName?: string }>;
  };
  const ids = new Map<string, string>();
  for (const [id, entry] of Object.entries(manifest.node)) if (entry.exportedName) ids.set(entry.exportedName, id);
  return ids;
}

/** A request a load tool sends again and again: a server action or a read (POST), or a page or route (GET). */
export interface ReplayedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** POST (a server action or a read) unless said otherwise. */
  readonly method?: "GET" | "POST";
}

export class ConsoleClient {
  private constructor(
    readonly origin: string,
    readonly cookie: string,
    private readonly actionIds: ReadonlyMap<string, string>,
  ) {}

  /** Signs a sandbox persona in (authorization code + PKCE at the sandbox) and hands the token to the console. */
  static async signIn(origin: string, persona: Persona, actionIds: ReadonlyMap<string, string>): Promise<ConsoleClient> {
    const token = await personaApiToken(persona);
    const response = await fetch(`${origin}/api/session`, { method: "POST", headers: { authorization: `Bearer ${token}`, origin } });
    const setCookie = response.headers.get("set-cookie") ?? "";
    const cookie = /^([^=;]+=[^;]*)/.exec(setCookie)?.[1];
    if (!response.ok || !cookie) throw new Error(`the console refused ${persona}'s session: ${response.status}`);
    return new ConsoleClient(origin, cookie, actionIds);
  }

  /** Loads a page to the end of its stream; returns its status and size. */
  async page(path: string): Promise<{ status: number; bytes: number }> {
    const response = await fetch(`${this.origin}${path}`, { headers: { cookie: this.cookie, accept: "text/html" }, redirect: "manual" });
    const body = await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    return { status: response.status, bytes: body.byteLength };
  }

  /** Streams a download to its end without keeping it; returns its size. */
  async download(path: string): Promise<number> {
    const response = await fetch(`${this.origin}${path}`, { headers: { cookie: this.cookie } });
    if (response.status !== 200 || !response.body) throw new Error(`GET ${path} answered ${response.status}`);
    let bytes = 0;
    const reader = response.body.getReader();
    for (let part = await reader.read(); !part.done; part = await reader.read()) bytes += part.value.byteLength;
    return bytes;
  }

  /** The raw request a server action or a read is, for load tools that replay it. */
  actionRequest(name: string, input: unknown): ReplayedRequest {
    if (isRead(name)) {
      return {
        path: `/api/reads/${name}`,
        headers: { "content-type": "application/json", origin: this.origin, cookie: this.cookie },
        body: input === undefined ? "" : JSON.stringify(input),
      };
    }
    const id = this.actionIds.get(name);
    if (!id) throw new Error(`the build has no server action ${name}`);
    return {
      path: "/",
      headers: {
        "next-action": id,
        "content-type": "text/plain;charset=UTF-8",
        accept: "text/x-component",
        origin: this.origin,
        cookie: this.cookie,
      },
      // No argument is sent as an empty list, as React's encodeReply does (JSON would turn `undefined` into null).
      body: JSON.stringify(input === undefined ? [] : [input]),
    };
  }

  /** A GET of `path` in this session, for load tools that replay it. */
  getRequest(path: string): ReplayedRequest {
    return { path, method: "GET", headers: { cookie: this.cookie }, body: "" };
  }

  /** Calls a server action or a read and returns its `ActionResult`: a read's JSON, or a server action's RSC reply. */
  async action<T = unknown>(name: string, input: unknown): Promise<T> {
    const request = this.actionRequest(name, input);
    const response = await fetch(`${this.origin}${request.path}`, { method: "POST", headers: request.headers, body: request.body });
    const text = await response.text();
    if (isRead(name)) return JSON.parse(text) as T;
    if (response.status !== 200) throw new Error(`action ${name} answered ${response.status}`);
    return parseActionReply<T>(text, name);
  }
}

/** React's reply is lines of `<row id>:<json>`; row 1 holds what the action returned. */
export function parseActionReply<T>(text: string, name = "action"): T {
  const line = text.split("\n").find((candidate) => candidate.startsWith("1:"));
  if (!line) throw new Error(`${name}: no result in the reply`);
  return JSON.parse(line.slice(2)) as T;
}
