/**
 * Fault injection per route: added latency (fixed + jitter), an error status (429 with `Retry-After`, 500, 503, …)
 * or a hang. A rule can apply to the next N matching calls (`times`) or to a fraction of them (`rate`, drawn from a
 * seeded generator so runs repeat).
 */
import { z } from "zod";

export const faultRuleSchema = z
  .object({
    /** HTTP method to match; any when absent. */
    method: z.string().trim().toUpperCase().optional(),
    /** Glob over the normalised path: `*` stays within a segment, `**` crosses segments. Case-insensitive. */
    path: z.string().min(1).optional(),
    /** Regular expression over the normalised path (case-insensitive), instead of `path`. */
    pathRegex: z.string().min(1).optional(),
    latencyMs: z.number().int().min(0).max(600_000).default(0),
    jitterMs: z.number().int().min(0).max(600_000).default(0),
    status: z.number().int().min(400).max(599).optional(),
    /** Seconds for `Retry-After`; null sends none (Graph and ARM do not always send one on 429). */
    retryAfterSeconds: z.number().int().min(0).max(86_400).nullable().optional(),
    /**
     * ARM's or Graph's `error.code` and `error.message` for a `status` fault, instead of the generic ones: e.g. a 409
     * `RoleAssignmentExists` worded differently each time, to prove the console matches codes, never messages.
     */
    errorCode: z.string().min(1).max(100).optional(),
    errorMessage: z.string().min(1).max(2000).optional(),
    hang: z.boolean().default(false),
    /** Apply to the next N matching calls, then stop. */
    times: z.number().int().min(1).optional(),
    /** Apply to this fraction of matching calls (seeded, so deterministic for a given seed and call order). */
    rate: z.number().min(0).max(1).optional(),
    label: z.string().max(200).optional(),
    /**
     * Also match requests inside a Graph `$batch` (by their own method and `/v1.0/…` path): Graph throttles batch
     * items one by one, each answered with its own 429 and `Retry-After` inside a 200 batch response.
     */
    batchItems: z.boolean().default(false),
    /**
     * Apply only to calls that carry this value in the `x-sandbox-fault-scope` header (FAULT_SCOPE_HEADER) (requests inside `$batch`: their
     * outer call's). Clients sharing one sandbox (test workers running at once) each send their own, so one's rules
     * never answer the other's calls. Without it, a rule applies to every call, with or without the header.
     */
    scope: z.string().trim().min(1).max(200).optional(),
  })
  .strict()
  .refine((rule) => (rule.path === undefined) !== (rule.pathRegex === undefined), { message: "give exactly one of 'path' (glob) or 'pathRegex'" })
  .refine((rule) => rule.pathRegex === undefined || isValidRegex(rule.pathRegex), { message: "'pathRegex' is not a valid regular expression" })
  .refine((rule) => rule.status !== undefined || rule.hang || rule.latencyMs > 0 || rule.jitterMs > 0, {
    message: "a rule needs an effect: 'status', 'hang', 'latencyMs' or 'jitterMs'",
  });

export type FaultRuleInput = z.input<typeof faultRuleSchema>;

export interface FaultRule extends z.output<typeof faultRuleSchema> {
  readonly id: string;
  /** Calls that matched method and path. */
  matched: number;
  /** Calls the rule was applied to. */
  applied: number;
}

export interface FaultDecision {
  readonly delayMs: number;
  /** The rule that decided an error or hang, if any. */
  readonly rule: FaultRule | undefined;
  readonly outcome:
    | {
        readonly kind: "status";
        readonly status: number;
        readonly retryAfterSeconds: number | undefined;
        readonly errorCode?: string | undefined;
        readonly errorMessage?: string | undefined;
      }
    | { readonly kind: "hang" }
    | undefined;
}

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index] ?? "";
    if (character === "*") {
      if (glob[index + 1] === "*") {
        source += ".*";
        index++;
      } else {
        source += "[^/]*";
      }
    } else if (character === "?") {
      source += "[^/]";
    } else {
      source += character.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "i");
}

/** mulberry32: tiny, fast and good enough for fault rates. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private rules: { rule: FaultRule; pattern: RegExp }[] = [];
  private nextId = 1;
  private random: () => number;

  constructor(private seed: number) {
    this.random = seededRandom(seed);
  }

  add(input: FaultRuleInput): FaultRule {
    const parsed = faultRuleSchema.parse(input);
    const rule: FaultRule = { ...parsed, id: `fault-${this.nextId++}`, matched: 0, applied: 0 };
    const pattern = parsed.pathRegex !== undefined ? new RegExp(parsed.pathRegex, "i") : globToRegExp(parsed.path ?? "**");
    this.rules.push({ rule, pattern });
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((entry) => entry.rule.id !== id);
    return this.rules.length !== before;
  }

  list(): FaultRule[] {
    return this.rules.map((entry) => entry.rule);
  }

  clear(): void {
    this.rules = [];
  }

  /** Clears rules and restarts the generator, so a reset run repeats the same draws. */
  reset(seed: number = this.seed): void {
    this.seed = seed;
    this.clear();
    this.random = seededRandom(seed);
  }

  /**
   * `batchItem`: the call is a request inside `$batch`; only rules with `batchItems` apply to it. `scope`: the call's
   * `x-sandbox-fault-scope` header, if any; a rule with a scope applies only to calls that carry the same one.
   */
  decide(method: string, path: string, batchItem = false, scope?: string): FaultDecision {
    let delayMs = 0;
    let decidingRule: FaultRule | undefined;
    let outcome: FaultDecision["outcome"];
    for (const { rule, pattern } of this.rules) {
      if (batchItem && !rule.batchItems) continue;
      if (rule.scope !== undefined && rule.scope !== scope) continue;
      if (rule.method !== undefined && rule.method !== method.toUpperCase()) continue;
      if (!pattern.test(path)) continue;
      rule.matched++;
      if (rule.times !== undefined && rule.applied >= rule.times) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.applied++;
      delayMs += rule.latencyMs + (rule.jitterMs > 0 ? Math.floor(this.random() * (rule.jitterMs + 1)) : 0);
      if (outcome === undefined && (rule.hang || rule.status !== undefined)) {
        decidingRule = rule;
        outcome = rule.hang
          ? { kind: "hang" }
          : {
              kind: "status",
              status: rule.status ?? 500,
              retryAfterSeconds: rule.retryAfterSeconds === null ? undefined : (rule.retryAfterSeconds ?? (rule.status === 429 ? 1 : undefined)),
              errorCode: rule.errorCode,
              errorMessage: rule.errorMessage,
            };
      }
    }
    return { delayMs, rule: decidingRule, outcome };
  }
}
