/** `tenant.json`: everything a client needs to talk to a running sandbox (origin, ids, credentials, personas). */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CONSOLE_API_CLIENT_ID,
  CONSOLE_API_CLIENT_SECRET,
  CONSOLE_API_IDENTIFIER_URI,
  CONSOLE_API_SCOPE,
  CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
  CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
  CONSOLE_ROLES,
  CONSOLE_SPA_CLIENT_ID,
  SANDBOX_DEPLOYER_CLIENT_ID,
  SANDBOX_DEPLOYER_CLIENT_SECRET,
} from "./contract";
import { v2Issuer } from "./entra/tokens";
import { CONSOLE_CERTIFICATE_KEY_ID, type RunningSandbox } from "./server";
import { SEEDED_USER_PASSWORD } from "./tenant/index";
import { certificateThumbprintsHex, describeClientCertificate } from "./tls";

/** Everything a client needs to talk to this sandbox; written to `<dataDir>/tenant.json` by `main.ts`. */
export function describeSandbox(sandbox: RunningSandbox): Record<string, unknown> {
  const tenant = sandbox.tenant;
  const { origin } = sandbox;
  const host = new URL(origin).host;
  const thumbprints = certificateThumbprintsHex(sandbox.tls.clientCertPem);
  const certificate = describeClientCertificate(sandbox.tls.clientCertPem, CONSOLE_CERTIFICATE_KEY_ID);
  return {
    description: "Gatehouse sandbox tenant (local Entra ID + Microsoft Graph + ARM). Sandbox-only credentials.",
    authorityHost: origin,
    tenantId: tenant.tenantId,
    authority: `${origin}/${tenant.tenantId}`,
    knownAuthorities: [host],
    openIdConfigurationUrl: `${origin}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`,
    jwksUri: `${origin}/${tenant.tenantId}/discovery/v2.0/keys`,
    spa: { clientId: CONSOLE_SPA_CLIENT_ID, redirectUri: "http://localhost:3000/auth/redirect" },
    api: { clientId: CONSOLE_API_CLIENT_ID, identifierUri: CONSOLE_API_IDENTIFIER_URI, scope: CONSOLE_API_SCOPE, appRoles: [...CONSOLE_ROLES] },
    // With SANDBOX_CONSOLE_CREDENTIALS=federated the API app has no secret or certificate: none is published.
    confidentialCredential:
      sandbox.consoleCredentials === "federated"
        ? null
        : {
            clientId: CONSOLE_API_CLIENT_ID,
            clientSecret: CONSOLE_API_CLIENT_SECRET,
            certificatePath: sandbox.tls.clientCertPath,
            privateKeyPath: sandbox.tls.clientKeyPath,
            thumbprintSha1: thumbprints.sha1,
            thumbprintSha256: thumbprints.sha256,
            x5tS256: certificate.thumbprintSha256,
          },
    managedIdentity: {
      description: "The console's user-assigned managed identity, federated with the API app. Its host's endpoints below.",
      clientId: CONSOLE_MANAGED_IDENTITY_CLIENT_ID,
      principalId: CONSOLE_MANAGED_IDENTITY_PRINCIPAL_ID,
      resourceId: tenant.findManagedIdentity(CONSOLE_MANAGED_IDENTITY_CLIENT_ID)?.resourceId ?? null,
      federatedCredentialIssuer: v2Issuer(origin, tenant.tenantId),
      identityEndpoint: sandbox.identity.identityEndpoint,
      identityHeader: sandbox.identity.identityHeader,
      imdsAuthorityHost: sandbox.identity.imdsAuthorityHost,
    },
    deployer: {
      description: "Sandbox-only automation app with Graph Application.ReadWrite.All: npm run azure:register -- --sandbox signs in as it.",
      clientId: SANDBOX_DEPLOYER_CLIENT_ID,
      clientSecret: SANDBOX_DEPLOYER_CLIENT_SECRET,
    },
    caPath: sandbox.tls.caPath,
    // The emulated cloud's resource ids: its Graph and ARM answer at this origin, but tokens are for their resource ids.
    cloud: tenant.cloud.name,
    graph: { baseUrl: origin, versionedBaseUrl: `${origin}/v1.0`, customHosts: [new URL(origin).hostname], scope: `${tenant.cloud.graphResource}/.default` },
    arm: { endpoint: origin, credentialScopes: [`${tenant.cloud.armResources[0]}/.default`] },
    tokenExchangeAudience: tenant.cloud.tokenExchangeAudience,
    controlUrl: `${origin}/_sandbox`,
    // Control writes need it (x-sandbox-control-token); the file is the developer's own, like the passwords below.
    controlToken: sandbox.controlToken,
    outboxUrl: `${origin}/_sandbox/outbox.html`,
    chatUrl: `${origin}/_sandbox/chat.html`,
    personas: tenant.personas().map((persona) => ({
      key: persona.key,
      userPrincipalName: persona.userPrincipalName,
      password: persona.password,
      objectId: persona.objectId,
      displayName: persona.displayName,
      description: persona.description,
      consoleRoles: persona.consoleRoles,
    })),
    seededUserPassword: SEEDED_USER_PASSWORD,
  };
}

export async function writeTenantFile(sandbox: RunningSandbox): Promise<string> {
  const path = join(sandbox.dataDir, "tenant.json");
  // Passwords, the client secret and the control token: readable by the developer only.
  await writeFile(path, `${JSON.stringify(describeSandbox(sandbox), null, 2)}\n`, { mode: 0o600 });
  return path;
}
