/**
 * The sandbox's chat webhooks, on the tenant's HTTPS origin: a Teams Workflows trigger (`/workflows/…/invoke`) and a
 * Slack incoming webhook (`/services/T…/B…/<token>`). Each answers as the real service does, and records every post it
 * could tie to a channel (accepted or not) in the tenant's `chatPosts`, which the control API lists.
 *
 * Teams Workflows ("Post to a channel when a webhook request is received": the trigger "When a Teams webhook request
 * is received" and the action "Post card in a chat or channel"), per
 * https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 * ("Create incoming webhooks with Workflows for Microsoft Teams") and the Logic Apps Request trigger it runs on
 * (https://learn.microsoft.com/azure/logic-apps/logic-apps-securing-a-logic-app#access-for-inbound-calls-to-request-based-triggers):
 *  - the URL's shared access signature (`sig`) is checked: none → 401 `DirectApiAuthorizationRequired`, a wrong one →
 *    401 `DirectApiInvalidAuthorizationSignature` (the codes the Logic Apps front end answers with; the message is not
 *    echoed with the signature, as Logic Apps does, so the sandbox's logs never hold it);
 *  - an accepted call is answered `202 Accepted` with an empty body before the flow runs; whether the card reaches the
 *    channel is the run's business, so a body the "Post card" action cannot post still gets 202 and is recorded
 *    `rejected` with the reason the run would fail with: not `type: "message"`, no attachment, an attachment that is
 *    not an Adaptive Card (a legacy MessageCard: Office 365 connectors and their cards are retired), or an Adaptive
 *    Card version Teams does not render (above 1.5: https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-reference),
 *    or a message above Teams' 28 KB limit (https://learn.microsoft.com/microsoftteams/limits-specifications-teams).
 *
 * Slack, per https://api.slack.com/messaging/webhooks ("Handling errors"): `200` `ok` (text/plain); `400`
 * `invalid_payload` (not JSON), `no_text` (neither `text` nor `blocks`), `invalid_blocks` (blocks that break Block
 * Kit's limits: sandbox/chat/block-kit.ts); `403` `invalid_token`, `403` `action_prohibited`, `404` `no_service`,
 * `410` `channel_is_archived` for channels the control API marks so.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { WORKFLOWS_TRIGGER_QUERY } from "../contract";
import { type HttpReply, jsonReply } from "../entra/http";
import type { ChatChannelRecord, ChatPostRecord } from "../tenant/model";
import type { Tenant } from "../tenant/index";
import { slackBlocks } from "./block-kit";

/** The Adaptive Card versions Teams renders (1.0 to 1.5). */
const TEAMS_MAX_CARD_VERSION = [1, 5] as const;
/** Teams' limit on a message a webhook posts. */
const TEAMS_MAX_MESSAGE_BYTES = 28 * 1024;
const ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
/** How much of a body that is not JSON the record keeps. */
const RAW_TEXT_MAX = 2_000;

export interface ChatRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly tenant: Tenant;
  readonly now: Date;
}

/** Whether a path is one of the chat webhooks' (`/workflows/…`, `/services/…`). */
export function isChatPath(firstSegment: string): boolean {
  const lower = firstSegment.toLowerCase();
  return lower === "workflows" || lower === "services";
}

/** A webhook's full URL on `origin` (Teams: with the trigger query and signature). */
export function chatChannelUrl(origin: string, channel: Pick<ChatChannelRecord, "kind" | "path" | "sig">): string {
  return channel.kind === "teams" ? `${origin}${channel.path}?${WORKFLOWS_TRIGGER_QUERY}&sig=${channel.sig ?? ""}` : `${origin}${channel.path}`;
}

export function handleChat(request: ChatRequest): HttpReply {
  return request.path.toLowerCase().startsWith("/workflows/") ? handleTeams(request) : handleSlack(request);
}

/** A fault rule's answer on a chat webhook (429 with Retry-After, 5xx), in each service's own shape. */
export function chatFaultReply(path: string, status: number, retryAfterSeconds: number | undefined): HttpReply {
  const retry: Record<string, string> = retryAfterSeconds !== undefined ? { "retry-after": String(retryAfterSeconds) } : {};
  if (path.toLowerCase().startsWith("/workflows/")) {
    const code = status === 429 ? "WorkflowRequestsThrottled" : status >= 500 ? "ServiceUnavailable" : "BadRequest";
    return jsonReply(status, { error: { code, message: status === 429 ? "The request was throttled. Retry later." : "Sandbox fault." } }, retry);
  }
  return textReply(status, status === 429 ? "rate_limited" : status >= 500 ? "internal_error" : "invalid_payload", retry);
}

function textReply(status: number, text: string, headers: Record<string, string> = {}): HttpReply {
  return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body: text };
}

function record(request: ChatRequest, channel: ChatChannelRecord, status: number, reason: string | null, payload: unknown): void {
  const post: ChatPostRecord = {
    id: randomUUID(),
    channel: channel.name,
    kind: channel.kind,
    receivedAt: request.now.toISOString(),
    status,
    outcome: reason === null ? "accepted" : "rejected",
    reason,
    payload,
  };
  request.tenant.chatPosts.push(post);
}

function findChannel(tenant: Tenant, kind: "teams" | "slack", path: string): ChatChannelRecord | undefined {
  const wanted = kind === "teams" ? path.toLowerCase() : path;
  // Workflow ids are matched without regard to case, as ARM resource names are; Slack's token is case-sensitive.
  return [...tenant.chatChannels.values()].find(
    (channel) => channel.kind === kind && (kind === "teams" ? channel.path.toLowerCase() : channel.path) === wanted,
  );
}

function sameSecret(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function parseBody(body: Buffer): { json: true; value: unknown } | { json: false; text: string } {
  const text = body.toString("utf8");
  try {
    return { json: true, value: JSON.parse(text) as unknown };
  } catch {
    return { json: false, text: text.slice(0, RAW_TEXT_MAX) };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------------------------------
// Teams Workflows
// ---------------------------------------------------------------------------------------------------------------------

function logicAppsError(status: number, code: string, message: string): HttpReply {
  return jsonReply(status, { error: { code, message } });
}

function handleTeams(request: ChatRequest): HttpReply {
  const channel = findChannel(request.tenant, "teams", request.path);
  if (!channel || channel.state === "removed") {
    const workflowId = request.path.split("/")[2] ?? "";
    return logicAppsError(404, "WorkflowNotFound", `The workflow '${workflowId.slice(0, 64)}' could not be found.`);
  }
  if (!request.query.get("api-version")) {
    return logicAppsError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  }
  const sig = request.query.get("sig");
  if (sig === null) {
    record(request, channel, 401, "no signature (sig) in the trigger URL", null);
    return logicAppsError(401, "DirectApiAuthorizationRequired", "The request must be authenticated only by Shared Access scheme.");
  }
  if (!sameSecret(sig, channel.sig ?? "")) {
    record(request, channel, 401, "the trigger URL's signature (sig) is not valid", null);
    return logicAppsError(401, "DirectApiInvalidAuthorizationSignature", "The provided authorization signature is not valid.");
  }
  if (request.method !== "POST") {
    return logicAppsError(
      405,
      "TriggerRequestMethodNotValid",
      `The HTTP method for this request is not valid: expected 'Post' and actual '${request.method.slice(0, 10)}'.`,
    );
  }
  const parsed = parseBody(request.body);
  const payload = parsed.json ? parsed.value : parsed.text;
  record(request, channel, 202, teamsRejection(parsed, request.body.length), payload);
  // The trigger answers before the flow runs: a run that fails later is not the caller's answer.
  return { status: 202, headers: { "x-ms-workflow-run-id": randomUUID().replaceAll("-", "").toUpperCase(), "content-length": "0" } };
}

/** Why the flow's "Post card in a chat or channel" would fail on this body; null when the card is posted. */
function teamsRejection(parsed: ReturnType<typeof parseBody>, size: number): string | null {
  if (!parsed.json) return "the body is not JSON, so the flow finds no attachments to post";
  const body = parsed.value;
  if (size > TEAMS_MAX_MESSAGE_BYTES) return `the message is ${size} bytes, above Teams' limit of 28 KB (RequestEntityTooLarge)`;
  if (!isObject(body)) return "the body is not a JSON object";
  if (body["@type"] === "MessageCard" || body["@context"] !== undefined) {
    return "a legacy MessageCard (Office 365 connector card): Workflows post Adaptive Cards only";
  }
  if (body.type !== "message") return `the body's type is ${JSON.stringify(body.type ?? null)}, not "message"`;
  const attachments = body.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) return "the message has no attachments";
  for (const [index, attachment] of attachments.entries()) {
    if (!isObject(attachment)) return `attachments[${index}] is not an object`;
    if (attachment.contentType !== ADAPTIVE_CARD_CONTENT_TYPE) {
      const legacy = attachment.contentType === "application/vnd.microsoft.teams.card.o365connector" ? " (a legacy MessageCard)" : "";
      return `attachments[${index}] has contentType ${JSON.stringify(attachment.contentType ?? null)}${legacy}, not ${ADAPTIVE_CARD_CONTENT_TYPE}`;
    }
    const card = attachment.content;
    if (!isObject(card) || card.type !== "AdaptiveCard") return `attachments[${index}].content is not an AdaptiveCard`;
    const version = typeof card.version === "string" ? /^(\d+)\.(\d+)$/.exec(card.version) : null;
    if (!version) return `attachments[${index}].content has no Adaptive Card version`;
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major > TEAMS_MAX_CARD_VERSION[0] || (major === TEAMS_MAX_CARD_VERSION[0] && minor > TEAMS_MAX_CARD_VERSION[1])) {
      return `attachments[${index}].content is an Adaptive Card ${major}.${minor}; Teams renders versions up to 1.5`;
    }
    if (card.body !== undefined && !Array.isArray(card.body)) return `attachments[${index}].content.body is not an array`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------------
// Slack incoming webhooks
// ---------------------------------------------------------------------------------------------------------------------

function handleSlack(request: ChatRequest): HttpReply {
  const segments = request.path.split("/").filter(Boolean);
  if (segments.length !== 4 || !/^T\w+$/.test(segments[1] ?? "") || !/^B\w+$/.test(segments[2] ?? "")) return textReply(404, "no_service");
  const prefix = `/${segments.slice(0, 3).join("/")}/`;
  const channel = [...request.tenant.chatChannels.values()].find((candidate) => candidate.kind === "slack" && candidate.path.startsWith(prefix));
  if (!channel || channel.state === "removed") return textReply(404, "no_service");
  if (!sameSecret(request.path, channel.path)) {
    record(request, channel, 403, "invalid_token", null);
    return textReply(403, "invalid_token");
  }
  if (request.method !== "POST") return textReply(400, "invalid_payload");
  const parsed = slackBody(request);
  const payload = parsed.json ? parsed.value : parsed.text;
  const refusal = slackRefusal(parsed, channel);
  if (refusal) {
    record(request, channel, refusal.status, refusal.code, payload);
    return textReply(refusal.status, refusal.code);
  }
  record(request, channel, 200, null, payload);
  return textReply(200, "ok");
}

/** A JSON body, or the legacy form encoding with the JSON in `payload` (both documented by Slack). */
function slackBody(request: ChatRequest): ReturnType<typeof parseBody> {
  const contentType = (request.headers["content-type"] ?? "").toLowerCase();
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const payload = new URLSearchParams(request.body.toString("utf8")).get("payload");
    return payload === null ? { json: false, text: request.body.toString("utf8").slice(0, RAW_TEXT_MAX) } : parseBody(Buffer.from(payload, "utf8"));
  }
  return parseBody(request.body);
}

function slackRefusal(parsed: ReturnType<typeof parseBody>, channel: ChatChannelRecord): { status: number; code: string } | null {
  if (channel.state === "archived") return { status: 410, code: "channel_is_archived" };
  if (channel.state === "prohibited") return { status: 403, code: "action_prohibited" };
  if (!parsed.json || !isObject(parsed.value)) return { status: 400, code: "invalid_payload" };
  const message = parsed.value;
  const hasText = typeof message.text === "string" && message.text.trim().length > 0;
  if (!hasText && message.blocks === undefined && message.attachments === undefined) return { status: 400, code: "no_text" };
  if (message.blocks !== undefined && !slackBlocks.safeParse(message.blocks).success) return { status: 400, code: "invalid_blocks" };
  return null;
}
