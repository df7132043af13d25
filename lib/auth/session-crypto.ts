import "server-only";

import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The secrets of a session: the cookie's opaque value (256 random bits, base64url), kept in the database only as its
 * SHA-256, and the person's token, kept encrypted with AES-256-GCM under the session key and bound to its row (the
 * row id is the additional authenticated data, so a ciphertext copied to another row does not decrypt).
 */
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const FORMAT = "v1";

export function newCookieValue(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether a cookie's value has the shape of one Gatehouse made (a token from before, or junk, is not looked up). */
export function isCookieValue(value: string): boolean {
  return COOKIE_VALUE.test(value);
}

export function cookieHash(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

export function encryptToken(key: Buffer, rowId: string, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(rowId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return [FORMAT, iv.toString("base64url"), ciphertext.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** The token, or undefined when the ciphertext was not made with this key for this row (or was altered). */
export function decryptToken(key: Buffer, rowId: string, sealed: string): string | undefined {
  const [format, iv, ciphertext, tag] = sealed.split(".");
  if (format !== FORMAT || !iv || !ciphertext || !tag) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(rowId, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/**
 * The session key: GATEHOUSE_SESSION_KEY, or in the sandbox a key file beside the PGlite data, generated on first use
 * (readable by its owner only) as the audit checkpoint key is. A lost or changed key ends every session: each token
 * then fails to decrypt and the person signs in again.
 */
export async function loadSessionKey(source: { key: Buffer | null; keyPath: string | null }): Promise<Buffer> {
  if (source.key) return source.key;
  if (!source.keyPath) throw new Error("No session key is configured: set GATEHOUSE_SESSION_KEY (32 random bytes in base64).");
  const keyPath = source.keyPath;
  let encoded: string;
  try {
    encoded = await readFile(keyPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    encoded = randomBytes(32).toString("base64");
    await mkdir(path.dirname(keyPath), { recursive: true });
    // `wx`: two instances starting together must not overwrite each other's key; the loser reads the winner's.
    await writeFile(keyPath, encoded, { mode: 0o600, flag: "wx" }).catch(async (writeError: NodeJS.ErrnoException) => {
      if (writeError.code !== "EEXIST") throw writeError;
      encoded = await readFile(keyPath, "utf8");
    });
  }
  const key = Buffer.from(encoded.trim(), "base64");
  if (key.length !== 32) throw new Error(`The session key in ${keyPath} is not 32 bytes of base64.`);
  return key;
}
