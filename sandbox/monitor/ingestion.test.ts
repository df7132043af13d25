import { gzipSync } from "node:zlib";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import {
  CONSOLE_API_CLIENT_ID,
  CONSOLE_API_CLIENT_SECRET,
  SANDBOX_AUDIT_DCR_IMMUTABLE_ID,
  SANDBOX_AUDIT_STREAM,
  SANDBOX_DEPLOYER_CLIENT_ID,
  SANDBOX_DEPLOYER_CLIENT_SECRET,
} from "../contract";
import { call, decodeJwtPayload, postForm, postJson, tempDataDir } from "../entra/test-support";
import { type RunningSandbox, startSandbox } from "../server";

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, dataDir: tempDataDir(), log: () => {} });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await postJson(sandbox, "/_sandbox/reset", {});
});

async function appToken(clientId: string, secret: string, scope: string): Promise<string> {
  const response = await postForm(sandbox, `/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, {
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: secret,
    scope,
  });
  expect(response.status).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

// The scope `@azure/monitor-ingestion` asks for: its audience plus `/.default`.
const MONITOR_SCOPE = "https://monitor.azure.com//.default";
const consoleToken = () => appToken(CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET, MONITOR_SCOPE);
const streamPath = (dcr = SANDBOX_AUDIT_DCR_IMMUTABLE_ID, stream = SANDBOX_AUDIT_STREAM) =>
  `/dataCollectionRules/${dcr}/streams/${stream}?api-version=2023-01-01`;

function ingest(token: string, body: string | Buffer, options: { path?: string; headers?: Record<string, string> } = {}) {
  return call(sandbox, options.path ?? streamPath(), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...options.headers },
    body,
  });
}

async function ingested(): Promise<{ record: Record<string, unknown>; ingestedByAppId: string }[]> {
  return (await call(sandbox, "/_sandbox/ingested-logs")).json<{ value: { record: Record<string, unknown>; ingestedByAppId: string }[] }>().value;
}

describe("the Logs Ingestion endpoint", () => {
  it("issues app tokens for https://monitor.azure.com, accepts a JSON array with 204 and keeps it in order", async () => {
    const token = await consoleToken();
    // A v1 token's audience is the resource as the scope named it: the SDK's `…//.default` gives the trailing slash.
    expect(decodeJwtPayload(token).aud).toBe("https://monitor.azure.com/");
    const response = await ingest(token, JSON.stringify([{ Sequence: 1 }, { Sequence: 2 }]));
    expect(response.status).toBe(204);
    expect(await ingested()).toEqual([
      expect.objectContaining({ record: { Sequence: 1 }, ingestedByAppId: CONSOLE_API_CLIENT_ID }),
      expect.objectContaining({ record: { Sequence: 2 }, ingestedByAppId: CONSOLE_API_CLIENT_ID }),
    ]);
  });

  it("refuses more than 1 MB per call with 413 ContentLengthLimitExceeded", async () => {
    const body = JSON.stringify([{ Padding: "x".repeat(1_048_600) }]);
    const response = await ingest(await consoleToken(), body);
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({
      error: {
        code: "ContentLengthLimitExceeded",
        message: `Maximum allowed content length: 1048576 bytes (1 MB). Provided content length: ${Buffer.byteLength(body)} bytes.`,
      },
    });
    expect(await ingested()).toEqual([]);
  });

  it("counts the decompressed size of a gzip body against the limit too", async () => {
    const gzip = { headers: { "content-encoding": "gzip" } };
    const accepted = await ingest(await consoleToken(), gzipSync(JSON.stringify([{ Sequence: 1 }])), gzip);
    expect(accepted.status).toBe(204);
    expect((await ingested()).map((entry) => entry.record)).toEqual([{ Sequence: 1 }]);

    // 1.1 MB of JSON compresses far below 1 MB; the service still refuses it.
    const large = await ingest(await consoleToken(), gzipSync(JSON.stringify([{ Padding: "x".repeat(1_100_000) }])), gzip);
    expect(large.status).toBe(413);
  });

  it("refuses a caller without Monitoring Metrics Publisher on the rule, and an unknown rule, with 403 OperationFailed", async () => {
    const deployer = await appToken(SANDBOX_DEPLOYER_CLIENT_ID, SANDBOX_DEPLOYER_CLIENT_SECRET, MONITOR_SCOPE);
    const refused = await ingest(deployer, "[]");
    expect(refused.status).toBe(403);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe("OperationFailed");
    const unknownRule = await ingest(await consoleToken(), "[]", { path: streamPath("dcr-00000000000000000000000000000000") });
    expect(unknownRule.status).toBe(403);
  });

  it("refuses a token for another audience with 401", async () => {
    const armToken = await appToken(CONSOLE_API_CLIENT_ID, CONSOLE_API_CLIENT_SECRET, "https://management.azure.com/.default");
    const response = await ingest(armToken, "[]");
    expect(response.status).toBe(401);
    expect(response.json<{ error: { code: string } }>().error.code).toBe("InvalidAuthenticationToken");
  });

  it("answers a JSON body that is not an array with 204 and keeps nothing, as the real service does", async () => {
    const response = await ingest(await consoleToken(), JSON.stringify({ Sequence: 1 }));
    expect(response.status).toBe(204);
    expect(await ingested()).toEqual([]);
  });
});
