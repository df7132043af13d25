import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";
import { z } from "zod";

import { graphError } from "@/lib/graph/client";
import { log } from "@/lib/log";
import type { FederatedCredentialSummary } from "@/lib/shared/credentials";

/**
 * The directory side of the credential inventory, read as the console's own identity (Application.Read.All): every
 * application's password, key and federated credentials, every service principal's OWN password and key credentials
 * (invisible in the portal's App registrations blade), managed identities, and owners.
 *
 * Calls: ⌈applications / 999⌉ + ⌈service principals / 999⌉ list pages (the two lists side by side), then `$batch` calls of 20 requests for the
 * per-object navigations Graph does not return in a list (federated credentials and owners of each application,
 * owners of each service principal that carries credentials of its own). Graph cannot filter credentials by end date
 * server-side, so everything is listed and classified in Gatehouse. Secret values are never requested: Graph returns
 * `secretText: null` on reads anyway, and only the fields below are selected.
 */

const PAGE_SIZE = 999;
const BATCH_SIZE = 20;
const BATCH_CONCURRENCY = 4;
const MAX_PAGES = 1000;

const PasswordCredentialWire = z.object({
  keyId: z.string(),
  displayName: z.string().nullable().optional(),
  customKeyIdentifier: z.string().nullable().optional(),
  startDateTime: z.string().nullable().optional(),
  endDateTime: z.string().nullable().optional(),
});
const KeyCredentialWire = z.object({
  keyId: z.string(),
  displayName: z.string().nullable().optional(),
  type: z.string().nullable().optional(),
  usage: z.string().nullable().optional(),
  customKeyIdentifier: z.string().nullable().optional(),
  startDateTime: z.string().nullable().optional(),
  endDateTime: z.string().nullable().optional(),
});
const ApplicationWire = z.object({
  id: z.string(),
  appId: z.string(),
  displayName: z.string().nullable().optional(),
  passwordCredentials: z.array(PasswordCredentialWire).nullable().optional(),
  keyCredentials: z.array(KeyCredentialWire).nullable().optional(),
});
const ServicePrincipalWire = ApplicationWire.extend({
  servicePrincipalType: z.string().nullable().optional(),
  alternativeNames: z.array(z.string()).nullable().optional(),
});
// A flexible credential has `subject: null` and a `claimsMatchingExpression` (beta only today), mutually exclusive
// (beta federatedIdentityCredential resource). Each item is parsed on its own: one odd item never hides the others.
const FederatedWire = z.object({
  name: z.string(),
  issuer: z.string(),
  subject: z.string().nullable().optional(),
  claimsMatchingExpression: z.object({ value: z.string(), languageVersion: z.number().optional() }).nullable().optional(),
});
const OwnerWire = z.object({
  id: z.string(),
  displayName: z.string().nullable().optional(),
  mail: z.string().nullable().optional(),
  userPrincipalName: z.string().nullable().optional(),
});
const ListPage = z.object({ value: z.array(z.unknown()), "@odata.nextLink": z.string().optional() });

export interface InventoryCredential {
  /** `samlSigning`: a SAML token-signing certificate (see `credentialsOf`), not a credential to sign in with. */
  readonly kind: "secret" | "certificate" | "samlSigning";
  readonly keyId: string;
  readonly displayName: string | null;
  readonly startDateTime: string | null;
  readonly endDateTime: string | null;
}

export interface InventoryOwner {
  readonly id: string;
  readonly displayName: string;
  readonly mail: string | null;
}

export interface InventoryApplication {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly credentials: readonly InventoryCredential[];
  federated: FederatedCredentialSummary[];
  /** Federated credentials Graph listed whose shape could not be read: counted, never taken for "none". */
  unreadableFederated: number;
  owners: InventoryOwner[];
}

export interface InventoryServicePrincipal {
  readonly id: string;
  readonly appId: string;
  readonly displayName: string;
  readonly managedIdentity: boolean;
  /** The service principal's OWN credentials (not its application's). Empty for managed identities (Azure rotates them). */
  readonly credentials: readonly InventoryCredential[];
  owners: InventoryOwner[];
  /**
   * A user-assigned managed identity's ARM id (from `alternativeNames`: `isExplicit=True` and the resource id), whose
   * federated credentials live on that resource, not in Graph; null otherwise.
   */
  readonly userAssignedIdentityId: string | null;
  /** Filled by `readManagedIdentityFederation`: the identity's federated credentials from ARM. */
  federated: FederatedCredentialSummary[];
  unreadableFederated: number;
  /** Why its federated credentials could not be read at all, when they could not. */
  federatedUnread: "forbidden" | "failed" | null;
}

export interface DirectoryInventory {
  readonly applications: readonly InventoryApplication[];
  readonly servicePrincipals: readonly InventoryServicePrincipal[];
  readonly graphCalls: number;
  /** Objects whose federated credentials or owners could not be read; the rest of the inventory stands. */
  readonly warnings: readonly string[];
}

export type ProgressReporter = (phase: string, done: number, total: number) => Promise<void> | void;

/**
 * An object's password and key credentials. On a service principal, a SAML token-signing certificate is stored as
 * `addTokenSigningCertificate` makes it: a private key with usage Sign, a public key with usage Verify and a
 * passwordCredential that opens the PFX, all with the same customKeyIdentifier, the password with the Sign key's keyId
 * (https://learn.microsoft.com/graph/api/serviceprincipal-addtokensigningcertificate). Those three are one
 * `samlSigning` credential (the Sign key's id and dates), not two certificates and a secret.
 */
function credentialsOf(wire: z.infer<typeof ApplicationWire>, onServicePrincipal: boolean): InventoryCredential[] {
  const keys = wire.keyCredentials ?? [];
  const signing = onServicePrincipal ? keys.filter((key) => key.usage === "Sign") : [];
  const signingKeyIds = new Set(signing.map((key) => key.keyId.toLowerCase()));
  const signingIdentifiers = new Set(signing.flatMap((key) => (key.customKeyIdentifier ? [key.customKeyIdentifier] : [])));
  const twin = (credential: { keyId: string; customKeyIdentifier?: string | null }) =>
    signingKeyIds.has(credential.keyId.toLowerCase()) || (!!credential.customKeyIdentifier && signingIdentifiers.has(credential.customKeyIdentifier));
  const dated = (c: { keyId: string; displayName?: string | null; startDateTime?: string | null; endDateTime?: string | null }) => ({
    keyId: c.keyId,
    displayName: c.displayName ?? null,
    startDateTime: c.startDateTime ?? null,
    endDateTime: c.endDateTime ?? null,
  });
  return [
    ...(wire.passwordCredentials ?? []).filter((c) => !twin(c)).map((c) => ({ kind: "secret" as const, ...dated(c) })),
    ...keys.filter((c) => !twin(c)).map((c) => ({ kind: "certificate" as const, ...dated(c) })),
    ...signing.map((c) => ({ kind: "samlSigning" as const, ...dated(c) })),
  ];
}

const USER_ASSIGNED_IDENTITY = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i;

/** A managed identity's `alternativeNames` hold `isExplicit=True` and its ARM id when it is user-assigned. */
function userAssignedIdentityId(alternativeNames: readonly string[]): string | null {
  if (!alternativeNames.some((name) => name.toLowerCase() === "isexplicit=true")) return null;
  return alternativeNames.find((name) => USER_ASSIGNED_IDENTITY.test(name)) ?? null;
}

/** One federated credential, or undefined when its shape cannot be read. */
export function federatedOf(item: unknown): FederatedCredentialSummary | undefined {
  const parsed = FederatedWire.safeParse(item);
  if (!parsed.success) return undefined;
  const { name, issuer, subject, claimsMatchingExpression } = parsed.data;
  return { name, issuer, subject: subject ?? null, ...(claimsMatchingExpression ? { claimsMatchingExpression: claimsMatchingExpression.value } : {}) };
}

class CallCounter {
  count = 0;
}

async function listAll(client: Client, counter: CallCounter, first: string, onPage: (items: number) => Promise<void> | void): Promise<unknown[]> {
  const items: unknown[] = [];
  let request: string | undefined = first;
  for (let page = 0; request !== undefined; page++) {
    if (page >= MAX_PAGES) throw new Error(`Graph list ${first} did not end after ${MAX_PAGES} pages`);
    counter.count += 1;
    const body = ListPage.parse(await client.api(request).get());
    items.push(...body.value);
    await onPage(items.length);
    request = body["@odata.nextLink"];
  }
  return items;
}

interface BatchRequest {
  readonly id: string;
  readonly url: string;
  /** Sent on the inner request: `$batch` does not pass the outer request's headers on. */
  readonly headers?: Readonly<Record<string, string>>;
}

// An OData cast on a membership list is an advanced query; Graph refuses it without these.
const ADVANCED_QUERY_HEADERS = { ConsistencyLevel: "eventual" } as const;

const BatchResponse = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

/** Runs GET requests through `$batch`, 20 per call, a few calls at once; retries items Graph throttled (429/503). */
async function batchGet(
  client: Client,
  counter: CallCounter,
  requests: readonly BatchRequest[],
  onProgress: (done: number) => Promise<void> | void,
): Promise<Map<string, { status: number; body: unknown }>> {
  const results = new Map<string, { status: number; body: unknown }>();
  const chunks: BatchRequest[][] = [];
  for (let start = 0; start < requests.length; start += BATCH_SIZE) chunks.push(requests.slice(start, start + BATCH_SIZE));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let pending = chunks[next++]!;
      for (let attempt = 1; pending.length > 0; attempt++) {
        counter.count += 1;
        const body = BatchResponse.parse(
          await client.api("/$batch").post({
            requests: pending.map((request) => ({
              id: request.id,
              method: "GET",
              url: request.url,
              ...(request.headers ? { headers: request.headers } : {}),
            })),
          }),
        );
        const retry: BatchRequest[] = [];
        let waitSeconds = 0;
        for (const response of body.responses) {
          const request = pending.find((candidate) => candidate.id === response.id);
          if (!request) continue;
          if ((response.status === 429 || response.status === 503) && attempt < 4) {
            retry.push(request);
            waitSeconds = Math.max(waitSeconds, Number(response.headers?.["Retry-After"] ?? response.headers?.["retry-after"] ?? 1) || 1);
          } else {
            results.set(response.id, { status: response.status, body: response.body });
          }
        }
        pending = retry;
        if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(waitSeconds, 30) * 1000));
      }
      done += 1;
      await onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, chunks.length) }, worker));
  return results;
}

/** `batchGet` reporting progress in batches under `phase`; when the batch calls themselves fail, Graph's error. */
async function readInBatches(
  client: Client,
  counter: CallCounter,
  requests: readonly BatchRequest[],
  phase: string,
  progress: ProgressReporter,
): Promise<Map<string, { status: number; body: unknown }>> {
  const totalBatches = Math.ceil(requests.length / BATCH_SIZE);
  try {
    return await batchGet(client, counter, requests, (done) => progress(phase, done, totalBatches));
  } catch (error) {
    throw graphError(error);
  }
}

function ownersFrom(body: unknown): InventoryOwner[] {
  const parsed = z.object({ value: z.array(OwnerWire) }).safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.value.map((owner) => ({
    id: owner.id,
    displayName: owner.displayName ?? owner.userPrincipalName ?? owner.id,
    mail: owner.mail ?? owner.userPrincipalName ?? null,
  }));
}

/** Reads the whole directory inventory. Throws an `AppError` (Graph's error model) when a list cannot be read. */
export async function readDirectoryInventory(client: Client, progress: ProgressReporter): Promise<DirectoryInventory> {
  const counter = new CallCounter();
  const warnings: string[] = [];
  let applicationWires: unknown[];
  let servicePrincipalWires: unknown[];
  try {
    // The two lists are independent: read side by side, so the refresh waits for the longer one only.
    let applicationsRead = 0;
    let servicePrincipalsRead = 0;
    const report = () =>
      progress("Reading applications and service principals", applicationsRead + servicePrincipalsRead, applicationsRead + servicePrincipalsRead);
    [applicationWires, servicePrincipalWires] = await Promise.all([
      listAll(client, counter, `/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top=${PAGE_SIZE}`, (n) => {
        applicationsRead = n;
        return report();
      }),
      listAll(
        client,
        counter,
        `/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,alternativeNames,passwordCredentials,keyCredentials&$top=${PAGE_SIZE}`,
        (n) => {
          servicePrincipalsRead = n;
          return report();
        },
      ),
    ]);
  } catch (error) {
    throw graphError(error);
  }

  const applications: InventoryApplication[] = applicationWires.map((item) => {
    const wire = ApplicationWire.parse(item);
    return {
      id: wire.id,
      appId: wire.appId,
      displayName: wire.displayName ?? wire.appId,
      credentials: credentialsOf(wire, false),
      federated: [],
      unreadableFederated: 0,
      owners: [],
    };
  });
  const servicePrincipals: InventoryServicePrincipal[] = servicePrincipalWires.map((item) => {
    const wire = ServicePrincipalWire.parse(item);
    const managedIdentity = wire.servicePrincipalType === "ManagedIdentity";
    return {
      id: wire.id,
      appId: wire.appId,
      displayName: wire.displayName ?? wire.appId,
      managedIdentity,
      credentials: managedIdentity ? [] : credentialsOf(wire, true),
      owners: [],
      userAssignedIdentityId: managedIdentity ? userAssignedIdentityId(wire.alternativeNames ?? []) : null,
      federated: [],
      unreadableFederated: 0,
      federatedUnread: null,
    };
  });

  // Per-object navigations through $batch: federated credentials and owners of every application, owners of every
  // (non-managed) service principal with credentials of its own.
  const requests: BatchRequest[] = [];
  applications.forEach((app, index) => {
    requests.push({ id: `f${index}`, url: `/applications/${app.id}/federatedIdentityCredentials?$select=name,issuer,subject` });
    requests.push({ id: `o${index}`, url: `/applications/${app.id}/owners?$select=id,displayName,mail,userPrincipalName` });
  });
  servicePrincipals.forEach((sp, index) => {
    if (sp.credentials.length > 0) requests.push({ id: `s${index}`, url: `/servicePrincipals/${sp.id}/owners?$select=id,displayName,mail,userPrincipalName` });
  });
  const results = await readInBatches(client, counter, requests, "Reading federated credentials and owners", progress);
  let failed = 0;
  const unreadable: string[] = [];
  applications.forEach((app, index) => {
    const federated = results.get(`f${index}`);
    const list = federated?.status === 200 ? z.object({ value: z.array(z.unknown()) }).safeParse(federated.body) : undefined;
    if (list?.success) {
      for (const item of list.data.value) {
        const credential = federatedOf(item);
        if (credential) app.federated.push(credential);
        else app.unreadableFederated += 1;
      }
      if (app.unreadableFederated > 0) {
        log("warn", "graph", "federated credentials unreadable", { applicationId: app.id, count: app.unreadableFederated });
        unreadable.push(app.displayName);
      }
    } else failed += 1;
    const owners = results.get(`o${index}`);
    if (owners?.status === 200) app.owners = ownersFrom(owners.body);
    else failed += 1;
  });
  servicePrincipals.forEach((sp, index) => {
    const owners = results.get(`s${index}`);
    if (owners === undefined) return;
    if (owners.status === 200) sp.owners = ownersFrom(owners.body);
    else failed += 1;
  });
  if (failed > 0) warnings.push(`${failed} owner or federated-credential lookups failed; those identities show without them.`);
  if (unreadable.length > 0) {
    const count = applications.reduce((sum, app) => sum + app.unreadableFederated, 0);
    warnings.push(
      `${count} federated ${count === 1 ? "credential" : "credentials"} of ${unreadable.join(", ")} could not be read; those identities are shown with the credentials that could.`,
    );
  }
  return { applications, servicePrincipals, graphCalls: counter.count, warnings };
}

export interface GroupServicePrincipals {
  readonly displayName: string;
  /** Service principals (applications' and managed identities') that are members, directly or through nested groups. */
  readonly servicePrincipalIds: readonly string[];
}

const GroupWire = z.object({ id: z.string(), displayName: z.string().nullable().optional() });
const MemberPage = z.object({ value: z.array(z.object({ id: z.string() })), "@odata.nextLink": z.string().optional() });

/**
 * For each group holding workspace roles: its name and its transitive service-principal members, read through
 * `$batch` (two requests per group). A group deleted since its assignment was made has no members to credit; any
 * other failure leaves that group out with a warning rather than failing the inventory.
 */
export async function readGroupServicePrincipals(
  client: Client,
  groupIds: readonly string[],
  progress: ProgressReporter,
): Promise<{ groups: Map<string, GroupServicePrincipals>; graphCalls: number; warnings: string[] }> {
  const counter = new CallCounter();
  const requests: BatchRequest[] = groupIds.flatMap((id, index) => [
    { id: `g${index}`, url: `/groups/${id}?$select=id,displayName` },
    {
      id: `m${index}`,
      url: `/groups/${id}/transitiveMembers/microsoft.graph.servicePrincipal?$count=true&$select=id&$top=${PAGE_SIZE}`,
      headers: ADVANCED_QUERY_HEADERS,
    },
  ]);
  const results = await readInBatches(client, counter, requests, "Reading the groups that hold workspace roles", progress);
  const groups = new Map<string, GroupServicePrincipals>();
  // Named in the warning, so an admin knows whose members' roles are missing rather than just how many groups.
  const unread: string[] = [];
  for (const [index, groupId] of groupIds.entries()) {
    const group = results.get(`g${index}`);
    const members = results.get(`m${index}`);
    if (group?.status === 404 || members?.status === 404) continue;
    const parsedGroup = GroupWire.safeParse(group?.body);
    const name = (parsedGroup.success && parsedGroup.data.displayName) || groupId;
    const parsedMembers = MemberPage.safeParse(members?.body);
    if (group?.status !== 200 || members?.status !== 200 || !parsedGroup.success || !parsedMembers.success) {
      log("warn", "graph", "group members unreadable", { groupId, groupStatus: group?.status, membersStatus: members?.status });
      unread.push(name);
      continue;
    }
    const ids = parsedMembers.data.value.map((member) => member.id);
    // Groups with more than 999 service principals are rare; their further pages are read one by one.
    let next = parsedMembers.data["@odata.nextLink"];
    try {
      for (let page = 1; next !== undefined && page < MAX_PAGES; page++) {
        counter.count += 1;
        const body = MemberPage.parse(await client.api(next).header("ConsistencyLevel", "eventual").get());
        ids.push(...body.value.map((member) => member.id));
        next = body["@odata.nextLink"];
      }
    } catch (error) {
      log("warn", "graph", "group members unreadable", { groupId, problem: graphError(error).message });
      unread.push(name);
      continue;
    }
    groups.set(groupId.toLowerCase(), { displayName: parsedGroup.data.displayName ?? groupId, servicePrincipalIds: ids });
  }
  const warnings =
    unread.length > 0
      ? [`Could not read the members of ${unread.length === 1 ? "group" : "groups"} ${unread.join(", ")}; roles their members hold through them are not shown.`]
      : [];
  return { groups, graphCalls: counter.count, warnings };
}
