/**
 * A local HTTPS receiver standing in for Teams Workflows and Slack incoming webhooks: it records every post and
 * answers what the test scripts, per path (a status with headers and body, a cut connection), else its default.
 * It serves a certificate the test process trusts (e.g. a sandbox tenant's, signed by the CA in NODE_EXTRA_CA_CERTS),
 * on 127.0.0.1, so the console's real `fetch` reaches it as it would a webhook host.
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface ReceivedPost {
  readonly path: string;
  readonly method: string;
  readonly contentType: string | undefined;
  /** The JSON body, parsed (undefined when it was not JSON). */
  readonly body: unknown;
}

/** An answer: a status (with headers and a body), or `drop` (the connection is cut before any answer). */
export type ScriptedAnswer = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | "drop";

export interface WebhookReceiver {
  /** Every post, in order, on any path. */
  readonly posts: ReceivedPost[];
  /** `https://127.0.0.1:<port><path>`. */
  url(path: string): string;
  readonly port: number;
  /** Answers the next posts to `path` with these, in order; afterwards the default again. */
  script(path: string, ...answers: ScriptedAnswer[]): void;
  /** What a post gets when nothing is scripted for its path (initially 202, as Teams Workflows answer). */
  setDefault(answer: ScriptedAnswer): void;
  /** Forgets posts and scripts and restores the default answer. */
  reset(): void;
  close(): Promise<void>;
}

const ACCEPTED: ScriptedAnswer = { status: 202 };

export async function startWebhookReceiver(tls: { readonly cert: string; readonly key: string }): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  let fallback: ScriptedAnswer = ACCEPTED;
  const server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "";
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      posts.push({ path, method: request.method ?? "", contentType: request.headers["content-type"], body });
      const answer = scripts.get(path)?.shift() ?? fallback;
      if (answer === "drop") {
        request.socket.destroy();
        return;
      }
      // Each answer closes its connection: a kept-alive one the server times out while idle could be reused by the
      // client at that moment and reset, a flake that is no part of what a test checks.
      response
        .writeHead(answer.status, { "content-type": "text/plain", connection: "close", ...answer.headers })
        .end(answer.body ?? (answer.status < 300 ? "1" : ""));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    posts,
    port,
    url: (path) => `https://127.0.0.1:${port}${path}`,
    script(path, ...answers) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...answers]);
    },
    setDefault(answer) {
      fallback = answer;
    },
    reset() {
      posts.length = 0;
      scripts.clear();
      fallback = ACCEPTED;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
