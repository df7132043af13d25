import { readCall } from "@/lib/actions/reads";
import { httpStatusOf, NO_STORE } from "@/lib/actions/route-handler";
import { readBodyWithin } from "@/lib/security/body-limit";
import type { ActionResult } from "@/lib/shared/action-result";
import { isRead } from "@/lib/shared/permissions";

export const dynamic = "force-dynamic";

/** A read's input is a handful of ids and a search text; anything near this is not from the console's pages. */
const READ_BODY_LIMIT = 16 * 1024;

function refused(status: number, message: string, code: "not_found" | "invalid_input" = "invalid_input"): Response {
  const result: ActionResult<never> = { status: "error", code, message };
  return Response.json(result, { status, headers: NO_STORE });
}

/**
 * The read-only calls the browser makes while a person works (`kind: "read"` in the permission matrix): the input
 * as JSON in the body, the answer as the same `ActionResult` a server action returns. Every step a server action
 * takes — same-origin check, session, rate limits, permission matrix, zod, the error model — runs inside the read
 * itself (`serverAction()` in lib/actions/reads.ts). Only JSON bodies are taken: a page on another site cannot send
 * one without a CORS preflight, which the console never grants, and the read refuses a foreign `Origin` anyway.
 */
export async function POST(request: Request, { params }: { params: Promise<{ read: string }> }): Promise<Response> {
  const { read } = await params;
  if (!isRead(read)) return refused(404, "There is no such read.", "not_found");
  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") return refused(415, "Send the input as application/json.");
  const text = await readBodyWithin(request, READ_BODY_LIMIT);
  if (text === undefined) return refused(413, `The request body is larger than ${READ_BODY_LIMIT} bytes.`);
  let input: unknown;
  if (text !== "") {
    try {
      input = JSON.parse(text);
    } catch {
      return refused(400, "The input is not valid JSON.");
    }
  }
  // Never throws: every failure, before the read runs or in it, is an ActionResult (serverAction()).
  const result = await readCall(read)(input);
  return Response.json(result, { status: result.status === "success" ? 200 : httpStatusOf(result.code), headers: NO_STORE });
}
