import { z } from "zod";

/** Input fields several actions share, with the same message everywhere. */

/** An Entra object id (user, group, service principal) or a role definition id. */
export const objectIdSchema = z.uuid({ error: "must be an object id (GUID)" });

/** A workspace's ARM id as the browser sends it; operations parse and check it themselves. */
export const workspaceIdSchema = z.string().min(1).max(512);

/** An access bundle's id as the browser sends it (the bundle is placed on the server). */
export const bundleIdSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: "Choose a bundle from the list" });
