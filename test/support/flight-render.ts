/**
 * Renders one value with React's Flight server (Next's own copy, as it serializes server-action results and Client
 * Component props) and prints what would go to the browser plus the errors raised. Run under
 * `node --conditions=react-server --import tsx`, as Next runs server code. Used by lib/auth/secret-token.test.ts.
 */
import path from "node:path";
import { createRequire } from "node:module";

import { SecretToken } from "../../lib/auth/secret-token";

const require = createRequire(import.meta.url);
const { renderToReadableStream } = require(path.resolve("node_modules/next/dist/compiled/react-server-dom-webpack/server.node.js")) as {
  renderToReadableStream: (model: unknown, manifest: unknown, options: { onError: (error: unknown) => string }) => ReadableStream<Uint8Array>;
};

const token = process.argv[2] ?? "";
const models: Record<string, unknown> = {
  "a plain string (control)": { token },
  "an action result holding the token": { ok: true, token: new SecretToken(token) },
  "a session passed as props": { session: { principal: { objectId: "o" }, assertion: new SecretToken(token) } },
};

const results: Record<string, { sent: string; errors: string[] }> = {};
for (const [name, model] of Object.entries(models)) {
  const errors: string[] = [];
  const stream = renderToReadableStream(
    model,
    {},
    {
      onError: (error) => {
        errors.push(error instanceof Error ? error.message : String(error));
        return "";
      },
    },
  );
  let sent = "";
  const decoder = new TextDecoder();
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) sent += decoder.decode(chunk);
  results[name] = { sent, errors };
}
process.stdout.write(JSON.stringify(results));
