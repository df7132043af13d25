import "server-only";

import { armGet, type ArmIdentity } from "@/lib/arm/client";
import { AppError } from "@/lib/errors";
import { describeError, log } from "@/lib/log";

import { catalogueFromProviderOperations, type OperationsCatalogue } from "./catalogue";

/**
 * The provider-operations metadata the permission delta expands roles against, read from ARM
 * (`GET /providers/Microsoft.Authorization/providerOperations/{namespace}?$expand=resourceTypes`, ProviderOperationsMetadata_Get)
 * as the signed-in person, and cached per person and namespace: the metadata changes when a resource provider ships
 * operations, not between page views, and one approval queue would otherwise read it for every request it shows.
 */
export const PROVIDER_OPERATIONS_API_VERSION = "2022-04-01";
/** The workspace's own resource provider: always in the catalogue, so a role of `*` still lists what it gives there. */
export const WORKSPACE_NAMESPACE = "Microsoft.MachineLearningServices";

const CACHE_TTL_MS = 60 * 60_000;
/**
 * Bounded: the oldest entries go first once it is full (people × the few namespaces roles name). Kept well inside the
 * server's 256 MB heap (docs/deploy.md "Memory"): a namespace's full metadata in a real tenant is several times the
 * sandbox's recorded subset, and a miss costs one ARM read, never a wrong answer.
 */
const CACHE_MAX_ENTRIES = 100;
/** A role naming more namespaces than this is expanded over the first ones; the rest count as beyond the catalogue. */
const MAX_NAMESPACES = 20;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$/;

/** `null`: ARM does not know the namespace (400 InvalidResourceNamespace, 404): an answer too, cached like one. */
const cache = new Map<string, { expiresAt: number; metadata: Promise<unknown> }>();

function identityKey(identity: ArmIdentity): string {
  return identity.kind === "app" ? "app" : `${identity.caller.tenantId}/${identity.caller.objectId}`.toLowerCase();
}

/** Forgets every cached answer (tests). */
export function clearProviderOperationsCache(): void {
  cache.clear();
}

/** How many answers are cached now (tests check the bound and the TTL). */
export function providerOperationsCacheSize(): number {
  return cache.size;
}

function readNamespace(identity: ArmIdentity, namespace: string, now: number): Promise<unknown> {
  const key = `${identityKey(identity)} ${namespace.toLowerCase()}`;
  const cached = cache.get(key);
  if (cached && cached.expiresAt > now) return cached.metadata;
  for (const [entry, value] of cache) if (value.expiresAt <= now) cache.delete(entry);
  while (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  const metadata = armGet(
    identity,
    `/providers/Microsoft.Authorization/providerOperations/${namespace}?$expand=resourceTypes`,
    PROVIDER_OPERATIONS_API_VERSION,
  ).catch((error: unknown) => {
    if (error instanceof AppError && (error.code === "not_found" || error.code === "upstream_failed")) {
      // Logged once per cache period, not on every preview that names it.
      log("info", "permissions", "namespace unknown to ARM; it counts as beyond the catalogue", { namespace, error: describeError(error) });
      return null;
    }
    throw error;
  });
  cache.set(key, { expiresAt: now + CACHE_TTL_MS, metadata });
  // A failed read must not be served from the cache.
  metadata.catch(() => cache.delete(key));
  return metadata;
}

/** The namespaces a set of role patterns names literally (a pattern whose namespace is a wildcard names none). */
export function namespacesNamed(patterns: Iterable<string>): string[] {
  const found = new Map<string, string>();
  for (const pattern of patterns) {
    const namespace = pattern.split("/")[0] ?? "";
    if (NAMESPACE.test(namespace) && !found.has(namespace.toLowerCase())) found.set(namespace.toLowerCase(), namespace);
  }
  return [...found.values()];
}

/**
 * The catalogue for the workspace's namespace and the namespaces the roles name. The workspace's own namespace must
 * be read (without it no delta can be worked out); another namespace ARM does not know or will not give is left out,
 * which makes the roles' patterns over it count as beyond the catalogue ("at least"), never as nothing.
 */
export async function getOperationsCatalogue(identity: ArmIdentity, patterns: Iterable<string>, options: { now?: number } = {}): Promise<OperationsCatalogue> {
  const now = options.now ?? Date.now();
  const others = namespacesNamed(patterns).filter((namespace) => namespace.toLowerCase() !== WORKSPACE_NAMESPACE.toLowerCase());
  const namespaces = [WORKSPACE_NAMESPACE, ...others.slice(0, MAX_NAMESPACES - 1)];
  const answers = await Promise.allSettled(namespaces.map((namespace) => readNamespace(identity, namespace, now)));
  const metadata: unknown[] = [];
  answers.forEach((answer, index) => {
    if (answer.status === "fulfilled" && answer.value !== null) {
      metadata.push(answer.value);
      return;
    }
    const reason: unknown = answer.status === "rejected" ? answer.reason : new Error("namespace unknown to ARM");
    if (index === 0) {
      const error = reason instanceof AppError ? reason : undefined;
      throw new AppError({
        code: error?.code ?? "upstream_failed",
        message: `providerOperations ${WORKSPACE_NAMESPACE}: ${describeError(reason)}`,
        userMessage:
          `Gatehouse could not read the list of Azure Machine Learning operations from Azure, so it cannot say what the role allows. ${error?.userMessage ?? ""}`.trim(),
        ...(error?.upstreamRequestId ? { upstreamRequestId: error.upstreamRequestId } : {}),
        cause: reason,
      });
    }
    if (answer.status === "rejected") {
      log("warn", "permissions", "provider operations not read; the namespace counts as beyond the catalogue", {
        namespace: namespaces[index],
        error: describeError(reason),
      });
    }
  });
  return catalogueFromProviderOperations(metadata);
}
