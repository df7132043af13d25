// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { CredentialRow, IdentityDetails, SnapshotSummary } from "@/lib/shared/credentials";
import { IdentityPanel } from "./identity-panel";

afterEach(cleanup);

const SNAPSHOT: SnapshotSummary = {
  id: 1,
  status: "complete",
  trigger: "manual",
  startedAt: "2026-06-01T12:00:00.000Z",
  finishedAt: "2026-06-01T12:01:00.000Z",
  asOf: "2026-06-01T12:00:00.000Z",
  windows: [7, 30, 90],
  counts: { expired: 0, within1: 0, within2: 1, within3: 0, longLived: 0, healthy: 0, secretless: 1 },
  progress: { phase: "Done", done: 1, total: 1 },
  graphCalls: 3,
  armCalls: 1,
  warnings: [],
  errorMessage: null,
};

const row = (overrides: Partial<CredentialRow>): CredentialRow => ({
  id: "r",
  identityKey: "app:a",
  identityName: "expense-portal-saml",
  appId: "a",
  objectType: "servicePrincipal",
  objectId: "sp",
  kind: "samlSigning",
  keyId: "k-sign",
  credentialName: "CN=Microsoft Azure Federated SSO Certificate",
  startDateTime: "2024-06-01T00:00:00Z",
  endDateTime: "2026-06-21T00:00:00Z",
  bucket: "within2",
  risk: 30,
  owners: [],
  roles: [],
  ...overrides,
});

const details = (overrides: Partial<IdentityDetails>): IdentityDetails => ({
  identityKey: "app:a",
  displayName: "expense-portal-saml",
  appId: "a",
  applicationObjectId: "a-obj",
  servicePrincipalId: "sp",
  isManagedIdentity: false,
  federatedCredentials: [],
  owners: [],
  roles: [],
  rows: [row({})],
  recommendation: "Rotate the SAML signing certificate before it expires or single sign-on breaks.",
  ...overrides,
});

describe("IdentityPanel", () => {
  it("names a SAML signing certificate as such, not as a certificate or a client secret", () => {
    render(<IdentityPanel details={details({})} snapshot={SNAPSHOT} />);
    const credentials = screen.getByRole("table");
    expect(within(credentials).getByText("SAML signing certificate")).toBeTruthy();
    expect(within(credentials).queryByText("Client secret")).toBeNull();
    expect(within(credentials).queryByText("Certificate")).toBeNull();
    expect(within(screen.getByRole("region", { name: "Recommendation" })).getByText(/single sign-on breaks/)).toBeTruthy();
  });

  it("shows a flexible federated credential by its expression, and says how many could not be read", () => {
    render(
      <IdentityPanel
        details={details({
          rows: [row({ kind: "federated", keyId: null, bucket: "secretless", credentialName: "tags, main, 1 unreadable" })],
          federatedCredentials: [
            {
              name: "tags",
              issuer: "https://token.actions.githubusercontent.com",
              subject: null,
              claimsMatchingExpression: "claims['sub'] matches 'repo:c/r:*'",
            },
            { name: "gitlab", issuer: "https://gitlab.example", subject: null },
            { name: "main", issuer: "https://token.actions.githubusercontent.com", subject: "repo:c/r:ref:refs/heads/main" },
          ],
          unreadableFederatedCredentials: 1,
        })}
        snapshot={SNAPSHOT}
      />,
    );
    expect(
      screen.getByText(/Federated: tags \(https:\/\/token\.actions\.githubusercontent\.com, flexible: claims\['sub'\] matches 'repo:c\/r:\*'\)/),
    ).toBeTruthy();
    expect(screen.getByText(/Federated: gitlab \(https:\/\/gitlab\.example, flexible: matches a claims expression\)/)).toBeTruthy();
    expect(screen.getByText(/Federated: main \(.*repo:c\/r:ref:refs\/heads\/main\)/)).toBeTruthy();
    expect(screen.getByText("1 federated credential could not be read; check it in the Entra admin center.")).toBeTruthy();
  });

  it("says a managed identity's federated credentials need Reader on it when ARM refused them", () => {
    render(
      <IdentityPanel
        details={details({
          isManagedIdentity: true,
          applicationObjectId: null,
          rows: [row({ kind: "managedIdentity", objectType: "managedIdentity", keyId: null, bucket: "secretless", credentialName: null })],
          federatedCredentialsUnread: "forbidden",
        })}
        snapshot={SNAPSHOT}
      />,
    );
    expect(screen.getByText("Its federated credentials could not be read: Gatehouse's identity needs Reader on this managed identity.")).toBeTruthy();
  });
});
