import { beforeEach, describe, expect, it } from "vitest";

import type { Caller, SandboxResponse } from "../contract";
import { createTenant, type Tenant } from "../tenant/index";
import { buildRequest, TEST_NOW, testSettings, userCaller } from "../tenant/testing/support";
import { createArmHandler } from "./index";

let tenant: Tenant;
let handler: ReturnType<typeof createArmHandler>;

beforeEach(() => {
  tenant = createTenant({ seed: 11, scale: "default", now: TEST_NOW });
  handler = createArmHandler(tenant, testSettings());
});

function send(method: string, url: string, caller: Caller = userCaller("admin")): SandboxResponse {
  const response = handler(buildRequest(method, url, { caller }));
  if (response instanceof Promise) throw new Error("expected a synchronous answer");
  return response;
}

interface Operation {
  name: string;
  displayName: string;
  description: string;
  origin: string;
  isDataAction: boolean;
}
interface Metadata {
  id: string;
  name: string;
  type: string;
  displayName: string;
  operations: Operation[];
  resourceTypes?: { name: string; displayName: string; operations: Operation[] }[];
}

const PATH = "/providers/Microsoft.Authorization/providerOperations";
const operationsOf = (metadata: Metadata) => [...metadata.operations, ...(metadata.resourceTypes ?? []).flatMap((type) => type.operations)];
const errorOf = (response: SandboxResponse) => (response.body as { error: { code: string; message: string } }).error;

describe("GET /providers/Microsoft.Authorization/providerOperations/{namespace}", () => {
  it("answers a namespace's operations in ProviderOperationsMetadata's shape, case-insensitively, to a caller with no role at all", () => {
    const response = send("GET", `${PATH}/microsoft.machinelearningservices?api-version=2022-04-01&$expand=resourceTypes`, userCaller("no-role"));
    expect(response.status).toBe(200);
    const metadata = response.body as Metadata;
    expect(metadata).toMatchObject({
      id: `${PATH}/Microsoft.MachineLearningServices`,
      name: "Microsoft.MachineLearningServices",
      type: "Microsoft.Authorization/providerOperations",
    });
    const computes = metadata.resourceTypes?.find((type) => type.name === "workspaces/computes");
    expect(computes?.operations.map((operation) => operation.name)).toContain("Microsoft.MachineLearningServices/workspaces/computes/write");
    expect(metadata.operations.map((operation) => operation.name)).toContain("Microsoft.MachineLearningServices/register/action");
    for (const operation of operationsOf(metadata)) {
      expect([typeof operation.displayName, typeof operation.description, operation.isDataAction]).toEqual(["string", "string", false]);
      expect(operation.description).not.toBe("");
    }
  });

  it("marks data actions as such (blob reads, Key Vault secret reads)", () => {
    const storage = send("GET", `${PATH}/Microsoft.Storage?api-version=2022-04-01`).body as Metadata;
    const blobRead = operationsOf(storage).find((operation) => operation.name === "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read");
    expect(blobRead?.isDataAction).toBe(true);
    expect(operationsOf(storage).find((operation) => operation.name === "Microsoft.Storage/storageAccounts/listkeys/action")?.isDataAction).toBe(false);
    const keyVault = send("GET", `${PATH}/Microsoft.KeyVault?api-version=2022-04-01`).body as Metadata;
    expect(operationsOf(keyVault).find((operation) => operation.name === "Microsoft.KeyVault/vaults/secrets/getSecret/action")?.isDataAction).toBe(true);
  });

  it("leaves the per-type operations out for another $expand, and lists every recorded namespace without one", () => {
    const withoutTypes = send("GET", `${PATH}/Microsoft.ContainerRegistry?api-version=2022-04-01&$expand=none`).body as Metadata;
    expect(withoutTypes).not.toHaveProperty("resourceTypes");
    const list = send("GET", `${PATH}?api-version=2022-04-01`);
    expect(list.status).toBe(200);
    expect((list.body as { value: Metadata[] }).value.map((metadata) => metadata.name).sort()).toEqual([
      "Microsoft.ContainerRegistry",
      "Microsoft.KeyVault",
      "Microsoft.MachineLearningServices",
      "Microsoft.Storage",
    ]);
  });

  it("refuses an unknown namespace, an unknown api-version, a missing one and a write, as ARM does", () => {
    const unknown = send("GET", `${PATH}/Contoso.Widgets?api-version=2022-04-01`);
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown)).toEqual({ code: "InvalidResourceNamespace", message: "The resource namespace 'Contoso.Widgets' is invalid." });
    const version = send("GET", `${PATH}/Microsoft.Storage?api-version=2099-01-01`);
    expect([version.status, errorOf(version).code]).toEqual([400, "NoRegisteredProviderFound"]);
    expect(errorOf(send("GET", `${PATH}/Microsoft.Storage`)).code).toBe("MissingApiVersionParameter");
    expect(send("PUT", `${PATH}/Microsoft.Storage?api-version=2022-04-01`).status).toBe(405);
  });
});
