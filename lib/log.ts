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

/** One JSON object per line: easy to ship to a log sink, and never a raw token. */
export function log(level: Level, source: string, message: string, fields: LogFields = {}): void {
  if (ORDER[level] < ORDER[getConfig().logLevel]) return;
  const line = redactTokens(JSON.stringify({ time: new Date().toISOString(), level, source, message, ...fields }));
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}

/** An error's message for a log line or an internal record (never shown to people), whatever was thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
