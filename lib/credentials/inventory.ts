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
// Built once: a zod object schema is compiled on its first parse, so one made per response (thousands a refresh)
// would be compiled thousands of times.
const OwnerList = z.object({ value: z.array(OwnerWire) });
const ItemList = z.object({ value: z.array(z.unknown()) });

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

/**
 * Reads every page of a list, handing each page's items to `onPage` as it arrives (pages follow `@odata.nextLink`).
 * Reads no further page once `stopped()` says the work it feeds has failed.
 */
async function listAll(
  client: Client,
  counter: CallCounter,
  first: string,
  onPage: (items: readonly unknown[]) => Promise<void> | void,
  stopped: () => boolean = () => false,
): Promise<void> {
  let request: string | undefined = first;
  for (let page = 0; request !== undefined && !stopped(); page++) {
    if (page >= MAX_PAGES) throw new Error(`Graph list ${first} did not end after ${MAX_PAGES} pages`);
    counter.count += 1;
    const body = ListPage.parse(await client.api(request).get());
    await onPage(body.value);
    request = body["@odata.nextLink"];
  }
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

type BatchResults = Map<string, { status: number; body: unknown }>;
/** Takes one request's answer as it arrives (its body is not kept once this returns). */
type BatchResultHandler = (id: string, status: number, body: unknown) => void;

/**
 * At most `size` Graph calls in flight at once, shared by every reader of one refresh: the directory's `$batch` calls
 * and the group reads that run beside them keep one limit together. Waiting calls go in the order they asked.
 */
export class GraphCallSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size = BATCH_CONCURRENCY) {
    this.free = size;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await call();
    } finally {
      // The slot passes straight to the next waiting call, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

/**
 * GET requests sent through `$batch`, 20 per call, at most BATCH_CONCURRENCY calls at once (the rule Gatehouse keeps
 * for one app's `$batch` calls); items Graph throttled (429/503) are retried after their `Retry-After`. Requests may
 * be added while calls are already going (as list pages arrive): a free worker waits until 20 are queued or no more
 * will come, so there are as few calls as if every request had been known at the start.
 *
 * The first failed call stops the queue: the workers take nothing more, and `drain` throws that failure once the calls
 * in flight have ended (no call is left running behind a failed refresh).
 *
 * With `onResult`, each answer is handed over as its call returns and not kept: a refresh of thousands of objects
 * then never holds every answer's JSON at once, and reads them while later calls are on their way.
 */
class BatchQueue {
  readonly results: BatchResults = new Map();
  private readonly pending: BatchRequest[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;
  private waiting: (() => void)[] = [];
  private readonly workers: Promise<void>[];
  private calls = 0;
  private queued = 0;

  constructor(
    private readonly client: Client,
    private readonly counter: CallCounter,
    /** Calls finished and calls so far expected (the total grows while requests are still being added). */
    private readonly onProgress: (done: number, expected: number) => Promise<void> | void,
    private readonly onResult?: BatchResultHandler,
    private readonly slots = new GraphCallSlots(),
  ) {
    this.workers = Array.from({ length: BATCH_CONCURRENCY }, () => this.work());
  }

  add(requests: readonly BatchRequest[]): void {
    if (this.closed || requests.length === 0) return;
    this.pending.push(...requests);
    this.queued += requests.length;
    this.wakeAll();
  }

  /** No more requests will come: sends what is queued, then resolves with every result, or throws the first failure. */
  async drain(): Promise<BatchResults> {
    this.closed = true;
    this.wakeAll();
    await Promise.all(this.workers);
    if (this.failure) throw this.failure.error;
    return this.results;
  }

  /** Whether a call failed: the queue takes no more work, and `drain` will throw. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Stops taking work (the caller failed); resolves once the calls in flight have ended. Never throws. */
  async abandon(): Promise<void> {
    this.closed = true;
    this.pending.length = 0;
    this.wakeAll();
    await Promise.all(this.workers);
  }

  private wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  private async work(): Promise<void> {
    for (;;) {
      while (!this.failure && !this.closed && this.pending.length < BATCH_SIZE) await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.failure || this.pending.length === 0) return;
      const chunk = this.pending.splice(0, BATCH_SIZE);
      try {
        await this.send(chunk);
        this.calls += 1;
        await this.onProgress(this.calls, Math.max(this.calls, Math.ceil(this.queued / BATCH_SIZE)));
      } catch (error) {
        this.failure ??= { error };
        this.closed = true;
        this.pending.length = 0;
        this.wakeAll();
        return;
      }
    }
  }

  private async send(chunk: readonly BatchRequest[]): Promise<void> {
    let pending = chunk;
    for (let attempt = 1; pending.length > 0; attempt++) {
      this.counter.count += 1;
      const requests = pending.map((request) => ({
        id: request.id,
        method: "GET",
        url: request.url,
        ...(request.headers ? { headers: request.headers } : {}),
      }));
      const body = BatchResponse.parse(await this.slots.run(() => this.client.api("/$batch").post({ requests })));
      const byId = new Map(pending.map((request) => [request.id, request]));
      const retry: BatchRequest[] = [];
      let waitSeconds = 0;
      for (const response of body.responses) {
        const request = byId.get(response.id);
        if (!request) continue;
        if ((response.status === 429 || response.status === 503) && attempt < 4) {
          retry.push(request);
          waitSeconds = Math.max(waitSeconds, Number(response.headers?.["Retry-After"] ?? response.headers?.["retry-after"] ?? 1) || 1);
        } else {
          if (this.onResult) this.onResult(response.id, response.status, response.body);
          else this.results.set(response.id, { status: response.status, body: response.body });
        }
      }
      pending = retry;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(waitSeconds, 30) * 1000));
    }
  }
}

/** Requests known up front, through a `BatchQueue`, reporting progress under `phase`; when a call fails, Graph's error. */
async function readInBatches(
  client: Client,
  counter: CallCounter,
  requests: readonly BatchRequest[],
  phase: string,
  progress: ProgressReporter,
  slots?: GraphCallSlots,
): Promise<BatchResults> {
  const queue = new BatchQueue(client, counter, (done, expected) => progress(phase, done, expected), undefined, slots);
  queue.add(requests);
  try {
    return await queue.drain();
  } catch (error) {
    throw graphError(error);
  }
}

function ownersFrom(body: unknown): InventoryOwner[] {
  const parsed = OwnerList.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.value.map((owner) => ({
    id: owner.id,
    displayName: owner.displayName ?? owner.userPrincipalName ?? owner.id,
    mail: owner.mail ?? owner.userPrincipalName ?? null,
  }));
}

/**
 * Reads the whole directory inventory. Throws an `AppError` (Graph's error model) when a list or a `$batch` call
 * cannot be read. The per-object navigations of each list page are queued for `$batch` as soon as the page arrives,
 * so the batch calls run while the later pages are still being read instead of after the last one.
 */
export async function readDirectoryInventory(
  client: Client,
  progress: ProgressReporter,
  options: {
    /** Called once every service principal is listed (before their owners are read), to start work that needs only them. */
    onServicePrincipalsListed?: (servicePrincipals: readonly InventoryServicePrincipal[]) => void;
    /** Called once both lists are read: every object is known, though its navigations may still be on their way. */
    onListed?: (applications: readonly InventoryApplication[], servicePrincipals: readonly InventoryServicePrincipal[]) => void;
    /**
     * Called when every navigation of one object (by its index in its list) has answered, or failed for good: it
     * changes no more. An object with none to read is read as soon as it is listed.
     */
    onObjectRead?: (kind: "application" | "servicePrincipal", index: number) => void;
    /** Shared with other Graph readers running beside this one (default: a limit of this reader's own). */
    slots?: GraphCallSlots;
  } = {},
): Promise<DirectoryInventory> {
  const counter = new CallCounter();
  const warnings: string[] = [];
  const applications: InventoryApplication[] = [];
  const servicePrincipals: InventoryServicePrincipal[] = [];
  let listing = true;
  const batchPhase = "Reading federated credentials and owners";
  // What each answer said, by the object's index, so the warnings name them in list order whatever order they came in.
  const federatedRead: boolean[] = [];
  const ownersRead: boolean[] = [];
  const spOwnersFailed: boolean[] = [];
  // Navigations still unanswered, by the application's index.
  const applicationUnread: number[] = [];
  const onResult: BatchResultHandler = (id, status, body) => {
    const index = Number(id.slice(1));
    handleResult(id, index, status, body);
    if (id.startsWith("s")) options.onObjectRead?.("servicePrincipal", index);
    else if ((applicationUnread[index] = applicationUnread[index]! - 1) === 0) options.onObjectRead?.("application", index);
  };
  const handleResult = (id: string, index: number, status: number, body: unknown) => {
    if (id.startsWith("f")) {
      const app = applications[index]!;
      const list = status === 200 ? ItemList.safeParse(body) : undefined;
      if (!list?.success) return;
      federatedRead[index] = true;
      for (const item of list.data.value) {
        const credential = federatedOf(item);
        if (credential) app.federated.push(credential);
        else app.unreadableFederated += 1;
      }
      if (app.unreadableFederated > 0) log("warn", "graph", "federated credentials unreadable", { applicationId: app.id, count: app.unreadableFederated });
    } else if (id.startsWith("o")) {
      if (status !== 200) return;
      ownersRead[index] = true;
      applications[index]!.owners = ownersFrom(body);
    } else if (id.startsWith("s")) {
      if (status === 200) servicePrincipals[index]!.owners = ownersFrom(body);
      else spOwnersFailed[index] = true;
    }
  };
  const queue = new BatchQueue(
    client,
    counter,
    (done, expected) => {
      // While the lists are read their progress is what the page shows; the batch calls take over after them.
      if (!listing) return progress(batchPhase, done, expected);
    },
    onResult,
    options.slots,
  );
  // Per-object navigations through $batch: federated credentials and owners of every application, owners of every
  // (non-managed) service principal with credentials of its own. Ids carry the object's index in its list.
  const addApplications = (items: readonly unknown[]) => {
    const requests: BatchRequest[] = [];
    for (const item of items) {
      const wire = ApplicationWire.parse(item);
      const index = applications.length;
      applications.push({
        id: wire.id,
        appId: wire.appId,
        displayName: wire.displayName ?? wire.appId,
        credentials: credentialsOf(wire, false),
        federated: [],
        unreadableFederated: 0,
        owners: [],
      });
      requests.push({ id: `f${index}`, url: `/applications/${wire.id}/federatedIdentityCredentials?$select=name,issuer,subject` });
      requests.push({ id: `o${index}`, url: `/applications/${wire.id}/owners?$select=id,displayName,mail,userPrincipalName` });
      applicationUnread[index] = 2;
    }
    queue.add(requests);
  };
  const addServicePrincipals = (items: readonly unknown[]) => {
    const requests: BatchRequest[] = [];
    const nothingToRead: number[] = [];
    for (const item of items) {
      const wire = ServicePrincipalWire.parse(item);
      const managedIdentity = wire.servicePrincipalType === "ManagedIdentity";
      const index = servicePrincipals.length;
      const sp: InventoryServicePrincipal = {
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
      servicePrincipals.push(sp);
      if (sp.credentials.length > 0) {
        requests.push({ id: `s${index}`, url: `/servicePrincipals/${sp.id}/owners?$select=id,displayName,mail,userPrincipalName` });
      } else nothingToRead.push(index);
    }
    queue.add(requests);
    for (const index of nothingToRead) options.onObjectRead?.("servicePrincipal", index);
  };

  try {
    // The two lists are independent: read side by side, so the refresh waits for the longer one only. When one fails
    // (or a batch call does), the other reads no further page.
    let listFailed = false;
    const stopped = () => listFailed || queue.failed;
    const report = () =>
      progress("Reading applications and service principals", applications.length + servicePrincipals.length, applications.length + servicePrincipals.length);
    const lists = await Promise.allSettled(
      [
        listAll(
          client,
          counter,
          `/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top=${PAGE_SIZE}`,
          (items) => {
            addApplications(items);
            return report();
          },
          stopped,
        ),
        listAll(
          client,
          counter,
          `/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,alternativeNames,passwordCredentials,keyCredentials&$top=${PAGE_SIZE}`,
          (items) => {
            addServicePrincipals(items);
            return report();
          },
          stopped,
        ).then(() => {
          if (!stopped()) options.onServicePrincipalsListed?.(servicePrincipals);
        }),
      ].map((list) =>
        list.catch((error: unknown) => {
          listFailed = true;
          throw error;
        }),
      ),
    );
    const listFailure = lists.find((list) => list.status === "rejected");
    if (listFailure) {
      // A list that cannot be read fails the inventory: the batch calls in flight end first, their results unused.
      await queue.abandon();
      throw listFailure.reason;
    }
    listing = false;
    options.onListed?.(applications, servicePrincipals);
    await queue.drain();
  } catch (error) {
    throw graphError(error);
  }

  let failed = 0;
  const unreadable: string[] = [];
  applications.forEach((app, index) => {
    if (!federatedRead[index]) failed += 1;
    else if (app.unreadableFederated > 0) unreadable.push(app.displayName);
    if (!ownersRead[index]) failed += 1;
  });
  failed += spOwnersFailed.filter(Boolean).length;
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
  /** Shared with the directory's reader when both run at once, so together they keep one limit. */
  slots = new GraphCallSlots(),
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
  const results = await readInBatches(client, counter, requests, "Reading the groups that hold workspace roles", progress, slots);
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
        const link = next;
        const read = () => client.api(link).header("ConsistencyLevel", "eventual").get() as Promise<unknown>;
        const body = MemberPage.parse(await slots.run(read));
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
