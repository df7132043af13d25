import "server-only";

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { canonicalJson } from "./chain";

/**
 * Signed checkpoints of the audit chain: "event `sequence` has hash `headHash`, as of `time`", signed with an Ed25519
 * key that lives in a file the console reads (in Azure, a Key Vault secret mounted into the container), never in the
 * database. Shipped to the external sink beside the events, they let the verifier, which needs only the public key,
 * tell a re-chained or truncated trail from an intact one even when everything in the database was rewritten.
 */
export interface AuditCheckpoint {
  readonly sequence: number;
  readonly headHash: string;
  /** ISO 8601 with milliseconds. */
  readonly time: string;
}

export interface SignedAuditCheckpoint extends AuditCheckpoint {
  /** base64 Ed25519 signature over `checkpointMessage(checkpoint)`. */
  readonly signature: string;
  /** Names the key: the first 16 hex digits of the SHA-256 of its public key (SPKI DER). */
  readonly keyId: string;
}

/** The exact bytes signed: a versioned canonical JSON, so a signature never covers two readings. */
export function checkpointMessage(checkpoint: AuditCheckpoint): Buffer {
  return Buffer.from(
    canonicalJson({ v: 1, kind: "gatehouse-audit-checkpoint", sequence: checkpoint.sequence, headHash: checkpoint.headHash, time: checkpoint.time }),
  );
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

export interface CheckpointSigner {
  readonly keyId: string;
  sign(checkpoint: AuditCheckpoint): SignedAuditCheckpoint;
}

export function checkpointSigner(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("The audit checkpoint key must be an Ed25519 private key.");
  const keyId = keyIdOf(createPublicKey(privateKey));
  return {
    keyId,
    sign: (checkpoint) => ({ ...checkpoint, keyId, signature: sign(null, checkpointMessage(checkpoint), privateKey).toString("base64") }),
  };
}

/** True when the signature is the given public key's over exactly these fields. */
export function isCheckpointSignatureValid(checkpoint: SignedAuditCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointMessage(checkpoint), publicKey, Buffer.from(checkpoint.signature, "base64"));
  } catch {
    return false;
  }
}

/**
 * Reads the private key (PEM, PKCS#8). With `createIfMissing` (sandbox mode only) a new key is generated there first,
 * readable by its owner only.
 */
export async function loadCheckpointPrivateKey(keyPath: string, options: { createIfMissing?: boolean } = {}): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(keyPath, "utf8");
  } catch (error) {
    if (!options.createIfMissing || (error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    const { privateKey } = generateKeyPairSync("ed25519");
    pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await mkdir(path.dirname(keyPath), { recursive: true });
    // `wx`: two instances starting together must not overwrite each other's key; the loser reads the winner's.
    await writeFile(keyPath, pem, { mode: 0o600, flag: "wx" }).catch(async (writeError: NodeJS.ErrnoException) => {
      if (writeError.code !== "EEXIST") throw writeError;
      pem = await readFile(keyPath, "utf8");
    });
  }
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`The audit checkpoint key in ${keyPath} is not an Ed25519 private key.`);
  return key;
}

/** The verifier's key: a public key file, or derived from the private key file when only that is at hand. */
export async function loadCheckpointPublicKey(source: { publicKeyPath: string | null; privateKeyPath: string | null }): Promise<KeyObject> {
  if (source.publicKeyPath) {
    const key = createPublicKey(await readFile(source.publicKeyPath, "utf8"));
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`The audit checkpoint public key in ${source.publicKeyPath} is not an Ed25519 key.`);
    return key;
  }
  if (source.privateKeyPath) {
    try {
      return createPublicKey(await loadCheckpointPrivateKey(source.privateKeyPath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      throw new Error(
        `There is no audit checkpoint key at ${source.privateKeyPath} (nothing was shipped with it yet?): set GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEY_PATH to the public key that signed the checkpoints.`,
        { cause: error },
      );
    }
  }
  throw new Error("No audit checkpoint key is configured: set GATEHOUSE_AUDIT_CHECKPOINT_PUBLIC_KEY_PATH (or the private key's path).");
}
