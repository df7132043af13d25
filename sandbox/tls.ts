/**
 * TLS material for the sandbox: a local CA, a CA-signed `localhost` leaf, and a client certificate for the console
 * API's certificate credential. Generated on first start and reused, so a trusted CA stays trusted.
 */
import { X509Certificate, createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generate } from "selfsigned";
import type { ClientCertificateForAuth } from "./contract";

export interface TlsMaterial {
  readonly caPath: string;
  readonly caPem: string;
  readonly serverCertPath: string;
  readonly serverCertPem: string;
  readonly serverKeyPath: string;
  readonly serverKeyPem: string;
  readonly clientCertPath: string;
  readonly clientCertPem: string;
  readonly clientKeyPath: string;
  readonly clientKeyPem: string;
}

const FILES = {
  caCert: "ca.pem",
  caKey: "ca-key.pem",
  serverCert: "server.pem",
  serverKey: "server-key.pem",
  clientCert: "client.pem",
  clientKey: "client-key.pem",
} as const;

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

/** Loads the TLS files from `dataDir`, generating whichever are missing (a new CA re-issues both leaves). */
export async function ensureTlsMaterial(dataDir: string): Promise<TlsMaterial> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const path = (name: keyof typeof FILES) => join(dir, FILES[name]);

  let caCert: string;
  let caKey: string;
  let caIsNew = false;
  if (existsSync(path("caCert")) && existsSync(path("caKey"))) {
    caCert = await readFile(path("caCert"), "utf8");
    caKey = await readFile(path("caKey"), "utf8");
  } else {
    const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
    // EC P-256 keeps the first start fast; the client certificate below stays RSA.
    const ca = await generate([{ name: "commonName", value: "Gatehouse Sandbox Local CA" }], {
      algorithm: "sha256",
      keyType: "ec",
      curve: "P-256",
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + TEN_YEARS_MS),
      extensions: [
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    });
    caCert = ca.cert;
    caKey = ca.private;
    caIsNew = true;
    await writeFile(path("caKey"), caKey, { mode: 0o600 });
    await writeFile(path("caCert"), caCert);
  }

  const leafNeeded = caIsNew || !existsSync(path("serverCert")) || !existsSync(path("serverKey"));
  if (leafNeeded) {
    const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
    const leaf = await generate([{ name: "commonName", value: "localhost" }], {
      algorithm: "sha256",
      keyType: "ec",
      curve: "P-256",
      notBeforeDate,
      // Browsers cap leaf validity; keep it under 398 days.
      notAfterDate: new Date(notBeforeDate.getTime() + 390 * 24 * 3600 * 1000),
      ca: { key: caKey, cert: caCert },
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 2, value: "localhost" },
            { type: 7, ip: "127.0.0.1" },
            { type: 7, ip: "::1" },
          ],
        },
      ],
    });
    await writeFile(path("serverKey"), leaf.private, { mode: 0o600 });
    await writeFile(path("serverCert"), leaf.cert);
  }

  const clientNeeded = caIsNew || !existsSync(path("clientCert")) || !existsSync(path("clientKey"));
  if (clientNeeded) {
    const notBeforeDate = new Date(Date.now() - 24 * 3600 * 1000);
    // Self-signed RSA, as an app's uploaded certificate usually is: msal-node signs client assertions with PS256.
    const client = await generate([{ name: "commonName", value: "Gatehouse console API (sandbox)" }], {
      algorithm: "sha256",
      keySize: 2048,
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + TWO_YEARS_MS),
      keyType: "rsa",
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, critical: true },
        { name: "extKeyUsage", clientAuth: true },
      ],
    });
    await writeFile(path("clientKey"), client.private, { mode: 0o600 });
    await writeFile(path("clientCert"), client.cert);
  }

  return {
    caPath: path("caCert"),
    caPem: caCert,
    serverCertPath: path("serverCert"),
    serverCertPem: await readFile(path("serverCert"), "utf8"),
    serverKeyPath: path("serverKey"),
    serverKeyPem: await readFile(path("serverKey"), "utf8"),
    clientCertPath: path("clientCert"),
    clientCertPem: await readFile(path("clientCert"), "utf8"),
    clientKeyPath: path("clientKey"),
    clientKeyPem: await readFile(path("clientKey"), "utf8"),
  };
}

/** Describes a PEM certificate the way Entra stores a key credential (thumbprints as in `x5t#S256` / `x5t`). */
export function describeClientCertificate(certificatePem: string, keyId: string): ClientCertificateForAuth {
  const certificate = new X509Certificate(certificatePem);
  return {
    keyId,
    thumbprintSha256: createHash("sha256").update(certificate.raw).digest("base64url"),
    thumbprintSha1: createHash("sha1").update(certificate.raw).digest("base64url"),
    publicKeyPem: certificate.publicKey.export({ format: "pem", type: "spki" }).toString(),
    endDateTime: new Date(certificate.validTo).toISOString(),
  };
}

/** Hex SHA-1 / SHA-256 thumbprints, as the Azure portal and SDK options show them. */
export function certificateThumbprintsHex(certificatePem: string): { sha1: string; sha256: string } {
  const certificate = new X509Certificate(certificatePem);
  return {
    sha1: createHash("sha1").update(certificate.raw).digest("hex").toUpperCase(),
    sha256: createHash("sha256").update(certificate.raw).digest("hex").toUpperCase(),
  };
}
