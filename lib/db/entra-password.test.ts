import { randomBytes } from "node:crypto";

import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startPasswordProxy, type PasswordProxy } from "@/test/support/postgres-password-proxy";
import { testDatabaseUrl } from "@/test/support/test-env";
import { openDatabase, postgresPoolConfig } from "./client";
import { type AccessTokenSource, entraPassword } from "./entra-password";

const SCOPE = "https://ossrdbms-aad.database.windows.net/.default";
const MINUTE = 60_000;

/** Issues JWT-shaped tokens (what Entra returns) with the lifetimes a test asks for, and remembers them. */
function tokenIssuer(lifetimesMs: number[]) {
  const issued: { token: string; expiresOnTimestamp: number; scope: string }[] = [];
  const source: AccessTokenSource = {
    getToken(scope) {
      const lifetime = lifetimesMs[Math.min(issued.length, lifetimesMs.length - 1)]!;
      const payload = Buffer.from(JSON.stringify({ aud: "https://ossrdbms-aad.database.windows.net", n: issued.length })).toString("base64url");
      const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${payload}.${randomBytes(32).toString("base64url")}`;
      issued.push({ token, expiresOnTimestamp: Date.now() + lifetime, scope });
      return Promise.resolve({ token, expiresOnTimestamp: Date.now() + lifetime });
    },
  };
  return { source, issued, isValid: (token: string) => issued.some((entry) => entry.token === token && entry.expiresOnTimestamp > Date.now()) };
}

describe("entraPassword", () => {
  it("asks for the database scope, reuses the token, and fetches a new one within five minutes of expiry", async () => {
    let now = 1_000_000;
    const calls: string[] = [];
    let serial = 0;
    const source: AccessTokenSource = {
      getToken: (scope) => {
        calls.push(scope);
        serial += 1;
        return Promise.resolve({ token: `token-${serial}`, expiresOnTimestamp: now + 60 * MINUTE });
      },
    };
    const password = entraPassword(source, { scope: SCOPE, now: () => now });
    expect(await password()).toBe("token-1");
    now += 54 * MINUTE;
    expect(await password()).toBe("token-1");
    now += 2 * MINUTE; // 4 minutes left: inside the margin
    expect(await password()).toBe("token-2");
    expect(calls).toEqual([SCOPE, SCOPE]);
  });

  it("shares one request between connections opening together", async () => {
    let calls = 0;
    let release: (value: { token: string; expiresOnTimestamp: number }) => void = () => undefined;
    const source: AccessTokenSource = {
      getToken: () => {
        calls += 1;
        return new Promise((resolve) => (release = resolve));
      },
    };
    const password = entraPassword(source, { scope: SCOPE });
    const both = Promise.all([password(), password(), password()]);
    release({ token: "shared", expiresOnTimestamp: Date.now() + 60 * MINUTE });
    expect(await both).toEqual(["shared", "shared", "shared"]);
    expect(calls).toBe(1);
  });

  it("explains a failure in one sentence and tries again on the next connection", async () => {
    let fail = true;
    const source: AccessTokenSource = {
      getToken: () =>
        fail
          ? Promise.reject(new Error("ManagedIdentityCredential: Identity not found"))
          : Promise.resolve({ token: "recovered", expiresOnTimestamp: Date.now() + 60 * MINUTE }),
    };
    const password = entraPassword(source, { scope: SCOPE });
    await expect(password()).rejects.toThrow(
      /^Gatehouse could not get a Microsoft Entra token for PostgreSQL \(scope https:\/\/ossrdbms-aad\.database\.windows\.net\/\.default\) from its managed identity: ManagedIdentityCredential: Identity not found$/,
    );
    fail = false;
    expect(await password()).toBe("recovered");
  });

  it("keeps the URL's host, port, user, database and TLS settings but never its password", () => {
    const config = postgresPoolConfig(
      {
        kind: "postgres",
        url: "postgres://id-gatehouse@db.postgres.database.azure.com:5432/gatehouse?sslmode=verify-full&application_name=gatehouse",
        poolSize: 7,
        entra: { managedIdentityClientId: "cccccccc-2222-4333-8444-555555555555", scope: SCOPE },
      },
      tokenIssuer([60 * MINUTE]).source,
    );
    expect(config).toMatchObject({
      host: "db.postgres.database.azure.com",
      port: 5432,
      user: "id-gatehouse",
      database: "gatehouse",
      max: 7,
      application_name: "gatehouse",
    });
    expect(config.ssl).toBeTruthy();
    expect(typeof config.password).toBe("function");
    expect(config.connectionString).toBeUndefined();
    expect(postgresPoolConfig({ kind: "postgres", url: "postgres://u:p@h/d", poolSize: 3 })).toEqual({ connectionString: "postgres://u:p@h/d", max: 3 });
    expect(postgresPoolConfig({ kind: "postgres", url: "postgres://u:p@h/d", poolSize: 3, statementTimeoutSeconds: 30 })).toEqual({
      connectionString: "postgres://u:p@h/d",
      max: 3,
      statement_timeout: 30_000,
    });
  });
});

const adminUrl = testDatabaseUrl();

describe.skipIf(!adminUrl)("a PostgreSQL server that signs in with tokens (local server behind a password-checking proxy)", () => {
  let proxy: PasswordProxy;
  const databaseName = `gatehouse_entra_${process.pid}_${randomBytes(3).toString("hex")}`;
  let issuer: ReturnType<typeof tokenIssuer>;
  const accepted: ReturnType<typeof tokenIssuer>[] = [];
  let url: string;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${databaseName}`);
    await admin.end();
    issuer = tokenIssuer([60 * MINUTE]);
    accepted.push(issuer);
    const upstream = new URL(adminUrl!);
    // The server accepts any unexpired token its (stand-in) Entra issued, nothing else.
    proxy = await startPasswordProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) }, (password) =>
      accepted.some((candidate) => candidate.isValid(password)),
    );
    url = `postgres://${upstream.username}@127.0.0.1:${proxy.port}/${databaseName}`;
  });

  afterAll(async () => {
    await proxy?.close();
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
  });

  it("opens, migrates and queries with the token as password; a connection opened near expiry brings a fresh token", async () => {
    const location = { kind: "postgres" as const, url, poolSize: 4, entra: { managedIdentityClientId: "cccccccc-2222-4333-8444-555555555555", scope: SCOPE } };
    const handle = await openDatabase(location, { tokenSource: issuer.source });
    try {
      const tables: unknown = await handle.db.execute(sql`select count(*)::text as count from information_schema.tables where table_schema = 'public'`);
      expect(Number((tables as { rows: { count: string }[] }).rows[0]!.count)).toBeGreaterThan(3);
    } finally {
      await handle.close();
    }
    expect(issuer.issued[0]!.scope).toBe(SCOPE);
    expect(proxy.attempts[0]).toMatchObject({ password: issuer.issued[0]!.token, accepted: true });

    // One pool, connections opened one after another. Its first token has 4 minutes left (inside the refresh margin),
    // so the second connection brings a new one, which the third reuses.
    const nearExpiry = tokenIssuer([4 * MINUTE, 60 * MINUTE]);
    accepted.push(nearExpiry);
    const before = proxy.attempts.length;
    const pool = new pg.Pool({ ...postgresPoolConfig(location, nearExpiry.source), idleTimeoutMillis: 1 });
    try {
      for (let index = 0; index < 3; index++) {
        const client = await pool.connect();
        await client.query("select 1");
        client.release(true); // closed, so the next checkout opens a new connection
      }
    } finally {
      await pool.end();
    }
    const [first, second] = nearExpiry.issued;
    expect(proxy.attempts.slice(before).map((attempt) => [attempt.password, attempt.accepted])).toEqual([
      [first!.token, true],
      [second!.token, true],
      [second!.token, true],
    ]);
  });

  it("a token the server does not accept fails the connection with PostgreSQL's authentication error", async () => {
    const wrong: AccessTokenSource = { getToken: () => Promise.resolve({ token: "eyJ.not-issued.x", expiresOnTimestamp: Date.now() + 60 * MINUTE }) };
    const pool = new pg.Pool(
      postgresPoolConfig(
        { kind: "postgres", url, poolSize: 1, entra: { managedIdentityClientId: "cccccccc-2222-4333-8444-555555555555", scope: SCOPE } },
        wrong,
      ),
    );
    try {
      await expect(pool.query("select 1")).rejects.toMatchObject({ code: "28P01" });
    } finally {
      await pool.end();
    }
    expect(proxy.attempts.at(-1)).toMatchObject({ password: "eyJ.not-issued.x", accepted: false });
  });
});
