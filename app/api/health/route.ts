import { getSession } from "@/lib/auth/session";
import { getHealth } from "@/lib/health/get-health";

export const dynamic = "force-dynamic";

/** Anonymous by design (probes call it): the details need a console role, checked in getHealth. */
export async function GET(): Promise<Response> {
  const health = await getHealth(await getSession());
  return Response.json(health, {
    status: health.status === "ok" ? 200 : 503,
    headers: { "Cache-Control": "no-store" },
  });
}
