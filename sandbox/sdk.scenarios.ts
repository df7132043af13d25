/**
 * Runs the real Azure SDKs against a running sandbox and prints what they saw as one JSON line.
 * Started by `sdk.test.ts` in a child process with NODE_EXTRA_CA_CERTS set, because Node only reads that variable at
 * start-up; the SDKs themselves are used exactly as the console uses them.
 *
 *   node --import tsx sandbox/sdk.scenarios.ts <input.json>
 */
import { readFileSync } from "node:fs";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { ClientCertificateCredential, ClientSecretCredential, OnBehalfOfCredential } from "@azure/identity";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { BatchRequestContent, BatchResponseContent, Client, PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";

export interface ScenarioInput {
  readonly origin: string;
  readonly tenantId: string;
  readonly apiClientId: string;
  readonly apiClientSecret: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly certificateThumbprintSha256Hex: string;
  readonly adminApiToken: string;
  readonly limitedAdminApiToken: string;
  readonly steppedUpUserApiToken: string;
  readonly subscriptionId: string;
  readonly readerRoleDefinitionId: string;
  readonly granteeObjectId: string;
  readonly personaObjectIds: readonly string[];
  readonly graphAvailable: boolean;
}

export type ScenarioOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Record<string, unknown> };

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = error as Error & Record<string, unknown>;
  return {
    name: error.name,
    message: error.message.slice(0, 500),
    errorCode: fields.errorCode,
    subError: fields.subError,
    claims: fields.claims,
    statusCode: fields.statusCode,
    code: fields.code,
  };
}

async function run(input: ScenarioInput): Promise<Record<string, ScenarioOutcome>> {
  const authority = `${input.origin}/${input.tenantId}`;
  const knownAuthorities = [new URL(input.origin).host];
  const identityOptions = { authorityHost: input.origin, disableInstanceDiscovery: true };
  const armOptions = { endpoint: input.origin, credentialScopes: ["https://management.azure.com/.default"] };
  const results: Record<string, ScenarioOutcome> = {};
  const scenario = async (name: string, body: () => Promise<unknown>) => {
    try {
      results[name] = { ok: true, value: await body() };
    } catch (error) {
      results[name] = { ok: false, error: describeError(error) };
    }
  };

  const secretClient = new ConfidentialClientApplication({
    auth: { clientId: input.apiClientId, authority, clientSecret: input.apiClientSecret, knownAuthorities },
  });
  await scenario("msal-client-credentials-secret", async () => {
    const result = await secretClient.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    return { claims: claimsOf(result?.accessToken ?? ""), tokenType: result?.tokenType, hasExpiry: result?.expiresOn instanceof Date };
  });

  await scenario("msal-client-credentials-certificate", async () => {
    const certificateClient = new ConfidentialClientApplication({
      auth: {
        clientId: input.apiClientId,
        authority,
        knownAuthorities,
        clientCertificate: { thumbprintSha256: input.certificateThumbprintSha256Hex, privateKey: input.privateKeyPem },
      },
    });
    const result = await certificateClient.acquireTokenByClientCredential({ scopes: ["https://management.azure.com/.default"] });
    return { claims: claimsOf(result?.accessToken ?? "") };
  });

  await scenario("msal-on-behalf-of", async () => {
    const first = await secretClient.acquireTokenOnBehalfOf({ oboAssertion: input.adminApiToken, scopes: ["https://management.azure.com/.default"] });
    const second = await secretClient.acquireTokenOnBehalfOf({ oboAssertion: input.adminApiToken, scopes: ["https://management.azure.com/.default"] });
    return { claims: claimsOf(first?.accessToken ?? ""), secondFromCache: second?.fromCache ?? false, sameToken: first?.accessToken === second?.accessToken };
  });

  await scenario("msal-on-behalf-of-interaction-required", async () => {
    await secretClient.acquireTokenOnBehalfOf({ oboAssertion: input.steppedUpUserApiToken, scopes: ["https://graph.microsoft.com/.default"] });
    return "unexpected success";
  });

  await scenario("identity-client-secret", async () => {
    const credential = new ClientSecretCredential(input.tenantId, input.apiClientId, input.apiClientSecret, identityOptions);
    const token = await credential.getToken("https://management.azure.com/.default");
    return { claims: claimsOf(token.token), expiresOnTimestamp: token.expiresOnTimestamp };
  });

  await scenario("identity-client-certificate", async () => {
    const credential = new ClientCertificateCredential(
      input.tenantId,
      input.apiClientId,
      { certificate: `${input.privateKeyPem}\n${input.certificatePem}` },
      identityOptions,
    );
    const token = await credential.getToken("https://graph.microsoft.com/.default");
    return { claims: claimsOf(token.token) };
  });

  const adminCredential = new OnBehalfOfCredential({
    tenantId: input.tenantId,
    clientId: input.apiClientId,
    clientSecret: input.apiClientSecret,
    userAssertionToken: input.adminApiToken,
    ...identityOptions,
  });
  const adminArm = new AuthorizationManagementClient(adminCredential, input.subscriptionId, armOptions);
  const subscriptionScope = `/subscriptions/${input.subscriptionId}`;
  const roleDefinitionId = `${subscriptionScope}/providers/Microsoft.Authorization/roleDefinitions/${input.readerRoleDefinitionId}`;

  await scenario("arm-list-paged", async () => {
    let count = 0;
    let pages = 0;
    for await (const page of adminArm.roleAssignments.listForSubscription().byPage()) {
      pages++;
      count += page.length;
    }
    return { count, pages };
  });

  await scenario("resource-graph-paged", async () => {
    const client = new ResourceGraphClient(adminCredential, { endpoint: input.origin });
    const query = "resources | where type =~ 'microsoft.machinelearningservices/workspaces' | project id, name, kind";
    const ids: string[] = [];
    const pages: { count: number; totalRecords: number; resultTruncated: string }[] = [];
    let skipToken: string | undefined;
    do {
      const page = await client.resources({ subscriptions: [input.subscriptionId], query, options: { top: 2, ...(skipToken ? { skipToken } : {}) } });
      pages.push({ count: page.count, totalRecords: page.totalRecords, resultTruncated: page.resultTruncated });
      ids.push(...(page.data as { id: string }[]).map((row) => row.id));
      skipToken = page.skipToken;
    } while (skipToken);
    let refused: Record<string, unknown> | undefined;
    try {
      await client.resources({ query: "resources | take 5" });
    } catch (error) {
      refused = describeError(error);
    }
    return { ids, pages, refused };
  });

  await scenario("arm-list-for-scope-filter", async () => {
    const assignments = [];
    for await (const assignment of adminArm.roleAssignments.listForScope(subscriptionScope, { filter: "atScope()" })) assignments.push(assignment);
    return { count: assignments.length, scopes: [...new Set(assignments.map((assignment) => assignment.scope))].slice(0, 5) };
  });

  const assignmentName = "5d0b6a39-3f0c-4a51-9b8f-000000000001";
  await scenario("arm-create-update-conflict-delete", async () => {
    const parameters = { roleDefinitionId, principalId: input.granteeObjectId, principalType: "User" as const };
    const created = await adminArm.roleAssignments.create(subscriptionScope, assignmentName, parameters);
    const again = await adminArm.roleAssignments.create(subscriptionScope, assignmentName, parameters);
    let conflict: Record<string, unknown> | undefined;
    try {
      await adminArm.roleAssignments.create(subscriptionScope, "5d0b6a39-3f0c-4a51-9b8f-000000000002", parameters);
    } catch (error) {
      conflict = describeError(error);
    }
    const fetched = await adminArm.roleAssignments.get(subscriptionScope, assignmentName);
    const deleted = await adminArm.roleAssignments.delete(subscriptionScope, assignmentName);
    await adminArm.roleAssignments.delete(subscriptionScope, assignmentName);
    return {
      created: { name: created.name, principalId: created.principalId, scope: created.scope, roleDefinitionId: created.roleDefinitionId },
      againName: again.name,
      conflict,
      fetchedName: fetched.name,
      deletedName: deleted?.name,
    };
  });

  await scenario("arm-limited-admin-forbidden", async () => {
    const credential = new OnBehalfOfCredential({
      tenantId: input.tenantId,
      clientId: input.apiClientId,
      clientSecret: input.apiClientSecret,
      userAssertionToken: input.limitedAdminApiToken,
      ...identityOptions,
    });
    const client = new AuthorizationManagementClient(credential, input.subscriptionId, armOptions);
    await client.roleAssignments.create(subscriptionScope, "5d0b6a39-3f0c-4a51-9b8f-000000000003", {
      roleDefinitionId,
      principalId: input.granteeObjectId,
      principalType: "User",
    });
    return "unexpected success";
  });

  if (input.graphAvailable) {
    const graphCredential = new ClientSecretCredential(input.tenantId, input.apiClientId, input.apiClientSecret, identityOptions);
    const graph = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(graphCredential, { scopes: ["https://graph.microsoft.com/.default"] }),
      baseUrl: input.origin,
      customHosts: new Set([new URL(input.origin).hostname]),
      defaultVersion: "v1.0",
    });

    await scenario("graph-paging", async () => {
      const first = (await graph.api("/users").top(50).select("id,displayName").get()) as PageCollection;
      let pages = 0;
      let users = 0;
      const iterator = new PageIterator(graph, first, () => {
        users++;
        return true;
      });
      await iterator.iterate();
      pages = Math.ceil(users / 50);
      return { users, pages, firstNextLink: first["@odata.nextLink"] ?? null };
    });

    await scenario("graph-get-by-ids", async () => {
      const response = (await graph.api("/directoryObjects/getByIds").post({ ids: input.personaObjectIds, types: ["user"] })) as { value: { id: string }[] };
      return { ids: response.value.map((item) => item.id) };
    });

    await scenario("graph-batch", async () => {
      // graph-client 3.0.7 strips scheme and host but keeps the version segment, which Graph rejects with 400
      // (microsoftgraph/msgraph-sdk-javascript#1178, #1451); the documented workaround is a URL without the version.
      const batch = new BatchRequestContent([
        { id: "1", request: new Request(`${input.origin}/users/${input.personaObjectIds[0]}`, { method: "GET" }) },
        { id: "2", request: new Request(`${input.origin}/users/00000000-0000-4000-8000-0000000000ff`, { method: "GET" }) },
        { id: "3", request: new Request(`${input.origin}/v1.0/users/${input.personaObjectIds[0]}`, { method: "GET" }) },
      ]);
      const body = (await graph.api("/$batch").post(await batch.getContent())) as ConstructorParameters<typeof BatchResponseContent>[0];
      const response = new BatchResponseContent(body);
      return { first: response.getResponseById("1")?.status, second: response.getResponseById("2")?.status, versioned: response.getResponseById("3")?.status };
    });

    await scenario("graph-not-found", async () => {
      await graph.api("/users/00000000-0000-4000-8000-0000000000ff").get();
      return "unexpected success";
    });
  }
  return results;
}

const inputPath = process.argv[2];
if (!inputPath) {
  console.error("usage: sdk.scenarios.ts <input.json>");
  process.exit(2);
}
run(JSON.parse(readFileSync(inputPath, "utf8")) as ScenarioInput).then(
  (results) => {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
