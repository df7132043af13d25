// @ts-check
/**
 * The Azure clouds Gatehouse can run in, and what differs between them: hosts, the resource ids tokens are asked for,
 * workload identity federation's exchange audience, the v2 issuer host of Entra's tokens and the role-assignment limit.
 *
 * Sources:
 *  - Entra authority hosts and Microsoft Graph roots per national cloud: https://learn.microsoft.com/graph/deployments
 *    (and @azure/identity's `AzureAuthorityHosts`).
 *  - ARM endpoints: the Azure CLI's cloud metadata (`az cloud show`: `resourceManager` https://management.azure.com/,
 *    https://management.usgovcloudapi.net/, https://management.chinacloudapi.cn/).
 *  - Exchange audiences: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
 *    (`api://AzureADTokenExchange`, `…USGov`, `…China`; @azure/identity's `deriveAudience` maps the same hosts).
 *  - v2 issuer hosts: @azure/msal-common's built-in authority metadata (`AuthorityMetadata`): China's cloud has the
 *    aliases login.partner.microsoftonline.cn and login.chinacloudapi.cn, and MSAL talks to (and expects issuers of)
 *    login.partner.microsoftonline.cn; the other clouds issue from their authority host.
 *  - Azure Monitor's resource id (the Logs Ingestion API's token audience): @azure/monitor-ingestion's
 *    `KnownMonitorAudience` (https://monitor.azure.com, https://monitor.azure.us, https://monitor.azure.cn).
 *  - Azure Database for PostgreSQL's Entra resource: the Azure CLI's cloud metadata (`ossrdbmsResourceId`).
 *  - The hosts each cloud's services answer on (the allow-list for azure-mode endpoints): Graph's national deployments
 *    (https://learn.microsoft.com/graph/deployments: graph.microsoft.us and dod-graph.microsoft.us for US Government),
 *    and the Logs Ingestion API's DCE/DCR hosts per cloud (*.ingest.monitor.azure.com, .us, .cn:
 *    https://learn.microsoft.com/azure/azure-monitor/fundamentals/azure-monitor-network-access).
 *  - Role-assignment limits: https://learn.microsoft.com/azure/role-based-access-control/troubleshoot-limits
 *    (4,000 per subscription; 2,000 in Azure Government and Azure operated by 21Vianet).
 */

/** @typedef {"public" | "usgov" | "china"} AzureCloudName */

/**
 * @typedef {object} AzureCloudProfile
 * @property {AzureCloudName} name
 * @property {string} displayName
 * @property {string} authorityHost        Entra's login host (no trailing slash).
 * @property {string[]} issuerHosts        Hosts whose `{host}/{tid}/v2.0` issuer Entra's v2 tokens in this cloud carry.
 * @property {string} graphBaseUrl         Microsoft Graph's root, which is also its resource id.
 * @property {string} armEndpoint          Azure Resource Manager's root, which is also one of its resource ids.
 * @property {string} tokenExchangeAudience  Workload identity federation's audience (a managed identity's token for it
 *   is the app's client assertion; a federated credential names it).
 * @property {string} monitorResource      Azure Monitor's resource id (the audience of Logs Ingestion API tokens).
 * @property {number} roleAssignmentLimit  Role assignments per subscription.
 * @property {string} postgresEntraResource  Azure Database for PostgreSQL's resource id for Entra sign-in.
 * @property {{ graph: string[], arm: string[], ingestionSuffix: string }} serviceHosts  The only hosts Graph and ARM
 *   endpoints may name in this cloud, and the domain every Logs Ingestion endpoint is under (Entra's login hosts are
 *   CLOUD_OF_AUTHORITY_HOST below).
 */

/** @type {Readonly<Record<AzureCloudName, Readonly<AzureCloudProfile>>>} */
export const AZURE_CLOUDS = Object.freeze({
  public: Object.freeze({
    name: "public",
    displayName: "Azure public cloud",
    authorityHost: "https://login.microsoftonline.com",
    issuerHosts: ["https://login.microsoftonline.com"],
    graphBaseUrl: "https://graph.microsoft.com",
    armEndpoint: "https://management.azure.com",
    tokenExchangeAudience: "api://AzureADTokenExchange",
    monitorResource: "https://monitor.azure.com",
    roleAssignmentLimit: 4000,
    postgresEntraResource: "https://ossrdbms-aad.database.windows.net",
    serviceHosts: { graph: ["graph.microsoft.com"], arm: ["management.azure.com"], ingestionSuffix: ".ingest.monitor.azure.com" },
  }),
  usgov: Object.freeze({
    name: "usgov",
    displayName: "Azure Government",
    authorityHost: "https://login.microsoftonline.us",
    issuerHosts: ["https://login.microsoftonline.us"],
    graphBaseUrl: "https://graph.microsoft.us",
    armEndpoint: "https://management.usgovcloudapi.net",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    monitorResource: "https://monitor.azure.us",
    roleAssignmentLimit: 2000,
    postgresEntraResource: "https://ossrdbms-aad.database.usgovcloudapi.net",
    serviceHosts: {
      graph: ["graph.microsoft.us", "dod-graph.microsoft.us"],
      arm: ["management.usgovcloudapi.net"],
      ingestionSuffix: ".ingest.monitor.azure.us",
    },
  }),
  china: Object.freeze({
    name: "china",
    displayName: "Azure operated by 21Vianet",
    authorityHost: "https://login.chinacloudapi.cn",
    issuerHosts: ["https://login.partner.microsoftonline.cn", "https://login.chinacloudapi.cn"],
    graphBaseUrl: "https://microsoftgraph.chinacloudapi.cn",
    armEndpoint: "https://management.chinacloudapi.cn",
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
    monitorResource: "https://monitor.azure.cn",
    roleAssignmentLimit: 2000,
    postgresEntraResource: "https://ossrdbms-aad.database.chinacloudapi.cn",
    serviceHosts: { graph: ["microsoftgraph.chinacloudapi.cn"], arm: ["management.chinacloudapi.cn"], ingestionSuffix: ".ingest.monitor.azure.cn" },
  }),
});

export const AZURE_CLOUD_NAMES = /** @type {AzureCloudName[]} */ (Object.keys(AZURE_CLOUDS));

/** Every Entra login host (and alias, as MSAL's metadata lists them) → its cloud. */
const CLOUD_OF_AUTHORITY_HOST = new Map([
  ["login.microsoftonline.com", "public"],
  ["login.windows.net", "public"],
  ["login.microsoft.com", "public"],
  ["login.microsoftonline.us", "usgov"],
  ["login.usgovcloudapi.net", "usgov"],
  ["login.chinacloudapi.cn", "china"],
  ["login.partner.microsoftonline.cn", "china"],
]);

/**
 * The cloud an authority host belongs to, or undefined for a host Gatehouse does not know.
 * @param {string} authorityHost
 * @returns {AzureCloudName | undefined}
 */
export function cloudOfAuthorityHost(authorityHost) {
  try {
    return /** @type {AzureCloudName | undefined} */ (CLOUD_OF_AUTHORITY_HOST.get(new URL(authorityHost).hostname.toLowerCase()));
  } catch {
    return undefined;
  }
}

/**
 * Why an azure-mode endpoint is not one of the cloud's own (undefined when it is): tokens for Graph, ARM and Azure
 * Monitor, and the admins' sign-ins, go only to Microsoft's hosts of the cloud Gatehouse runs in, over HTTPS, so a
 * mistyped or planted setting cannot send them anywhere else.
 * @param {"authority" | "graph" | "arm" | "ingestion"} service
 * @param {string} url
 * @param {AzureCloudProfile} profile
 * @returns {string | undefined}
 */
export function foreignEndpointProblem(service, url, profile) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.protocol !== "https:") return "must use https://";
  if (parsed.username || parsed.password) return "must not carry a user name or password";
  const host = parsed.hostname.toLowerCase();
  const hosts = profile.serviceHosts;
  const allowed =
    service === "authority"
      ? CLOUD_OF_AUTHORITY_HOST.get(host) === profile.name
      : service === "ingestion"
        ? host.endsWith(hosts.ingestionSuffix) && host.length > hosts.ingestionSuffix.length
        : hosts[service].includes(host);
  if (allowed) return undefined;
  const expected =
    service === "authority"
      ? [...CLOUD_OF_AUTHORITY_HOST].filter(([, cloud]) => cloud === profile.name).map(([name]) => name)
      : service === "ingestion"
        ? [`*${hosts.ingestionSuffix}`]
        : hosts[service];
  return `is not a host of ${profile.displayName} (expected ${expected.join(" or ")})`;
}

/**
 * `<resource>/.default` for a resource id or base URL: Entra's v2 endpoint splits a scope at its last slash, so a
 * resource id without a trailing slash gives exactly one slash here.
 * @param {string} resource
 */
export function defaultScopeOf(resource) {
  return `${resource.replace(/\/+$/, "")}/.default`;
}
