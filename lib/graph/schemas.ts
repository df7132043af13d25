import "server-only";

import { z } from "zod";

/**
 * Graph's directory objects as Gatehouse reads them (users, groups, service principals), one schema for every read:
 * getByIds, search, members. Fields a request did not `$select` are simply absent.
 */
export const DirectoryObjectWire = z.object({
  "@odata.type": z.string().optional(),
  id: z.string(),
  displayName: z.string().nullable().optional(),
  userPrincipalName: z.string().nullable().optional(),
  userType: z.string().nullable().optional(),
  mail: z.string().nullable().optional(),
  appId: z.string().nullable().optional(),
  servicePrincipalType: z.string().nullable().optional(),
  appOwnerOrganizationId: z.string().nullable().optional(),
  /** Users and service principals; Graph sends it only when `$select` names it (the console's lookups do). */
  accountEnabled: z.boolean().nullable().optional(),
  /** A `directoryObjectPartnerReference`'s partner tenant (getByIds returns whole objects). */
  externalPartnerTenantId: z.string().nullable().optional(),
});
export type DirectoryObjectWire = z.infer<typeof DirectoryObjectWire>;

/** A page of directory objects, with Graph's next link when there is more. */
export const DirectoryObjectPage = z.object({ value: z.array(DirectoryObjectWire), "@odata.nextLink": z.string().optional() });

/** What every principal lookup selects. */
export const PRINCIPAL_SELECT = [
  "id",
  "displayName",
  "userPrincipalName",
  "userType",
  "mail",
  "appId",
  "servicePrincipalType",
  "appOwnerOrganizationId",
  "accountEnabled",
];
