import "server-only";

import { getConfig } from "@/lib/config";
import { TOKEN_SHAPED } from "@/lib/shared/patterns";

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const TOKENS = new RegExp(TOKEN_SHAPED.source, "g");

/** Replaces anything token-shaped with a marker. Applied to every log line as the last line of defence. */
export function redactTokens(text: string): string {
  return text.replace(TOKENS, "[redacted-token]");
}

export type LogFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

/** The longest text kept in one field: fields can carry what a caller sent (a header, an upstream message). */
export const LOG_FIELD_MAX = 500;
/** The most items kept from a list field. */
export const LOG_LIST_MAX = 50;
/** The most fields kept from one call, so a caller's object cannot make a line unbounded either. */
const LOG_FIELDS_MAX = 40;

/** Tokens are redacted before cutting: a token cut in half no longer looks like one. */
function bounded(value: string): string {
  const text = redactTokens(value);
  return text.length <= LOG_FIELD_MAX ? text : `${text.slice(0, LOG_FIELD_MAX)}…[${text.length - LOG_FIELD_MAX} more]`;
}

function boundedValue(value: LogFields[string]): LogFields[string] {
  if (typeof value === "string") return bounded(value);
  if (Array.isArray(value)) {
    const items = (value as readonly string[]).slice(0, LOG_LIST_MAX).map((item) => bounded(String(item)));
    return value.length > LOG_LIST_MAX ? [...items, `…[${value.length - LOG_LIST_MAX} more]`] : items;
  }
  return value;
}

/**
 * What JSON.stringify leaves raw but breaks or disguises a log line: DEL and C1 controls, U+2028/U+2029 (line breaks
 * to JavaScript and many viewers), zero-width and bidirectional controls, the BOM and interlinear annotations. C0
 * controls are already escaped by JSON.stringify.
 */
const UNPRINTABLE = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** One log line: every field bounded, non-printables escaped (they only ever occur inside JSON strings), tokens redacted. */
export function formatLogLine(time: Date, level: Level, source: string, message: string, fields: LogFields = {}): string {
  const kept = Object.entries(fields).slice(0, LOG_FIELDS_MAX);
  const record: Record<string, LogFields[string]> = { time: time.toISOString(), level, source: bounded(source), message: bounded(message) };
  for (const [key, value] of kept) record[bounded(key)] = boundedValue(value);
  const json = JSON.stringify(record).replace(UNPRINTABLE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return redactTokens(json);
}

/** One JSON object per line: easy to ship to a log sink, bounded, and never a raw token. */
export function log(level: Level, source: string, message: string, fields: LogFields = {}): void {
  if (ORDER[level] < ORDER[getConfig().logLevel]) return;
  const line = formatLogLine(new Date(), level, source, message, fields);
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}

/** An error's message for a log line or an internal record (never shown to people), whatever was thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
