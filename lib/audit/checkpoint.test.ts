import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { checkpointSigner, isCheckpointSignatureValid, loadCheckpointPrivateKey, loadCheckpointPublicKey } from "./checkpoint";
import { chunkRecords, eventRecord, MAX_UPLOAD_BYTES, type ShippedAuditRecord } from "./sink";

const HASH = "ab".repeat(32);

describe("signed checkpoints", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signed = checkpointSigner(privateKey).sign({ sequence: 42, headHash: HASH, time: "2026-12-05T04:00:00.000Z" });

  it("verify with the public key, and fail when any signed field or the key differs", () => {
    expect(isCheckpointSignatureValid(signed, publicKey)).toBe(true);
    expect(isCheckpointSignatureValid({ ...signed, sequence: 41 }, publicKey)).toBe(false);
    expect(isCheckpointSignatureValid({ ...signed, headHash: "cd".repeat(32) }, publicKey)).toBe(false);
    expect(isCheckpointSignatureValid({ ...signed, time: "2026-12-05T04:00:00.001Z" }, publicKey)).toBe(false);
    expect(isCheckpointSignatureValid({ ...signed, signature: "not base64 at all" }, publicKey)).toBe(false);
    expect(isCheckpointSignatureValid(signed, generateKeyPairSync("ed25519").publicKey)).toBe(false);
  });

  it("refuses a key that is not Ed25519", () => {
    expect(() => checkpointSigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey)).toThrow(/Ed25519/);
  });

  it("generates the sandbox's key once, readable by its owner only, and derives the verifier's key from it", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), "gatehouse-checkpoint-"));
    try {
      const keyPath = path.join(directory, "nested", "key.pem");
      await expect(loadCheckpointPrivateKey(keyPath)).rejects.toThrow(/ENOENT/);
      const created = await loadCheckpointPrivateKey(keyPath, { createIfMissing: true });
      const again = await loadCheckpointPrivateKey(keyPath, { createIfMissing: true });
      expect(again.export({ type: "pkcs8", format: "pem" })).toEqual(created.export({ type: "pkcs8", format: "pem" }));
      expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      expect(await readFile(keyPath, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      const verifierKey = await loadCheckpointPublicKey({ publicKeyPath: null, privateKeyPath: keyPath });
      const checkpoint = checkpointSigner(created).sign({ sequence: 1, headHash: HASH, time: "2026-12-05T04:00:00.000Z" });
      expect(isCheckpointSignatureValid(checkpoint, verifierKey)).toBe(true);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe("upload chunks", () => {
  const record = (id: number, padding: number): ShippedAuditRecord =>
    eventRecord({
      id,
      occurredAt: new Date("2026-12-05T04:00:00.000Z"),
      actorKind: "system",
      actorTenantId: null,
      actorObjectId: null,
      actorDisplayName: null,
      actorUpn: null,
      actorAppId: "22222222-2222-4222-8222-222222222222",
      actorSessionId: null,
      actorClientAddress: null,
      actorUserAgent: null,
      actorJob: null,
      action: "mapping.created",
      targetScope: null,
      targetPrincipalId: null,
      targetPrincipalType: null,
      targetRoleDefinitionId: null,
      targetRoleName: null,
      targetRequestId: null,
      outcome: "succeeded",
      errorCode: null,
      reason: "x".repeat(padding),
      consoleRequestId: null,
      armRequestId: null,
      graphRequestId: null,
      details: {},
      prevHash: HASH,
      hash: HASH,
    });

  it("stay under the 1 MB per call limit and keep the records' order", () => {
    const records = Array.from({ length: 25 }, (_, index) => record(index + 1, 100_000));
    const chunks = chunkRecords(records);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(MAX_UPLOAD_BYTES);
    expect(chunks.flat().map((item) => item.Sequence)).toEqual(records.map((item) => item.Sequence));
  });
});
