import { randomUUID } from "node:crypto";

import { authorizeRequest } from "@/lib/auth/authorize";
import { credentialsCsv } from "@/lib/credentials/csv";
import { latestCompleteSnapshot, snapshotRows } from "@/lib/credentials/store";
import { applyView, parseView } from "@/lib/credentials/view";
import { getDatabase } from "@/lib/db";
import { log } from "@/lib/log";

export const dynamic = "force-dynamic";

const NO_STORE = { "Cache-Control": "no-store" };

/** The credentials dashboard's current view (same filters and sort as the page) as CSV, from the latest snapshot. */
export async function GET(request: Request): Promise<Response> {
  const authorization = await authorizeRequest(request, "exportCredentials");
  if (!authorization.ok) return authorization.response;

  const parsed = parseView(new URL(request.url).searchParams);
  if (!parsed.ok) {
    return Response.json({ error: { code: "invalid_input", message: parsed.messages.join(" ") } }, { status: 400, headers: NO_STORE });
  }
  const requestId = randomUUID();
  try {
    const db = await getDatabase();
    const snapshot = await latestCompleteSnapshot(db);
    if (!snapshot) {
      return Response.json(
        { error: { code: "not_found", message: "There is no credential snapshot yet. Refresh the Credentials page first." } },
        { status: 404, headers: NO_STORE },
      );
    }
    const rows = applyView(await snapshotRows(db, snapshot.id), parsed.view);
    log("info", "credentials", "credentials export", { requestId, actor: authorization.session.principal.objectId, rows: rows.length, snapshotId: snapshot.id });
    const stamp = snapshot.asOf.replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    return new Response(credentialsCsv(rows, snapshot.windows, snapshot.asOf), {
      headers: {
        ...NO_STORE,
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="gatehouse-credentials-${stamp}.csv"`,
        "X-Content-Type-Options": "nosniff",
        "X-Request-Id": requestId,
      },
    });
  } catch (error) {
    log("error", "credentials", "credentials export failed", { requestId, error: error instanceof Error ? error.message : String(error) });
    return Response.json(
      { error: { code: "internal", message: "The credentials could not be exported just now. Try again later.", reference: requestId } },
      { status: 500, headers: NO_STORE },
    );
  }
}
