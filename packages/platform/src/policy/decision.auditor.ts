import type { Logger } from '../logging/logger';
import type { PolicyDecider } from './policy.evaluator';
import { KNOWN_OBLIGATIONS, summarizeInput, type Decision, type DecisionInputSummary, type PolicyInput } from './policy.types';

/**
 * Where decisions with the `audit` obligation go. A later issue makes it lifecycle's
 * tamper-evident per-tenant log; it must reject when it cannot record (callers then refuse).
 */
export interface DecisionAuditor {
  record(decision: Decision, input: DecisionInputSummary): Promise<void>;
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
