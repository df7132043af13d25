/**
 * The inventory's reading of credential shapes real tenants hold, against Graph answers given item by item: SAML
 * token-signing certificates (addTokenSigningCertificate's Sign key, Verify key and password twin), flexible federated
 * credentials (subject null) and a federated credential of a shape nobody expected.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { beforeAll, describe, expect, it } from "vitest";

import { type BuiltSnapshot, buildSnapshot } from "./build-rows";
import { type DirectoryInventory, readDirectoryInventory } from "./inventory";

const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

const SAML_APP = { id: "a-saml", appId: "app-saml", displayName: "expense-portal-saml", passwordCredentials: [], keyCredentials: [] };
const THUMB = "2iD8ppbE+D6Kmu1ZvjM2jtQh88E=";
const SAML_SP = {
  id: "sp-saml",
  appId: "app-saml",
  displayName: "expense-portal-saml",
  servicePrincipalType: "Application",
  keyCredentials: [
    {
      keyId: "k-sign",
      usage: "Sign",
      type: "AsymmetricX509Cert",
      customKeyIdentifier: THUMB,
      displayName: "CN=SSO",
      startDateTime: at(-1075),
      endDateTime: at(20),
    },
    {
      keyId: "k-verify",
      usage: "Verify",
      type: "AsymmetricX509Cert",
      customKeyIdentifier: THUMB,
      displayName: "CN=SSO",
      startDateTime: at(-1075),
      endDateTime: at(20),
    },
  ],
  passwordCredentials: [{ keyId: "k-sign", customKeyIdentifier: THUMB, displayName: "CN=SSO", hint: "abc", startDateTime: at(-1075), endDateTime: at(20) }],
};
// A SAML app that also has a client secret of its own on its service principal: that one stays a secret.
const MIXED_SP = {
  ...SAML_SP,
  id: "sp-mixed",
  appId: "app-mixed",
  displayName: "mixed",
  keyCredentials: SAML_SP.keyCredentials.map((key) => ({ ...key, keyId: `${key.keyId}-m`, customKeyIdentifier: "other=" })),
  passwordCredentials: [
    { keyId: "k-sign-m", customKeyIdentifier: "other=", displayName: "CN=SSO", hint: "abc", startDateTime: at(-100), endDateTime: at(600) },
    { keyId: "k-secret", customKeyIdentifier: null, displayName: "sp-secret", hint: "xyz", startDateTime: at(-100), endDateTime: at(5) },
  ],
};
const FLEXIBLE_APP = { id: "a-flex", appId: "app-flex", displayName: "release-publisher", passwordCredentials: [], keyCredentials: [] };
const ODD_APP = { id: "a-odd", appId: "app-odd", displayName: "odd-federation", passwordCredentials: [], keyCredentials: [] };

const FEDERATED: Record<string, unknown[]> = {
  "a-saml": [],
  "a-flex": [
    {
      name: "tags",
      issuer: "https://token.actions.githubusercontent.com",
      subject: null,
      claimsMatchingExpression: { value: "claims['sub'] matches 'repo:c/r:ref:refs/tags/v*'", languageVersion: 1 },
    },
    { name: "main", issuer: "https://token.actions.githubusercontent.com", subject: "repo:c/r:ref:refs/heads/main" },
  ],
  // One item without an issuer: counted as unreadable; its good neighbour is still read.
  "a-odd": [
    { name: "broken", subject: "x" },
    { name: "fine", issuer: "https://gitlab.example", subject: null },
  ],
};

/** A Graph client answering the inventory's list pages and `$batch` calls from the objects above. */
function fakeGraph(): Client {
  const get = (url: string): unknown => {
    if (url.startsWith("/applications?")) return { value: [SAML_APP, FLEXIBLE_APP, ODD_APP] };
    if (url.startsWith("/servicePrincipals?")) {
      const sp = (s: { id: string; appId: string; displayName: string }) => ({
        ...s,
        servicePrincipalType: "Application",
        keyCredentials: [],
        passwordCredentials: [],
      });
      return {
        value: [
          SAML_SP,
          MIXED_SP,
          sp({ id: "sp-flex", appId: "app-flex", displayName: "release-publisher" }),
          sp({ id: "sp-odd", appId: "app-odd", displayName: "odd-federation" }),
        ],
      };
    }
    throw new Error(`unexpected GET ${url}`);
  };
  const batch = (body: { requests: { id: string; url: string }[] }) => ({
    responses: body.requests.map((request) => {
      const federated = /^\/applications\/([^/]+)\/federatedIdentityCredentials/.exec(request.url);
      if (federated) return { id: request.id, status: 200, body: { value: FEDERATED[federated[1]!] ?? [] } };
      return { id: request.id, status: 200, body: { value: [] } };
    }),
  });
  return {
    api: (url: string) => ({
      get: () => Promise.resolve().then(() => get(url)),
      post: (body: { requests: { id: string; url: string }[] }) =>
        Promise.resolve().then(() => {
          if (url !== "/$batch") throw new Error(`unexpected POST ${url}`);
          return batch(body);
        }),
    }),
  } as unknown as Client;
}

describe("credential shapes beyond secrets and certificates", () => {
  let directory: DirectoryInventory;
  let built: BuiltSnapshot;
  beforeAll(async () => {
    directory = await readDirectoryInventory(fakeGraph(), () => undefined);
    const owner = { workspace: "w", workspaceScope: "/w", roleId: "r", roleName: "Owner", privileged: true, assignmentScope: "/w" };
    built = buildSnapshot(directory, new Map([["sp-saml", [owner]]]), NOW, [7, 30, 90]);
  });
  const identity = (name: string) => built.identities.find((candidate) => candidate.displayName === name)!;

  it("folds a SAML token-signing certificate's Sign key, Verify key and password twin into one SAML signing certificate", () => {
    const saml = identity("expense-portal-saml");
    expect(saml.rows).toHaveLength(1);
    expect(saml.rows[0]).toMatchObject({ kind: "samlSigning", keyId: "k-sign", objectType: "servicePrincipal", bucket: "within2" });
    // Its expiry breaks single sign-on; it unlocks none of the identity's roles, so it ranks as an unprivileged one.
    expect(saml.rows[0]!.risk).toBe(30);
    expect(saml.recommendation).toMatch(/^Rotate the SAML signing certificate before it expires or single sign-on breaks/);
    expect(saml.recommendation).not.toMatch(/Move it to a federated credential|managed identity/);
  });

  it("keeps a SAML app's own client secret a secret, and does not call a 3-year signing certificate long-lived", () => {
    const mixed = identity("mixed");
    expect(mixed.rows.map((row) => [row.kind, row.keyId, row.bucket])).toEqual([
      ["secret", "k-secret", "within1"],
      ["samlSigning", "k-sign-m", "within2"],
    ]);
    expect(mixed.recommendation).toMatch(/^Rotate before it expires: add a new credential.*federated credential.*Rotate the SAML signing certificate/);
    const sign = directory.servicePrincipals.find((sp) => sp.id === "sp-saml")!.credentials;
    expect(sign).toEqual([expect.objectContaining({ kind: "samlSigning", startDateTime: at(-1075) })]);
  });

  it("drops Graph's hint (a secret's first characters) as it reads the credentials: no row carries it", () => {
    const mixed = identity("mixed");
    expect(mixed.rows.length).toBeGreaterThan(0);
    for (const row of mixed.rows) expect(row).not.toHaveProperty("hint");
    for (const sp of directory.servicePrincipals) for (const credential of sp.credentials) expect(credential).not.toHaveProperty("hint");
  });

  it("reads a flexible federated credential (subject null) with its expression when Graph returns one", () => {
    const flexible = identity("release-publisher");
    expect(flexible.federatedCredentials).toEqual([
      {
        name: "tags",
        issuer: "https://token.actions.githubusercontent.com",
        subject: null,
        claimsMatchingExpression: "claims['sub'] matches 'repo:c/r:ref:refs/tags/v*'",
      },
      { name: "main", issuer: "https://token.actions.githubusercontent.com", subject: "repo:c/r:ref:refs/heads/main" },
    ]);
    expect(flexible.rows).toEqual([expect.objectContaining({ kind: "federated", bucket: "secretless", credentialName: "tags, main" })]);
    expect(flexible.recommendation).toMatch(/^Secretless/);
  });

  it("counts a federated credential it cannot read as a failure, and still shows the identity with the rest", () => {
    const odd = identity("odd-federation");
    expect(odd).toBeDefined();
    expect(odd.federatedCredentials).toEqual([{ name: "fine", issuer: "https://gitlab.example", subject: null }]);
    expect(odd.unreadableFederatedCredentials).toBe(1);
    expect(odd.rows[0]).toMatchObject({ kind: "federated", credentialName: "fine, 1 unreadable" });
    expect(odd.recommendation).not.toMatch(/No credentials/);
    expect(directory.warnings).toEqual([
      "1 federated credential of odd-federation could not be read; those identities are shown with the credentials that could.",
    ]);
  });
});
