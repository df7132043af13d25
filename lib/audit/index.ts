import "server-only";

/** The audit trail: typed events, appended in the caller's transaction to a hash chain; search, export, verify. */
export {
  AUDIT_ACTIONS,
  AUDIT_OUTCOMES,
  PRINCIPAL_TYPES,
  InvalidAuditEventError,
  auditActorSchema,
  auditEventInputSchema,
  parseAuditEvent,
  type AuditAction,
  type AuditActor,
  type AuditCorrelation,
  type AuditDetails,
  type AuditEventInput,
  type AuditOutcome,
  type AuditSessionOrigin,
  type AuditTarget,
  type PrincipalType,
} from "./events";
export { recordAuditEvent, recordAuditEventNow, recordAuditEvents, type RecordedAuditEvent } from "./record";
export {
  MAX_AUDIT_PAGE_SIZE,
  auditFilterSchema,
  searchAuditEvents,
  type AuditEventPage,
  type AuditEventRecord,
  type AuditFilter,
  type AuditPage,
} from "./search";
export { exportAuditEvents, type AuditExportFormat, type ExportAuditEventsOptions } from "./export";
export { verifyAuditChain, type AuditChainProblem, type AuditChainVerification } from "./verify";
export {
  NOT_APPLIED_ERROR_CODE,
  UNKNOWN_AFTER_MS,
  findUnknownIntents,
  findUnresolvedIntents,
  markIntentUnknown,
  recordChangeIntent,
  recordChangeIntents,
  findSucceededGrants,
  recordChangeOutcome,
  recordChangeOutcomes,
  resolveIntent,
  type ChangeIntent,
  type ChangeIntentInput,
  type ChangeKind,
  type ChangeOutcome,
  type ChangeOutcomeInput,
  type IntentEffects,
  type OutcomesEffects,
  type RecordedChangeOutcome,
  type ResolveIntentContext,
} from "./intents";
