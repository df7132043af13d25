/**
 * The sandbox tenant: the directory and ARM data that Graph, ARM and Entra emulation read and change.
 */
import { seedContosoMl, type TenantScale } from "./seed.js";
import { Tenant } from "./tenant.js";

export { Tenant } from "./tenant.js";
export type * from "./model.js";
export { TENANT_DOMAIN } from "./model.js";
export { PERSONAS, SEEDED_USER_PASSWORD } from "./personas.js";
export { ROLE_IDS, type TenantScale } from "./seed.js";
export * from "./arm-ids.js";

export interface CreateTenantOptions {
  readonly seed: number;
  readonly scale: TenantScale;
  /** Reference time for credential expiry buckets (defaults to now). Everything else depends only on `seed`. */
  readonly now?: Date;
}

/** Seeds "Contoso ML" deterministically from `seed`. */
export function createTenant(options: CreateTenantOptions): Tenant {
  return seedContosoMl(options);
}

/** Rebuilds a tenant saved with `tenant.snapshot()`. */
export function restoreTenant(snapshot: unknown): Tenant {
  return Tenant.restore(snapshot);
}
