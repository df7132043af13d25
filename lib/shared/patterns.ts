/** Patterns several parts of Gatehouse check against, kept once. */

/** An object id, tenant id or role definition id as Entra and ARM write them (any case). */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The same, lower case only: what Gatehouse stores, and what Entra puts in a token's `tid` and `oid`. */
export const LOWER_CASE_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A JWT: three base64url segments, the first starting with `eyJ` (`{"`). None may reach a log line or the audit trail. */
export const TOKEN_SHAPED = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;
