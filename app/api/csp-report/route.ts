import { declaresBodyOver, readBodyWithin } from "@/lib/security/body-limit";
import { MAX_REPORT_BYTES, recordCspReport } from "@/lib/security/csp-reports";
import { checkRateLimit, tooManyRequestsResponse } from "@/lib/security/rate-limit";
import { requestSource } from "@/lib/security/client-address";

export const dynamic = "force-dynamic";

/**
 * The CSP's `report-uri`. Anonymous by design (browsers send reports without credentials); it only writes a capped,
 * rate-limited log line and answers 204 whatever it was sent, so it tells a caller nothing — or 429 beyond the
 * anonymous limit per client address.
 */
export async function POST(request: Request): Promise<Response> {
  if (declaresBodyOver(request, MAX_REPORT_BYTES)) return new Response(null, { status: 413 });
  const throttled = await checkRateLimit("anonymous", requestSource(request.headers));
  if (!throttled.allowed) return tooManyRequestsResponse(throttled);
  const type = request.headers.get("content-type") ?? "";
  if (type.startsWith("application/csp-report") || type.startsWith("application/json")) {
    // A body past the cap (a missing or false content-length must not get around it) is logged as nothing.
    recordCspReport((await readBodyWithin(request, MAX_REPORT_BYTES)) ?? "");
  }
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
}
