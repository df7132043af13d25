/**
 * What the console's API app registration asks of Microsoft Graph and Azure Resource Manager, by permission *value*.
 * Permission ids are never written down here: each tenant's resource service principal (`appRoles`,
 * `oauth2PermissionScopes`) is read to resolve them. Used by `npm run azure:register` and the start-up self-check.
 */

/** Well-known first-party application ids (the same in every public-cloud tenant). */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const AZURE_RESOURCE_MANAGER_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013";

/**
 * Delegated Graph permissions for on-behalf-of. `Directory.Read.All` is what `directoryObjects/getByIds` needs;
 * `User.ReadBasic.All` and `GroupMember.Read.All` are covered by it and stay listed so that the person search and the
 * membership reads keep working if an organisation declines Directory.Read.All.
 */
export const GRAPH_DELEGATED = ["User.Read", "User.ReadBasic.All", "Directory.Read.All", "GroupMember.Read.All", "Application.Read.All"];

/** Application Graph permissions for unattended jobs; `Mail.Send` only serves notification mail. */
export const GRAPH_APPLICATION_BASE = ["Application.Read.All", "Directory.Read.All", "GroupMember.Read.All", "User.Read.All"];
export const GRAPH_MAIL_SEND = "Mail.Send";
export const GRAPH_APPLICATION = [...GRAPH_APPLICATION_BASE, GRAPH_MAIL_SEND];

/** The API's delegated scope the browser client asks for. */
export const ACCESS_AS_USER_SCOPE = "access_as_user";
