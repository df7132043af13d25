/**
 * The sandbox's token-signing keys: two RSA keys published in the JWKS, the first one signing. Rotation publishes a
 * new signing key and keeps the previous one (so tokens already issued still verify); the key before that is dropped.
 * Keys are kept in the data dir so tokens survive a restart of the sandbox.
 */
import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, type JWTPayload } from "jose";

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

interface StoredKey {
  readonly kid: string;
  readonly privateKeyPem: string;
}

export interface PublishedKey {
  readonly kty: string;
  readonly use: "sig";
  readonly kid: string;
  readonly x5t: string;
  readonly n: string;
  readonly e: string;
  readonly issuer: string;
}

const KEYS_FILE = "signing-keys.json";

function newSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return fromPrivateKey(privateKey);
}

function fromPrivateKey(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  // Entra's kid is a base64url thumbprint; derive ours from the public key so it is stable.
  const kid = createHash("sha1")
    .update(publicKey.export({ format: "der", type: "spki" }))
    .digest("base64url");
  return { kid, privateKey, publicKey };
}

export class SigningKeys {
  /** [signing key, previous/next key] */
  private keys: SigningKey[];

  private constructor(
    keys: SigningKey[],
    private readonly storePath: string | undefined,
  ) {
    this.keys = keys;
  }

  /** Loads keys from `dataDir` (or creates and saves them); without a dir they live in memory only. */
  static load(dataDir?: string): SigningKeys {
    const storePath = dataDir ? join(dataDir, KEYS_FILE) : undefined;
    if (storePath && existsSync(storePath)) {
      const stored = JSON.parse(readFileSync(storePath, "utf8")) as StoredKey[];
      const keys = stored.map((key) => fromPrivateKey(createPrivateKey(key.privateKeyPem)));
      if (keys.length >= 1) return new SigningKeys(keys, storePath);
    }
    const keys = new SigningKeys([newSigningKey(), newSigningKey()], storePath);
    keys.save();
    return keys;
  }

  get activeKid(): string {
    return this.signingKey().kid;
  }

  get kids(): readonly string[] {
    return this.keys.map((key) => key.kid);
  }

  /** Publishes a new signing key; the previous signing key stays published, the one before it is dropped. */
  rotate(): { activeKid: string; retiredKid: string | undefined } {
    const retired = this.keys.length >= 2 ? this.keys[this.keys.length - 1] : undefined;
    const previous = this.signingKey();
    this.keys = [newSigningKey(), previous];
    this.save();
    return { activeKid: this.activeKid, retiredKid: retired?.kid };
  }

  publicKey(kid: string): KeyObject | undefined {
    return this.keys.find((key) => key.kid === kid)?.publicKey;
  }

  jwks(keyIssuer: string): { keys: PublishedKey[] } {
    return {
      keys: this.keys.map((key) => {
        const jwk = key.publicKey.export({ format: "jwk" });
        return { kty: String(jwk.kty), use: "sig", kid: key.kid, x5t: key.kid, n: String(jwk.n), e: String(jwk.e), issuer: keyIssuer };
      }),
    };
  }

  /** Signs claims as Entra does: RS256, `typ: JWT`, `kid`; v1 tokens also carry `x5t`. */
  async sign(claims: JWTPayload, options: { includeX5t: boolean }): Promise<string> {
    const key = this.signingKey();
    return new SignJWT(claims)
      .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: key.kid, ...(options.includeX5t ? { x5t: key.kid } : {}) })
      .sign(key.privateKey);
  }

  private signingKey(): SigningKey {
    const key = this.keys[0];
    if (!key) throw new Error("no signing key");
    return key;
  }

  private save(): void {
    if (!this.storePath) return;
    mkdirSync(join(this.storePath, ".."), { recursive: true });
    const stored: StoredKey[] = this.keys.map((key) => ({
      kid: key.kid,
      privateKeyPem: key.privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    }));
    writeFileSync(this.storePath, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
}
