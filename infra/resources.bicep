// The resources of main.bicep, in its resource group. Every setting the console reads is an environment variable
// named as in lib/config/env.mjs and .env.example.

@description('Azure region.')
param location string

@description('Tags on every resource.')
param tags object

@description('Client id of the Gatehouse API app registration.')
param apiClientId string

@description('Client id of the Gatehouse browser app registration.')
param spaClientId string

@description('Public origin; empty for the container app\'s own URL.')
param publicOrigin string

@description('Container image to run.')
param containerImage string

@description('Versionless URI of the Key Vault secret holding the session key; read by the container app with the identity. Empty until it exists (the console then refuses to start, naming GATEHOUSE_SESSION_KEY).')
param sessionKeyReference string

// A reference, not a value: Container Apps reads the Key Vault secret with the identity (and its new versions).
// https://learn.microsoft.com/azure/container-apps/manage-secrets#reference-secret-from-key-vault
var sessionKeySecrets = empty(sessionKeyReference) ? [] : [
  {
    name: 'session-key'
    keyVaultUrl: sessionKeyReference
    identity: identity.id
  }
]
var sessionKeyEnv = empty(sessionKeyReference) ? [] : [
  { name: 'GATEHOUSE_SESSION_KEY', secretRef: 'session-key' }
]

@description('Versionless URI of the Key Vault secret holding the Ed25519 private key (PEM) that signs the audit trail\'s checkpoints; read with the identity. Empty: the audit trail is not shipped to Azure Monitor, and no table or rule is made.')
param auditCheckpointKeyReference string

@description('Object id of the Gatehouse API app\'s service principal, whose app-only tokens ship the audit trail: it gets Monitoring Metrics Publisher on the rule. Empty: assign that role by hand (docs/audit-siem.md).')
param apiServicePrincipalObjectId string

@description('Days the GatehouseAudit_CL table keeps the audit trail in all (interactive 90 days, the rest as long-term retention).')
param auditRetentionDays int

@description('Privileged built-in roles (Contributor, Owner, User Access Administrator, RBAC Administrator) admins may grant through Gatehouse: names or role definition GUIDs, comma separated; none by default.')
param grantablePrivilegedRoles string

@description('Replicas always running.')
param minReplicas int

@description('Replicas at most.')
param maxReplicas int

@description('PostgreSQL compute size.')
param postgresSkuName string

@description('PostgreSQL pricing tier.')
param postgresSkuTier string

var token = toLower(uniqueString(subscription().id, resourceGroup().id, location))
var appName = 'ca-gatehouse-${take(token, 8)}'
var databaseName = 'gatehouse'
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

// --- Identity: the console's only credential ---------------------------------------------------------------
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-gatehouse-${take(token, 8)}'
  location: location
  tags: tags
}

// --- Logs ---------------------------------------------------------------------------------------------------
resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: 'log-gatehouse-${take(token, 8)}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

// --- The audit trail outside the database: a Log Analytics table fed by a data collection rule ----------------
// Only with a checkpoint signing key (the console refuses to ship without one). The columns are those of each
// shipped record (lib/audit/sink.ts); the stream declaration and the table are the same, the transformation `source`.
// A "Direct" rule has its own logs ingestion endpoint, so no data collection endpoint is needed:
// https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview
var shipAudit = !empty(auditCheckpointKeyReference)
var auditStream = 'Custom-GatehouseAudit_CL'
var auditColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'RecordType', type: 'string' }
  { name: 'Sequence', type: 'long' }
  { name: 'Hash', type: 'string' }
  { name: 'PrevHash', type: 'string' }
  { name: 'Action', type: 'string' }
  { name: 'Outcome', type: 'string' }
  { name: 'ActorUpn', type: 'string' }
  { name: 'ActorObjectId', type: 'string' }
  { name: 'ActorAppId', type: 'string' }
  { name: 'SessionId', type: 'string' }
  { name: 'ClientAddress', type: 'string' }
  { name: 'UserAgent', type: 'string' }
  { name: 'Job', type: 'string' }
  { name: 'TargetScope', type: 'string' }
  { name: 'TargetPrincipalId', type: 'string' }
  { name: 'TargetRoleName', type: 'string' }
  { name: 'Event', type: 'dynamic' }
  { name: 'CheckpointTime', type: 'string' }
  { name: 'Signature', type: 'string' }
  { name: 'KeyId', type: 'string' }
]
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource auditTable 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = if (shipAudit) {
  parent: logs
  name: 'GatehouseAudit_CL'
  properties: {
    // The tables API spells the type dateTime; a stream declaration, datetime.
    schema: {
      name: 'GatehouseAudit_CL'
      columns: map(auditColumns, column => { name: column.name, type: column.type == 'datetime' ? 'dateTime' : column.type })
    }
    retentionInDays: 90
    totalRetentionInDays: auditRetentionDays
  }
}

resource auditRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = if (shipAudit) {
  name: 'dcr-gatehouse-audit-${take(token, 8)}'
  location: location
  tags: tags
  kind: 'Direct'
  properties: {
    streamDeclarations: {
      '${auditStream}': { columns: auditColumns }
    }
    destinations: {
      logAnalytics: [
        { name: 'workspace', workspaceResourceId: logs.id }
      ]
    }
    dataFlows: [
      {
        streams: [auditStream]
        destinations: ['workspace']
        transformKql: 'source'
        outputStream: auditStream
      }
    ]
  }
  dependsOn: [
    auditTable
  ]
}

resource auditPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (shipAudit && !empty(apiServicePrincipalObjectId)) {
  name: guid(auditRule.id, apiServicePrincipalObjectId, monitoringMetricsPublisherRoleId)
  scope: auditRule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: apiServicePrincipalObjectId
    principalType: 'ServicePrincipal'
  }
}

// The signing key reaches the container as a file in a secret volume, never as a setting's value.
var auditKeyDirectory = '/mnt/audit-key'
var auditKeySecrets = shipAudit ? [
  {
    name: 'audit-checkpoint-key'
    keyVaultUrl: auditCheckpointKeyReference
    identity: identity.id
  }
] : []
var auditEnv = shipAudit ? [
  { name: 'GATEHOUSE_AUDIT_INGESTION_ENDPOINT', value: auditRule.properties.endpoints.logsIngestion }
  { name: 'GATEHOUSE_AUDIT_DCR_IMMUTABLE_ID', value: auditRule.properties.immutableId }
  { name: 'GATEHOUSE_AUDIT_CHECKPOINT_KEY_PATH', value: '${auditKeyDirectory}/audit-checkpoint-key.pem' }
] : []
var auditKeyVolumes = shipAudit ? [
  { name: 'audit-key', storageType: 'Secret', secrets: [{ secretRef: 'audit-checkpoint-key', path: 'audit-checkpoint-key.pem' }] }
] : []
var auditKeyMounts = shipAudit ? [
  { volumeName: 'audit-key', mountPath: auditKeyDirectory }
] : []

// --- Container registry (azd pushes the image; the identity pulls it) ---------------------------------------
resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'crgatehouse${take(token, 10)}'
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: {
    adminUserEnabled: false
  }
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// --- PostgreSQL with Microsoft Entra authentication only ----------------------------------------------------
resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2023-06-01-preview' = {
  name: 'psql-gatehouse-${take(token, 8)}'
  location: location
  tags: tags
  sku: {
    name: postgresSkuName
    tier: postgresSkuTier
  }
  properties: {
    version: '16'
    storage: { storageSizeGB: 32 }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: { mode: 'Disabled' }
    // Entra sign-in only: no administrator login and no password exist.
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
  }

  resource database 'databases' = {
    name: databaseName
  }

  // Reachable from Azure services (the Container Apps environment); see docs/deploy.md for private networking.
  resource azureServices 'firewallRules' = {
    name: 'AllowAzureServices'
    properties: {
      startIpAddress: '0.0.0.0'
      endIpAddress: '0.0.0.0'
    }
  }
}

// The console's identity is the server's Entra administrator, so its token signs it in and it applies the
// migrations. docs/deploy.md shows how to use a less privileged database role instead.
resource postgresAdministrator 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2023-06-01-preview' = {
  parent: postgres
  name: identity.properties.principalId
  properties: {
    principalType: 'ServicePrincipal'
    principalName: identity.name
    tenantId: tenant().tenantId
  }
  dependsOn: [
    postgres::database
    postgres::azureServices
  ]
}

// --- Container Apps -------------------------------------------------------------------------------------------
resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-gatehouse-${take(token, 8)}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

// Until `azd deploy` has pushed Gatehouse, the app runs a placeholder image that listens on port 80 and has no
// /api/health; Gatehouse itself listens on 3000 (PORT) and answers the probes.
var placeholder = startsWith(containerImage, 'mcr.microsoft.com/k8se/quickstart')
var port = placeholder ? 80 : 3000

var origin = empty(publicOrigin) ? 'https://${appName}.${environment.properties.defaultDomain}' : publicOrigin

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'web' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
      secrets: concat(sessionKeySecrets, auditKeySecrets)
    }
    template: {
      containers: [
        {
          name: 'gatehouse'
          image: containerImage
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: concat(sessionKeyEnv, auditEnv, [
            { name: 'GATEHOUSE_MODE', value: 'azure' }
            { name: 'GATEHOUSE_PUBLIC_ORIGIN', value: origin }
            { name: 'AZURE_TENANT_ID', value: tenant().tenantId }
            { name: 'GATEHOUSE_ALLOWED_TENANTS', value: tenant().tenantId }
            { name: 'GATEHOUSE_API_CLIENT_ID', value: apiClientId }
            { name: 'GATEHOUSE_SPA_CLIENT_ID', value: spaClientId }
            { name: 'GATEHOUSE_CREDENTIAL', value: 'managed-identity' }
            { name: 'AZURE_MANAGED_IDENTITY_CLIENT_ID', value: identity.properties.clientId }
            { name: 'DATABASE_URL', value: 'postgres://${identity.name}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=verify-full' }
            { name: 'DATABASE_AUTH', value: 'entra' }
            { name: 'PORT', value: string(port) }
            { name: 'HOSTNAME', value: '0.0.0.0' }
            // Container Apps' ingress appends the client's address to X-Forwarded-For: one trusted hop.
            { name: 'GATEHOUSE_TRUSTED_PROXY_HOPS', value: '1' }
            { name: 'GATEHOUSE_GRANTABLE_PRIVILEGED_ROLES', value: grantablePrivilegedRoles }
          ])
          probes: placeholder ? [] : [
            {
              type: 'Startup'
              httpGet: { path: '/api/health', port: port }
              initialDelaySeconds: 5
              periodSeconds: 5
              failureThreshold: 24
            }
            {
              type: 'Liveness'
              httpGet: { path: '/api/health', port: port }
              periodSeconds: 30
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: { path: '/api/health', port: port }
              periodSeconds: 10
              failureThreshold: 3
            }
          ]
          volumeMounts: concat([
            { volumeName: 'tmp', mountPath: '/tmp' }
          ], auditKeyMounts)
        }
      ]
      volumes: concat([
        { name: 'tmp', storageType: 'EmptyDir' }
      ], auditKeyVolumes)
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http-concurrency'
            http: { metadata: { concurrentRequests: '50' } }
          }
        ]
      }
    }
  }
  dependsOn: [
    acrPull
    postgresAdministrator
  ]
}

output registryLoginServer string = registry.properties.loginServer
output publicOrigin string = origin
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output postgresServer string = postgres.properties.fullyQualifiedDomainName
output auditRuleId string = shipAudit ? auditRule.id : ''

