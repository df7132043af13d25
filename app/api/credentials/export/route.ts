import { routeHandler } from "@/lib/actions/route-handler";
import { credentialsCsv } from "@/lib/credentials/csv";
import { latestCompleteSnapshot, snapshotRows } from "@/lib/credentials/store";
import { applyView, parseView } from "@/lib/credentials/view";
import { getDatabase } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";

export const dynamic = "force-dynamic";

/** The credentials dashboard's current view (same filters and sort as the page) as CSV, from the latest snapshot. */
export const GET = routeHandler("exportCredentials", async ({ session, requestId }, request) => {
  const parsed = parseView(new URL(request.url).searchParams);
  if (!parsed.ok) throw new AppError({ code: "invalid_input", message: "invalid credentials view", userMessage: parsed.messages.join(" ") });
  const db = await getDatabase();
  const snapshot = await latestCompleteSnapshot(db);
  if (!snapshot) {
    throw new AppError({
      code: "not_found",
      message: "no credential snapshot",
      userMessage: "There is no credential snapshot yet. Refresh the Credentials page first.",
    });
  }
  const rows = applyView(await snapshotRows(db, snapshot.id), parsed.view);
  log("info", "credentials", "credentials export", { requestId, actor: session.principal.objectId, rows: rows.length, snapshotId: snapshot.id });
  const stamp = snapshot.asOf.replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  return new Response(credentialsCsv(rows, snapshot.windows, snapshot.asOf), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="gatehouse-credentials-${stamp}.csv"`,
      "X-Content-Type-Options": "nosniff",
    },
  });
});
