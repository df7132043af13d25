/** Entra's error shape: `{error, error_description: "AADSTSnnnn: …", error_codes, timestamp, trace_id, correlation_id}`. */
import { randomUUID } from "node:crypto";
import { type HttpReply, jsonReply } from "./http";

export interface EntraErrorDetails {
  /** OAuth error, e.g. `invalid_grant`. */
  readonly error: string;
  /** AADSTS number, e.g. 54005. */
  readonly code: number;
  /** The message after `AADSTSnnnn: `. */
  readonly message: string;
  readonly status?: number;
  readonly suberror?: string;
  readonly claims?: string;
}

/** Entra's timestamp format in error bodies: `2026-11-24 11:44:23Z`. */
export function entraTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

export function entraErrorBody(details: EntraErrorDetails, now: Date, correlationId: string = randomUUID()): Record<string, unknown> {
  const traceId = randomUUID();
  const timestamp = entraTimestamp(now);
  return {
    error: details.error,
    error_description: `AADSTS${details.code}: ${details.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [details.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${details.code}`,
    ...(details.suberror ? { suberror: details.suberror } : {}),
    ...(details.claims ? { claims: details.claims } : {}),
  };
}

export function entraErrorReply(details: EntraErrorDetails, now: Date, headers: Record<string, string> = {}, correlationId?: string): HttpReply {
  return jsonReply(details.status ?? 400, entraErrorBody(details, now, correlationId), {
    "cache-control": "no-store, no-cache",
    pragma: "no-cache",
    ...headers,
  });
}

/** An Entra error raised inside a flow and turned into a reply at the endpoint. */
export class EntraError extends Error {
  constructor(readonly details: EntraErrorDetails) {
    super(`AADSTS${details.code}: ${details.message}`);
    this.name = "EntraError";
  }
}

export const invalidClient = (clientId: string, tenantId: string) =>
  new EntraError({
    error: "unauthorized_client",
    code: 700016,
    message: `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  });

export const invalidScope = (message: string) =>
  new EntraError({ error: "invalid_scope", code: 70011, message: `The provided value for the input parameter 'scope' is not valid. ${message}` });

export const missingParameter = (name: string) =>
  new EntraError({ error: "invalid_request", code: 900144, message: `The request body must contain the following parameter: '${name}'.` });
