// Gatehouse on Azure Container Apps, deployed by `azd up` (see docs/deploy.md).
//
// One resource group with: a user-assigned managed identity (the console's only credential: federated with the
// Gatehouse API app registration, and PostgreSQL's Entra administrator), Log Analytics, a Container Apps environment,
// a container registry the identity pulls from, Azure Database for PostgreSQL Flexible Server with Microsoft Entra
// authentication only (no password exists), and the console's container app.
//
// No secret here: the console signs in to Entra ID and to PostgreSQL with its managed identity. The one secret it needs,
// the key that encrypts sessions' tokens at rest, stays in a Key Vault of yours: the container app only references it
// (Container Apps reads it with the identity; docs/deploy.md).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and tags every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource, e.g. westeurope.')
param location string

@description('Client id of the Gatehouse API app registration (npm run azure:register prints it). Empty on the first provision.')
param apiClientId string = ''

@description('Client id of the Gatehouse browser app registration (npm run azure:register prints it). Empty on the first provision.')
param spaClientId string = ''

@description('Public origin people use, https://… . Empty: the container app\'s own https://<app>.<environment domain>.')
param publicOrigin string = ''

@description('Container image; azd deploy replaces it with the image it builds from the Dockerfile.')
param containerImage string = 'mcr.microsoft.com/k8se/quickstart:latest'

@description('Versionless URI of the Key Vault secret holding GATEHOUSE_SESSION_KEY (32 random bytes, base64), e.g. https://kv-contoso.vault.azure.net/secrets/gatehouse-session-key; the console identity needs Key Vault Secrets User on it (docs/deploy.md). Empty on the first provision.')
param sessionKeyReference string = ''

@description('Versionless URI of the Key Vault secret holding the Ed25519 private key (PEM) that signs the audit trail\'s checkpoints, e.g. https://kv-contoso.vault.azure.net/secrets/gatehouse-audit-checkpoint-key; the console identity needs Key Vault Secrets User on it. Empty: the audit trail stays in the database only (docs/audit-siem.md).')
param auditCheckpointKeyReference string = ''

@description('Object id of the Gatehouse API app\'s service principal (npm run azure:register prints it); gets Monitoring Metrics Publisher on the audit rule. Empty: assign it by hand.')
param apiServicePrincipalObjectId string = ''

@minValue(30)
@maxValue(4383)
@description('Days the audit table keeps events in all (interactive 90 days, then long-term retention); set it to what your audit policy asks.')
param auditRetentionDays int = 2557

@description('Privileged built-in roles admins may grant through Gatehouse (GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES): names or GUIDs, comma separated, e.g. Contributor. Empty: none.')
param grantablePrivilegedRoles string = ''

@minValue(1)
@maxValue(10)
@description('Replicas always running. Several instances share the one PostgreSQL database safely.')
param minReplicas int = 1

@minValue(1)
@maxValue(30)
@description('Replicas at most, added when concurrent HTTP requests per replica pass 50.')
param maxReplicas int = 3

@description('PostgreSQL compute size (Burstable B1ms is enough for hundreds of admins).')
param postgresSkuName string = 'Standard_B1ms'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
@description('PostgreSQL pricing tier matching postgresSkuName.')
param postgresSkuTier string = 'Burstable'

var tags = { 'azd-env-name': environmentName }

resource group 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'gatehouse-resources'
  scope: group
  params: {
    location: location
    tags: tags
    apiClientId: apiClientId
    spaClientId: spaClientId
    publicOrigin: publicOrigin
    containerImage: containerImage
    sessionKeyReference: sessionKeyReference
    auditCheckpointKeyReference: auditCheckpointKeyReference
    apiServicePrincipalObjectId: apiServicePrincipalObjectId
    auditRetentionDays: auditRetentionDays
    grantablePrivilegedRoles: grantablePrivilegedRoles
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    postgresSkuName: postgresSkuName
    postgresSkuTier: postgresSkuTier
  }
}

// azd reads these into its environment (`azd env get-value NAME`); docs/deploy.md uses them.
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = group.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = resources.outputs.registryLoginServer
output GATEHOUSE_PUBLIC_ORIGIN string = resources.outputs.publicOrigin
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output GATEHOUSE_AUDIT_RULE_ID string = resources.outputs.auditRuleId
output POSTGRES_SERVER string = resources.outputs.postgresServer
