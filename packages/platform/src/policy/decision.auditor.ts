import type { Logger } from '../logging/logger';
import type { PolicyDecider } from './policy.evaluator';
import { KNOWN_OBLIGATIONS, summarizeInput, type Decision, type DecisionInputSummary, type PolicyInput } from './policy.types';

/**
 * Where decisions with the `audit` obligation go: lifecycle's tamper-evident per-tenant log
 * (all-in-one: `RecordAccessDecision` in-process; microservices: `BusDecisionAuditor` over
 * confide.audit.v1). It must reject when it cannot record (callers then refuse).
 */
export interface DecisionAuditor {
  record(decision: Decision, input: DecisionInputSummary): Promise<void>;
  /**
   * An audited operation that is not an access decision (a data key destroyed, a tenant key
   * rotated), into the same log. Rejects when it cannot record. Optional so that a decision-only
   * auditor (a test fake) still fits; every production auditor has it.
   */
  recordOperation?(operation: AuditedOperation): Promise<void>;
}

/**
 * A key operation or other audited act, ids and key references only — never key material,
 * content or free text.
 */
export interface AuditedOperation {
  tenantId: string;
  /** Who acted: `service:<name>` or a user's subject id. */
  actor: string;
  /** e.g. `key:destroy`, `tenant-key:rotate`. */
  action: string;
  /** e.g. `meeting/<id>/key/audio`, `tenant-key/<tenant>`. */
  resource: string;
  outcome: 'success' | 'not-found' | 'failure';
  /** Default: the auditor's clock. */
  occurredAtMs?: number;
}

/** One entry of a tenant's audit chain as every auditor records it (ADR 0011's event fields). */
export interface AuditEntryFacts {
  tenantId: string;
  occurredAtMs: number;
  actor: string;
  action: string;
  resource: string;
  decision: 'allow' | 'deny';
  /** '' when only a decision was recorded. */
  outcome: '' | 'success' | 'not-found' | 'failure';
  /** Sorted. */
  obligations: string[];
}

/**
 * The chain entry of an audited decision: the resource's tenant (else the subject's), the
 * subject id (`service:<name>` for a service), `meeting/<id>` or `<kind>/<tenant>`, allow/deny,
 * outcome '', sorted obligations. Undefined when the decision has no tenant (a service's `rpc:`
 * decision): there is no chain for it. Rule names (`reasons`) and roles are not part of the
 * chain's format (ADR 0011) and stay out of the entry.
 */
export function auditEntryOfDecision(decision: Decision, input: DecisionInputSummary, occurredAtMs: number): AuditEntryFacts | undefined {
  const tenantId = input.resourceTenant || input.subjectTenant;
  if (!tenantId) return undefined;
  return {
    tenantId,
    occurredAtMs,
    actor: input.subjectKind === 'service' && input.service ? `service:${input.service}` : input.subjectId,
    action: input.action,
    resource: input.resourceMeeting ? `meeting/${input.resourceMeeting}` : `${input.resourceKind || 'tenant'}/${tenantId}`,
    decision: decision.allow ? 'allow' : 'deny',
    outcome: '',
    obligations: [...decision.obligations].sort(),
  };
}

/** The chain entry of an audited operation: decision allow (it was carried out), obligation `audit`. */
export function auditEntryOfOperation(operation: AuditedOperation, nowMs: number): AuditEntryFacts {
  return {
    tenantId: operation.tenantId,
    occurredAtMs: operation.occurredAtMs ?? nowMs,
    actor: operation.actor,
    action: operation.action,
    resource: operation.resource,
    decision: 'allow',
    outcome: operation.outcome,
    obligations: ['audit'],
  };
}

/** Interim auditor: one log line per decision, ids and rule names only. */
export class LoggingDecisionAuditor implements DecisionAuditor {
  constructor(private readonly logger: Logger) {}

  async record(decision: Decision, input: DecisionInputSummary): Promise<void> {
    this.logger.info(
      {
        audit: {
          allow: decision.allow,
          reasons: decision.reasons,
          obligations: decision.obligations,
          staffAccess: decision.obligations.includes('staff-access'),
          ...input,
        },
      },
      'access decision',
    );
  }

  async recordOperation(operation: AuditedOperation): Promise<void> {
    this.logger.info({ audit: { ...operation } }, 'audited operation');
  }
}

/** Why an enforced decision refused access although (or because) the policy answered. */
export type Refusal = 'denied' | 'audit-failed' | 'obligation-unsupported';

export interface EnforcedDecision {
  decision: Decision;
  /** True only if the policy allowed and every obligation was honoured. */
  allowed: boolean;
  refusal?: Refusal;
}

/**
 * Evaluates and honours the obligations: `audit` and `staff-access` are recorded through
 * the auditor (denials too). Fails closed: an obligation this code does not know, or an
 * auditor that throws, refuses the access. Never throws.
 */
export async function enforceDecision(
  evaluator: PolicyDecider,
  auditor: DecisionAuditor,
  input: PolicyInput,
): Promise<EnforcedDecision> {
  const decision = evaluator.evaluate(input);
  const unknown = decision.obligations.filter((o) => !KNOWN_OBLIGATIONS.includes(o));
  if (decision.obligations.includes('audit') || decision.obligations.includes('staff-access') || unknown.length > 0) {
    try {
      await auditor.record(decision, summarizeInput(input));
    } catch {
      return { decision, allowed: false, refusal: decision.allow ? 'audit-failed' : 'denied' };
    }
  }
  if (!decision.allow) return { decision, allowed: false, refusal: 'denied' };
  if (unknown.length > 0) return { decision, allowed: false, refusal: 'obligation-unsupported' };
  return { decision, allowed: true };
}
