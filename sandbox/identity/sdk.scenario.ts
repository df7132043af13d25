/**
 * Run in a child process (see sdk.test.ts) whose environment holds what an Azure host gives its workloads —
 * IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service, Container Apps) or AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS) — and
 * NODE_EXTRA_CA_CERTS. Uses the SDKs exactly as lib/azure/tokens.ts does: @azure/identity's ManagedIdentityCredential
 * for the exchange token, msal-node's ConfidentialClientApplication with it as the client assertion.
 */
import { readFileSync } from "node:fs";

import { ManagedIdentityCredential } from "@azure/identity";
import { ConfidentialClientApplication } from "@azure/msal-node";

interface Input {
  readonly authority: string;
  readonly apiClientId: string;
  readonly managedIdentityClientId: string;
  readonly userApiToken: string;
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;

async function main(): Promise<void> {
  const input = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as Input;
  const managedIdentity = new ManagedIdentityCredential({ clientId: input.managedIdentityClientId });
  const exchange = await managedIdentity.getToken("api://AzureADTokenExchange/.default");
  let assertions = 0;
  const client = new ConfidentialClientApplication({
    auth: {
      clientId: input.apiClientId,
      authority: input.authority,
      knownAuthorities: [new URL(input.authority).host],
      clientAssertion: async () => {
        assertions += 1;
        return (await managedIdentity.getToken("api://AzureADTokenExchange/.default")).token;
      },
    },
  });
  const app = await client.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
  const obo = await client.acquireTokenOnBehalfOf({ oboAssertion: input.userApiToken, scopes: ["https://management.azure.com/.default"] });
  console.log(
    JSON.stringify({
      exchange: { claims: claimsOf(exchange.token), expiresOnTimestamp: exchange.expiresOnTimestamp },
      app: claimsOf(app?.accessToken ?? ""),
      obo: claimsOf(obo?.accessToken ?? ""),
      assertions,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exit(1);
});
