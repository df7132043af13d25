import { z } from "zod";

import { parseAuditParams } from "@/lib/audit/filter-params";
import { exportAuditEvents } from "@/lib/audit";
import { routeHandler } from "@/lib/actions/route-handler";
import { getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

export const dynamic = "force-dynamic";

const FORMATS = {
  csv: { contentType: "text/csv; charset=utf-8", extension: "csv" },
  jsonl: { contentType: "application/x-ndjson", extension: "jsonl" },
} as const;

const exportSchema = z.object({
  format: z.enum(["csv", "jsonl"], { error: "Choose format=csv or format=jsonl." }),
});

/**
 * The audit events matching the page's filters, newest first, as CSV or JSON Lines. The body is pulled batch by batch
 * from the database as the client reads it, so an export of any size holds one batch in memory.
 */
export const GET = routeHandler("exportAudit", async ({ session, requestId }, request) => {
  const parsed = parseAuditParams(new URL(request.url).searchParams, exportSchema, { single: ["format"] });
  if (!parsed.ok) throw new AppError({ code: "invalid_input", message: "invalid audit export parameters", userMessage: parsed.messages.join(" ") });

  const { format } = parsed.extra;
  const db = await getDatabase();
  const chunks = exportAuditEvents(db, parsed.filter, format);
  const encoder = new TextEncoder();
  let events = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) {
            log("info", "audit", "audit export finished", { requestId, format, actor: session.principal.objectId, lines: events });
            controller.close();
            return;
          }
          events += countLines(next.value);
          controller.enqueue(encoder.encode(next.value));
        } catch (error) {
          // Headers are already sent; the client sees a cut-off download, the log has why.
          log("error", "audit", "audit export failed", {
            requestId,
            format,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          controller.error(new Error(`audit export failed (reference ${requestId})`));
        }
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    // One chunk (a slice of a database batch) at a time: the next one is made only when the client has taken this one.
    { highWaterMark: 1 },
  );

  const { contentType, extension } = FORMATS[format];
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return new Response(body, {
    headers: {
      "Content-Type": contentType,
      "Content-Disposition": `attachment; filename="gatehouse-audit-${stamp}.${extension}"`,
      "X-Content-Type-Options": "nosniff",
    },
  });
});

function countLines(chunk: string): number {
  let count = 0;
  for (let index = chunk.indexOf("\n"); index !== -1; index = chunk.indexOf("\n", index + 1)) count += 1;
  return count;
}
