import "server-only";

import { AppError } from "@/lib/errors";

/**
 * PostgreSQL's SQLSTATEs for "the database could not do it now" (www.postgresql.org/docs/current/errcodes-appendix.html):
 * class 08 (the connection failed), 57P01–57P03 (the server, or an administrator with `pg_terminate_backend`, ended the
 * session; it cannot take connections), 57014 (the statement was cancelled, `statement_timeout` included), 55P03 (a lock
 * could not be had) and 53300 (too many connections), plus the socket errors Node reports when the server is gone.
 */
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "57014", "55P03", "53300", "ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"]);

// node-postgres reports a connection lost mid-query, or a pooled client used after that, without a code.
const UNAVAILABLE_MESSAGES = /^(Connection terminated|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect)/;

/** Whether `error` (or one of its causes: drizzle wraps the driver's error) says the database was unavailable or too slow. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("08") || UNAVAILABLE_CODES.has(code))) return true;
    if (UNAVAILABLE_MESSAGES.test(current.message)) return true;
  }
  return false;
}

/**
 * What a person is told when the database failed them: no driver text (that stays in `message`, for logs), and nothing
 * promised about what happened, since the operation's own result says that where it can.
 */
export function databaseUnavailable(error: unknown, userMessage = "Gatehouse's database did not answer in time. Try again in a minute."): AppError {
  return new AppError({ code: "upstream_unavailable", message: `database unavailable: ${describeCause(error)}`, userMessage, cause: error });
}

function describeCause(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error; current instanceof Error && messages.length < 3; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    messages.push(`${typeof code === "string" ? `${code} ` : ""}${current.message.slice(0, 300)}`);
  }
  return messages.join(" ← ");
}
