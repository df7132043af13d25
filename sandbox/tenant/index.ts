/**
 * The sandbox tenant: the directory and ARM data that Graph, ARM and Entra emulation read and change.
 */
import { seedContosoMl, type TenantScale } from "./seed";
import { Tenant } from "./tenant";
import type { SandboxCloudName } from "../contract";

export { Tenant } from "./tenant";
export type * from "./model";
export { TENANT_DOMAIN } from "./model";
export { PERSONAS, SEEDED_USER_PASSWORD } from "./personas";
export {
  CUSTOM_ROLE_IDS,
  DATA_SCIENTIST_ONLY_CONDITION,
  LIGHTHOUSE_PARTNER_TENANT_ID,
  ROLE_IDS,
  SEEDED_BEYOND_ASSIGNMENTS,
  type TenantScale,
  UNICODE_RESOURCE_GROUP,
  UNICODE_RESOURCE_GROUP_WORKSPACE,
} from "./seed";
export { EVERYONE_PRINCIPAL_ID, newRoleAssignment } from "./model";
export { AZURE_CLI_APP_ID, AZURE_POWERSHELL_APP_ID, FIRST_PARTY_PUBLIC_CLIENTS, VISUAL_STUDIO_CODE_APP_ID } from "./first-party";
export * from "./arm-ids";

export interface CreateTenantOptions {
  readonly seed: number;
  readonly scale: TenantScale;
  /** Reference time for credential expiry buckets (defaults to now). Everything else depends only on `seed`. */
  readonly now?: Date;
  /** The Azure cloud it emulates (resource ids, exchange audience, v1 issuer). Default: public. */
  readonly cloud?: SandboxCloudName;
}

/** Seeds "Contoso ML" deterministically from `seed`. */
export function createTenant(options: CreateTenantOptions): Tenant {
  return seedContosoMl(options);
}

/** Rebuilds a tenant saved with `tenant.snapshot()`. */
export function restoreTenant(snapshot: unknown): Tenant {
  return Tenant.restore(snapshot);
}
