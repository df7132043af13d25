/** Helpers for the sandbox's own tests: HTTPS calls that trust the sandbox CA, PKCE, and a scripted sign-in. */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONSOLE_API_SCOPE, CONSOLE_SPA_CLIENT_ID } from "../contract";
import type { RunningSandbox } from "../server";

export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
  header(name: string): string | undefined;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Text, or bytes (a gzip body). */
  readonly body?: string | Buffer;
  /** Abort after this many ms (for hang faults). */
  readonly timeoutMs?: number;
  /** Leave out the control token a `/_sandbox/` call otherwise carries (to test the refusal). */
  readonly withoutControlToken?: boolean;
}

/** What the helpers need of a sandbox: where it listens, its CA, and (for control calls) its control token. */
export type SandboxUnderTest = Pick<RunningSandbox, "port" | "tls"> & Partial<Pick<RunningSandbox, "controlToken">>;

/** The request's headers: a control API call carries the sandbox's token, as the control client sends it. */
function headersFor(sandbox: SandboxUnderTest, path: string, options: RequestOptions): Record<string, string> | undefined {
  if (!path.startsWith("/_sandbox/") || options.withoutControlToken || sandbox.controlToken === undefined) return options.headers;
  return { "x-sandbox-control-token": sandbox.controlToken, ...options.headers };
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "gatehouse-sandbox-"));
}

/** Sends a request to the sandbox, trusting its CA. `path` is sent verbatim (so `//subscriptions` stays as is). */
export function call(sandbox: SandboxUnderTest, path: string, options: RequestOptions = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: "127.0.0.1",
        servername: "localhost",
        port: sandbox.port,
        path,
        method: options.method ?? "GET",
        headers: headersFor(sandbox, path, options),
        ca: sandbox.tls.caPem,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
            header: (name: string) => {
              const value = response.headers[name.toLowerCase()];
              return Array.isArray(value) ? value.join(", ") : value;
            },
          });
        });
        response.on("error", reject);
      },
    );
    if (options.timeoutMs) {
      request.setTimeout(options.timeoutMs, () => request.destroy(new Error("timeout")));
    }
    request.on("error", reject);
    request.end(options.body);
  });
}

export function postForm(
  sandbox: Pick<RunningSandbox, "port" | "tls">,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TestResponse> {
  return call(sandbox, path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

export function postJson(sandbox: SandboxUnderTest, path: string, body: unknown, method = "POST"): Promise<TestResponse> {
  return call(sandbox, path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

export const SPA_ORIGIN = "http://localhost:3000";
export const SPA_REDIRECT_URI = "http://localhost:3000/";

export interface SignInResult {
  readonly code: string;
  readonly verifier: string;
  readonly location: string;
  readonly cookie: string | undefined;
  readonly nonce: string;
}

/** Runs the SPA's authorize + password sign-in like a browser would and returns the code from the redirect. */
export async function signInSpa(
  sandbox: RunningSandbox,
  login: string,
  password: string,
  options: { scope?: string; responseMode?: "fragment" | "query"; claims?: string } = {},
): Promise<SignInResult> {
  const tid = sandbox.tenant.tenantId;
  const { verifier, challenge } = pkcePair();
  const nonce = randomBytes(8).toString("hex");
  const fields = {
    client_id: CONSOLE_SPA_CLIENT_ID,
    redirect_uri: SPA_REDIRECT_URI,
    response_type: "code",
    response_mode: options.responseMode ?? "fragment",
    scope: options.scope ?? `${CONSOLE_API_SCOPE} openid profile offline_access`,
    state: "state-123",
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
    client_info: "1",
    ...(options.claims ? { claims: options.claims } : {}),
    login,
    passwd: password,
  };
  const response = await postForm(sandbox, `/${tid}/oauth2/v2.0/authorize`, fields);
  const location = response.header("location");
  if (response.status !== 302 || !location) throw new Error(`sign-in failed: ${response.status} ${response.text.slice(0, 300)}`);
  const parameters = new URLSearchParams(location.split(options.responseMode === "query" ? "?" : "#")[1] ?? "");
  const code = parameters.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  const cookie = response.header("set-cookie")?.split(";")[0];
  return { code, verifier, location, cookie, nonce };
}

export async function redeemSpaCode(
  sandbox: RunningSandbox,
  signIn: SignInResult,
  overrides: Record<string, string> = {},
  headers: Record<string, string> = { origin: SPA_ORIGIN },
): Promise<TestResponse> {
  return postForm(
    sandbox,
    `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`,
    {
      grant_type: "authorization_code",
      client_id: CONSOLE_SPA_CLIENT_ID,
      code: signIn.code,
      redirect_uri: SPA_REDIRECT_URI,
      code_verifier: signIn.verifier,
      scope: `${CONSOLE_API_SCOPE} openid profile offline_access`,
      client_info: "1",
      ...overrides,
    },
    headers,
  );
}
