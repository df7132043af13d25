/**
 * A typed client for the control API (`/_sandbox/…`, see `index.ts` and the README's table), given the sandbox's
 * origin. Vitest, Playwright and the benchmarks drive the sandbox through it: faults, clock, journal, outbox,
 * settings, signing keys, step-up demands, reset and persistence.
 *
 * It runs in a Node process of its own (a test worker, Playwright's runner) and imports nothing at run time, so it
 * pulls in neither the sandbox's server nor the console.
 */
import type { SandboxSettings } from "../contract";
import type { ChatChannelState, ChatPostRecord, IngestedLogRecord, OAuth2PermissionGrantRecord, SentMailRecord } from "../tenant/model";
import type { FaultRule, FaultRuleInput } from "./faults";
import type { SandboxStateSummary } from "./index";
import type { JournalEntry, JournalFilter } from "./journal";

export type {
  ChatChannelState,
  ChatPostRecord,
  FaultRule,
  FaultRuleInput,
  IngestedLogRecord,
  JournalEntry,
  JournalFilter,
  SandboxStateSummary,
  SentMailRecord,
};

/** One HTTP exchange with the control API. */
export interface ControlHttpRequest {
  readonly method: string;
  readonly url: string;
  /** JSON text, sent with `content-type: application/json`. */
  readonly body?: string;
  /** Headers the transport must send as they are (the control token). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface ControlHttpResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * How the client reaches the sandbox. The default is Node's `fetch`, which must trust the sandbox's CA
 * (NODE_EXTRA_CA_CERTS, as in Vitest's workers); Playwright's runner passes its own request context instead.
 */
export type ControlTransport = (request: ControlHttpRequest) => Promise<ControlHttpResponse>;

export const fetchTransport: ControlTransport = async ({ method, url, body, headers }) => {
  const send = () => fetch(url, { method, headers: body === undefined ? headers : { ...headers, "content-type": "application/json" }, body });
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    // A kept-alive socket the sandbox closed while it sat idle (a long test step between two calls, a loaded machine
    // whose timers run late) fails the next request with ECONNRESET: the server had closed it, so it read nothing of
    // the request, and the call is sent again once, on a new socket.
    if ((error as { cause?: { code?: unknown } }).cause?.code !== "ECONNRESET") throw error;
    response = await send();
  }
  return { status: response.status, body: await response.text() };
};

/** The control API answered with a status other than 2xx. */
export class SandboxControlError extends Error {
  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`sandbox control ${method} ${route}: ${status} ${body}`);
    this.name = "SandboxControlError";
  }
}

export interface ClockReading {
  /** The sandbox clock, ISO 8601. */
  readonly now: string;
  readonly clockOffsetMs: number;
}

export interface SigningKeyIds {
  readonly activeKid: string;
  readonly kids: readonly string[];
}

export interface InteractionDemandInput {
  /** UPN or object id. */
  readonly user: string;
  /** AADSTS code; 50076 (MFA required) when absent. */
  readonly errorCode?: number;
  readonly suberror?: string;
  readonly claims?: string;
}

export interface InteractionDemandRecord {
  readonly userObjectId: string;
  readonly errorCode: number;
  readonly suberror?: string;
  readonly claims: string;
}

export interface JournalPage {
  /** The journal's newest sequence number, whatever the filter: pass it as `since` to see only later calls. */
  readonly lastSeq: number;
  readonly entries: JournalEntry[];
}

/** A PIM eligibility or activation to add (`POST /_sandbox/pim/eligibilities|activations`). */
export interface PimInput {
  /** Subscription, resource-group or workspace ARM id. */
  readonly scope: string;
  readonly principalId: string;
  readonly principalType?: "User" | "Group" | "ServicePrincipal";
  /** The role definition's GUID. */
  readonly roleDefinitionId: string;
  readonly startDateTime?: string;
  /** Required for an activation; absent or null makes an eligibility permanent. */
  readonly endDateTime?: string | null;
  readonly condition?: string | null;
}

export interface DenyAssignmentInput {
  readonly scope: string;
  readonly denyAssignmentName: string;
  readonly description?: string;
  readonly actions: readonly string[];
  readonly notActions?: readonly string[];
  /** `{ id: "00000000-0000-0000-0000-000000000000", type: "SystemDefined" }` is everyone. */
  readonly principals: readonly { readonly id: string; readonly type: "User" | "Group" | "ServicePrincipal" | "SystemDefined" }[];
  readonly excludePrincipals?: readonly { readonly id: string; readonly type: "User" | "Group" | "ServicePrincipal" | "SystemDefined" }[];
  readonly doNotApplyToChildScopes?: boolean;
}

/** A chat channel the sandbox serves a webhook for, with the webhook's URL. */
export interface SandboxChatChannel {
  readonly name: string;
  readonly kind: "teams" | "slack";
  readonly state: ChatChannelState;
  readonly url: string;
}

export interface SandboxControl {
  readonly origin: string;
  /** Tenant, seed, scale, clock, settings, counts, keys, faults, demands and journal size. */
  state(): Promise<SandboxStateSummary>;
  /** Re-seeds the tenant and clears faults, journal, sessions, demands and settings (signing keys stay). */
  reset(options?: { readonly seed?: number; readonly scale?: "default" | "large" }): Promise<SandboxStateSummary>;
  settings(): Promise<SandboxSettings>;
  updateSettings(patch: Partial<SandboxSettings>): Promise<SandboxSettings>;
  readonly clock: {
    now(): Promise<ClockReading>;
    advance(seconds: number): Promise<ClockReading>;
    /** Back to wall-clock time. */
    reset(): Promise<ClockReading>;
  };
  readonly faults: {
    list(): Promise<FaultRule[]>;
    /** Adds a rule (see the README's "Fault rules"); the answer carries its `id`. */
    add(rule: FaultRuleInput): Promise<FaultRule>;
    remove(id: string): Promise<void>;
    clear(): Promise<void>;
  };
  readonly keys: {
    get(): Promise<SigningKeyIds>;
    /** A new signing key; the previous one stays published, the one before is dropped. */
    rotate(): Promise<SigningKeyIds & { readonly retiredKid?: string }>;
  };
  /** Forced `interaction_required` (step-up) for silent grants of one user. */
  readonly interactionRequired: {
    list(): Promise<InteractionDemandRecord[]>;
    demand(input: InteractionDemandInput): Promise<InteractionDemandRecord>;
    /** One user's demand (UPN or object id), or all of them. */
    clear(user?: string): Promise<void>;
  };
  /** Users whose ARM writes get an MFA claims challenge unless their token shows MFA. */
  /** "Assignment required" on the console API's enterprise app (on in the seed). */
  readonly consoleApiAssignmentRequired: {
    get(): Promise<boolean>;
    set(required: boolean): Promise<void>;
  };
  readonly armWriteMfa: {
    /** Lower-cased object ids. */
    list(): Promise<string[]>;
    /** Marks a user (UPN or object id). */
    require(user: string): Promise<{ readonly userObjectId: string }>;
    /** One user's mark, or every user's (the seeded persona's too). */
    clear(user?: string): Promise<void>;
  };
  /** Disables or enables a user's account (UPN or object id): it stays in the directory. */
  readonly accountEnabled: {
    set(user: string, enabled: boolean): Promise<{ readonly userObjectId: string; readonly accountEnabled: boolean }>;
  };
  /** Tenant-wide delegated consents (oauth2PermissionGrants). */
  readonly delegatedConsent: {
    /** Revokes a client's consent for a resource (both by app id); returns the grants removed, for `restore`. */
    withdraw(input: { readonly clientAppId: string; readonly resourceAppId: string }): Promise<OAuth2PermissionGrantRecord[]>;
    restore(grants: readonly OAuth2PermissionGrantRecord[]): Promise<void>;
  };
  /** Calls the sandbox answered (control calls excluded). */
  readonly journal: {
    list(filter?: JournalFilter): Promise<JournalPage>;
    /** Entries after `seq`. */
    since(seq: number): Promise<JournalPage>;
    /** The newest sequence number: a starting point for "calls since". */
    lastSeq(): Promise<number>;
    clear(): Promise<void>;
  };
  /** Role assignments for end-to-end tests (effective at once); undo them with `remove`. */
  readonly roleAssignments: {
    add(input: {
      readonly scope: string;
      readonly principalId: string;
      readonly principalType: "User" | "Group" | "ServicePrincipal";
      readonly roleDefinitionId: string;
    }): Promise<{ name: string; scope: string }>;
    remove(name: string): Promise<void>;
  };
  /** Mail sent through Graph `sendMail`. */
  readonly outbox: {
    list(): Promise<SentMailRecord[]>;
    clear(): Promise<void>;
  };
  /** Posts the chat webhooks received (Teams Workflows, Slack), accepted or rejected, in arrival order. */
  readonly chat: {
    list(filter?: { readonly channel?: string }): Promise<ChatPostRecord[]>;
    clear(): Promise<void>;
    channels(): Promise<SandboxChatChannel[]>;
    /** Marks a channel: Slack `archived` (410), `prohibited` (403), `removed` (404); Teams `removed` (404); `active`. */
    setChannelState(name: string, state: ChatChannelState): Promise<SandboxChatChannel>;
  };
  /** Records the Logs Ingestion endpoint accepted (optionally of one rule and stream), in arrival order. */
  readonly ingestedLogs: {
    list(filter?: { readonly dcr?: string; readonly stream?: string }): Promise<IngestedLogRecord[]>;
    clear(): Promise<void>;
  };
  /** PIM: an eligibility, or an activation (eligibility + the role assignment PIM makes + the active instance). */
  readonly pim: {
    addEligibility(input: PimInput): Promise<{ readonly name: string }>;
    addActivation(input: PimInput): Promise<{ readonly name: string; readonly roleAssignmentName: string; readonly eligibilityName: string }>;
  };
  /** A deny assignment, as Azure makes for managed applications and deployment stacks. */
  addDenyAssignment(input: DenyAssignmentInput): Promise<{ readonly name: string }>;
  /** Writes `state.json` now; returns its path. */
  persist(): Promise<string>;
}

function journalQuery(filter: JournalFilter): string {
  const query = new URLSearchParams();
  if (filter.system !== undefined) query.set("system", filter.system);
  if (filter.method !== undefined) query.set("method", filter.method);
  if (filter.pathContains !== undefined) query.set("path", filter.pathContains);
  if (filter.since !== undefined) query.set("since", String(filter.since));
  if (filter.status !== undefined) query.set("status", String(filter.status));
  const text = query.toString();
  return text ? `?${text}` : "";
}

/**
 * The control API of the sandbox at `origin` (`https://localhost:<port>`). `token`: the sandbox's control token
 * (`RunningSandbox.controlToken`, tenant.json's `controlToken`), which every write needs; a function is asked at each
 * call, so a client can be made before the sandbox has started.
 */
export function sandboxControl(origin: string, options: { readonly token: string | (() => string); readonly transport?: ControlTransport }): SandboxControl {
  const transport = options.transport ?? fetchTransport;
  const token = typeof options.token === "function" ? options.token : () => options.token as string;

  async function call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await transport({
      method,
      url: `${origin}/_sandbox/${route}`,
      headers: { "x-sandbox-control-token": token() },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status < 200 || response.status > 299) throw new SandboxControlError(method, route, response.status, response.body);
    return (response.body ? JSON.parse(response.body) : undefined) as T;
  }

  const journalPage = async (filter: JournalFilter): Promise<JournalPage> => {
    const page = await call<{ lastSeq: number; value: JournalEntry[] }>("GET", `journal${journalQuery(filter)}`);
    return { lastSeq: page.lastSeq, entries: page.value };
  };

  return {
    origin,
    state: () => call("GET", "state"),
    reset: (resetOptions = {}) => call("POST", "reset", resetOptions),
    settings: () => call("GET", "settings"),
    updateSettings: (patch) => call("PATCH", "settings", patch),
    clock: {
      now: () => call("GET", "clock"),
      advance: (seconds) => call("POST", "clock/advance", { seconds }),
      reset: () => call("POST", "clock/reset"),
    },
    roleAssignments: {
      add: (input) => call("POST", "role-assignments", input),
      remove: (name) => call("DELETE", `role-assignments/${encodeURIComponent(name)}`),
    },
    faults: {
      list: async () => (await call<{ value: FaultRule[] }>("GET", "faults")).value,
      add: (rule) => call("POST", "faults", rule),
      remove: (id) => call("DELETE", `faults/${encodeURIComponent(id)}`),
      clear: () => call("DELETE", "faults"),
    },
    keys: {
      get: () => call("GET", "keys"),
      rotate: () => call("POST", "keys/rotate"),
    },
    interactionRequired: {
      list: async () => (await call<{ value: InteractionDemandRecord[] }>("GET", "interaction-required")).value,
      demand: (input) => call("POST", "interaction-required", input),
      clear: (user) => call("DELETE", user === undefined ? "interaction-required" : `interaction-required/${encodeURIComponent(user)}`),
    },
    consoleApiAssignmentRequired: {
      get: async () => (await call<{ required: boolean }>("GET", "console-api-assignment-required")).required,
      set: async (required) => void (await call("PUT", "console-api-assignment-required", { required })),
    },
    armWriteMfa: {
      list: async () => (await call<{ value: string[] }>("GET", "arm-write-mfa")).value,
      require: (user) => call("POST", "arm-write-mfa", { user }),
      clear: (user) => call("DELETE", user === undefined ? "arm-write-mfa" : `arm-write-mfa/${encodeURIComponent(user)}`),
    },
    accountEnabled: {
      set: (user, enabled) => call("PUT", `account-enabled/${encodeURIComponent(user)}`, { enabled }),
    },
    delegatedConsent: {
      withdraw: async (input) => (await call<{ value: OAuth2PermissionGrantRecord[] }>("POST", "consent-withdrawals", input)).value,
      restore: async (grants) => {
        for (const grant of grants) {
          await call("POST", "oauth2-permission-grants", { id: grant.id, clientId: grant.clientId, resourceId: grant.resourceId, scopes: grant.scopes });
        }
      },
    },
    journal: {
      list: (filter = {}) => journalPage(filter),
      since: (seq) => journalPage({ since: seq }),
      lastSeq: async () => (await journalPage({ since: Number.MAX_SAFE_INTEGER })).lastSeq,
      clear: () => call("DELETE", "journal"),
    },
    outbox: {
      list: async () => (await call<{ value: SentMailRecord[] }>("GET", "outbox")).value,
      clear: () => call("DELETE", "outbox"),
    },
    chat: {
      list: async (filter = {}) =>
        (await call<{ value: ChatPostRecord[] }>("GET", `chat${filter.channel === undefined ? "" : `?channel=${encodeURIComponent(filter.channel)}`}`)).value,
      clear: () => call("DELETE", "chat"),
      channels: async () => (await call<{ value: SandboxChatChannel[] }>("GET", "chat-channels")).value,
      setChannelState: (name, state) => call("PUT", `chat-channels/${encodeURIComponent(name)}`, { state }),
    },
    ingestedLogs: {
      list: async (filter = {}) => {
        const query = new URLSearchParams();
        if (filter.dcr !== undefined) query.set("dcr", filter.dcr);
        if (filter.stream !== undefined) query.set("stream", filter.stream);
        return (await call<{ value: IngestedLogRecord[] }>("GET", `ingested-logs${query.size > 0 ? `?${query.toString()}` : ""}`)).value;
      },
      clear: () => call("DELETE", "ingested-logs"),
    },
    pim: {
      addEligibility: (input) => call("POST", "pim/eligibilities", input),
      addActivation: (input) => call("POST", "pim/activations", input),
    },
    addDenyAssignment: (input) => call("POST", "deny-assignments", input),
    persist: async () => (await call<{ path: string }>("POST", "persist")).path,
  };
}
