/**
 * The Azure cloud the sandbox emulates. Its own origin stays the host of every endpoint; what changes is what real
 * Entra, Graph and ARM of that cloud put in and expect of tokens: Graph's and ARM's resource ids (the audiences),
 * workload identity federation's exchange audience and the v1 issuer. Kept equal to the console's
 * `lib/config/clouds.mjs` (a test checks it).
 *
 * Sources: Graph roots per cloud, https://learn.microsoft.com/graph/deployments; ARM's resource ids per cloud, the Azure
 * CLI's cloud metadata (`activeDirectoryResourceId` https://management.core.usgovcloudapi.net/, `resourceManager`
 * https://management.usgovcloudapi.net/, and the …chinacloudapi.cn pair) and ARM's own `/metadata/endpoints`
 * `authentication.audiences`; exchange audiences,
 * https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity; Azure
 * Monitor's resource ids, @azure/monitor-ingestion's `KnownMonitorAudience`.
 */
import { AZURE_RESOURCE_MANAGER_APP_ID, MICROSOFT_GRAPH_APP_ID, type SandboxCloud, type SandboxCloudName } from "./contract";

export type { SandboxCloud, SandboxCloudName } from "./contract";

export const SANDBOX_CLOUDS: Readonly<Record<SandboxCloudName, SandboxCloud>> = {
  public: {
    name: "public",
    graphResource: "https://graph.microsoft.com",
    graphAliases: ["https://canary.graph.microsoft.com"],
    armResources: ["https://management.azure.com", "https://management.core.windows.net"],
    tokenExchangeAudience: "api://AzureADTokenExchange",
    monitorResource: "https://monitor.azure.com",
    v1IssuerHost: "sts.windows.net",
    msGraphHost: "graph.microsoft.com",
  },
  usgov: {
    name: "usgov",
    graphResource: "https://graph.microsoft.us",
    graphAliases: [],
    armResources: ["https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net"],
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    monitorResource: "https://monitor.azure.us",
    // Not confirmed from a public source for Azure Government; sts.windows.net is the v1 issuer MSAL lists as a
    // public-cloud alias, and the sandbox keeps it (see sandbox/README.md, "Sovereign clouds").
    v1IssuerHost: "sts.windows.net",
    msGraphHost: "graph.microsoft.us",
  },
  china: {
    name: "china",
    graphResource: "https://microsoftgraph.chinacloudapi.cn",
    graphAliases: [],
    armResources: ["https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn"],
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
    monitorResource: "https://monitor.azure.cn",
    v1IssuerHost: "sts.chinacloudapi.cn",
    msGraphHost: "microsoftgraph.chinacloudapi.cn",
  },
};

export const SANDBOX_CLOUD_NAMES = Object.keys(SANDBOX_CLOUDS) as SandboxCloudName[];

/** Resource ids a scope may name for Graph: its root with or without the trailing slash, and its app id. */
export function graphScopePrefixes(cloud: SandboxCloud): string[] {
  return [`${cloud.graphResource}/`, `${cloud.graphResource}//`, `${MICROSOFT_GRAPH_APP_ID}/`];
}

/**
 * Audiences ARM accepts, with and without the trailing slash: its 401 names exactly these ("It should exactly match
 * with one of the allowed audiences …").
 */
export function armAudiences(cloud: SandboxCloud): string[] {
  const [endpoint, classic] = cloud.armResources;
  return [`${classic}/`, classic, `${endpoint}/`, endpoint];
}

/** Audiences Graph accepts: its resource id with or without the trailing slash, and its app id. */
export function graphAudiences(cloud: SandboxCloud): string[] {
  return [cloud.graphResource, `${cloud.graphResource}/`, MICROSOFT_GRAPH_APP_ID];
}

/** ARM's scope prefixes: each resource id with one slash or two, and its app id. */
export function armScopePrefixes(cloud: SandboxCloud): string[] {
  return [...cloud.armResources.flatMap((resource) => [`${resource}/`, `${resource}//`]), `${AZURE_RESOURCE_MANAGER_APP_ID}/`];
}

/** Audiences the Logs Ingestion API accepts: Azure Monitor's resource id with or without the trailing slash. */
export function monitorAudiences(cloud: SandboxCloud): string[] {
  return [cloud.monitorResource, `${cloud.monitorResource}/`];
}

/** Azure Monitor's scope prefixes (`@azure/monitor-ingestion` asks for `https://monitor.azure.com//.default`). */
export function monitorScopePrefixes(cloud: SandboxCloud): string[] {
  return [`${cloud.monitorResource}/`, `${cloud.monitorResource}//`];
}
