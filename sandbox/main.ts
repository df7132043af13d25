/**
 * `npm run sandbox:tenant`: starts the sandbox tenant, writes `<dataDir>/tenant.json`, prints a summary, and on
 * SIGINT/SIGTERM persists state (when SANDBOX_PERSIST is set) and exits.
 */
import { relative } from "node:path";
import { SandboxConfigError, loadSandboxConfig } from "./config";
import { startSandbox } from "./server";
import { writeTenantFile } from "./tenant-file";

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config;
  try {
    config = loadSandboxConfig();
  } catch (error) {
    if (error instanceof SandboxConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  const sandbox = await startSandbox({
    port: config.port,
    host: config.host,
    dataDir: config.dataDir,
    seed: config.seed,
    scale: config.scale,
    persist: config.persist,
    latencyMs: config.latencyMs,
    consoleOrigins: config.consoleOrigins,
    identityPort: config.identityPort,
    consoleCredentials: config.consoleCredentials,
    cloud: config.cloud,
  });
  const tenantFile = await writeTenantFile(sandbox);
  const elapsed = Math.round(performance.now() - startedAt);
  const show = (path: string) => {
    const fromHere = relative(process.cwd(), path);
    return fromHere && !fromHere.startsWith("..") ? fromHere : path;
  };

  const tenant = sandbox.tenant;
  console.log(`Gatehouse sandbox tenant listening on ${sandbox.origin} (${config.host}) — started in ${elapsed} ms`);
  console.log(`  tenant      ${tenant.tenantId} (seed ${config.seed}, scale ${config.scale}${config.persist ? ", persisted" : ""})`);
  console.log(`  authority   ${sandbox.origin}/${tenant.tenantId}`);
  console.log(`  Graph       ${sandbox.origin}/v1.0    ARM ${sandbox.origin}`);
  console.log(`  CA          ${show(sandbox.tls.caPath)}  (run clients with NODE_EXTRA_CA_CERTS=<absolute path>)`);
  console.log(
    `  identity    ${sandbox.identity.identityEndpoint} (IDENTITY_ENDPOINT; IDENTITY_HEADER in tenant.json) · IMDS ${sandbox.identity.imdsAuthorityHost}`,
  );
  if (config.cloud !== "public") {
    console.log(
      `  cloud       ${config.cloud}: tokens for ${tenant.cloud.graphResource} and ${tenant.cloud.armResources[0]} (start the console with AZURE_CLOUD=${config.cloud})`,
    );
  }
  if (config.consoleCredentials === "federated") console.log("  console API app: federated credential only (no secret, no certificate)");
  console.log(`  client file ${show(tenantFile)}`);
  console.log(`  control     ${sandbox.origin}/_sandbox/state · outbox ${sandbox.origin}/_sandbox/outbox.html · chat ${sandbox.origin}/_sandbox/chat.html`);
  console.log("  personas:");
  for (const persona of tenant.personas()) {
    console.log(`    ${persona.userPrincipalName.padEnd(42)} ${persona.password.padEnd(28)} ${persona.consoleRoles.join(", ") || "(no console role)"}`);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      if (config.persist) console.log(`Saved state to ${show(await sandbox.persist())}`);
      await sandbox.close();
      console.log(`Sandbox stopped (${signal}).`);
      process.exit(0);
    } catch (error) {
      console.error(`Sandbox stop failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`Sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
