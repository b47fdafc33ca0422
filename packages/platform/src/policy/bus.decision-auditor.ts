import { AuditDecision, AuditOutcome, type AuditEntryRecordedEvent } from '@confide/contracts';
import { AppError } from '../errors/app-error';
import type { EventBus } from '../event-bus/event-bus.port';
import { EventPublisher } from '../event-bus/event-publisher';
import { Events } from '../event-bus/event-type';
import { Topics } from '../event-bus/topics';
import type { Logger } from '../logging/logger';
import { systemClock, type Clock } from '../runtime/clock';
import type { IdGenerator } from '../runtime/ids';
import {
  auditEntryOfDecision,
  auditEntryOfOperation,
  type AuditEntryFacts,
  type AuditedOperation,
  type DecisionAuditor,
} from './decision.auditor';
import type { Decision, DecisionInputSummary } from './policy.types';

/** How long one entry may take to be acknowledged before the access it records is refused. */
export const DEFAULT_AUDIT_PUBLISH_TIMEOUT_MS = 5_000;

export interface BusDecisionAuditorOptions {
  /** The process's bus (protected or not: the entry's type is never sealed under a meeting key). */
  bus: EventBus;
  logger: Logger;
  clock?: Clock;
  /** Event ids (lifecycle appends each id once); default random UUIDs. */
  ids?: IdGenerator;
  /** Default DEFAULT_AUDIT_PUBLISH_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * The `DecisionAuditor` of the microservices mode (docs/adr/0014-audit-over-the-bus.md): every
 * audited decision and operation becomes one `AuditEntryRecordedEvent` on confide.audit.v1, keyed
 * by tenant (one ordered stream per tenant chain), which lifecycle appends to the tenant's hash
 * chain exactly once (by event id). The entry holds what the in-process `RecordAccessDecision`
 * records (`auditEntryOfDecision`): ids, action, allow/deny, outcome, obligations.
 *
 * Fail closed: `record` resolves only once the broker acknowledged the entry (acks=all); a
 * publish that fails or is not acknowledged within `timeoutMs` rejects, and `enforceDecision`
 * then refuses the access (`audit-failed`: UNAVAILABLE / 503). A publish that times out may
 * still land later: the chain then holds the attempt of an access that was refused, never an
 * access without its entry. A decision without a tenant (a service's `rpc:` decision) has no
 * chain: it is a log line, as in-process.
 */
export class BusDecisionAuditor implements DecisionAuditor {
  private readonly publisher: EventPublisher;
  private readonly clock: Clock;
  private readonly timeoutMs: number;

  constructor(private readonly opts: BusDecisionAuditorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_AUDIT_PUBLISH_TIMEOUT_MS;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) throw new AppError('invalid-argument', 'timeoutMs must be positive');
    this.publisher = new EventPublisher(opts.bus, { clock: this.clock, ...(opts.ids ? { ids: opts.ids } : {}) });
  }

  async record(decision: Decision, input: DecisionInputSummary): Promise<void> {
    const entry = auditEntryOfDecision(decision, input, this.clock.now());
    if (!entry) {
      this.opts.logger.info(
        { audit: { allow: decision.allow, subjectId: input.subjectId, subjectKind: input.subjectKind, service: input.service, action: input.action } },
        'access decision without a tenant',
      );
      return;
    }
    await this.publish(entry);
  }

  async recordOperation(operation: AuditedOperation): Promise<void> {
    await this.publish(auditEntryOfOperation(operation, this.clock.now()));
  }

  private async publish(entry: AuditEntryFacts): Promise<void> {
    const value: AuditEntryRecordedEvent = toAuditEntryRecordedEvent(entry);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('unavailable', 'the audit entry was not acknowledged in time')), this.timeoutMs);
    });
    try {
      await Promise.race([
        this.publisher.publish(Topics.audit, Events.AuditEntryRecorded, value, { tenantId: entry.tenantId, meetingId: '', key: entry.tenantId }),
        timeout,
      ]);
    } catch (err) {
      this.opts.logger.warn(
        { tenantId: entry.tenantId, action: entry.action, err: err instanceof Error ? err.name : 'error' },
        'audit entry could not be published; the access it records is refused',
      );
      throw err instanceof AppError ? err : new AppError('unavailable', 'the audit entry could not be published');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The proto event of an entry (decision and outcome as the AuditService enums). */
export function toAuditEntryRecordedEvent(entry: AuditEntryFacts): AuditEntryRecordedEvent {
  return {
    tenantId: entry.tenantId,
    occurredAtUnixMs: entry.occurredAtMs,
    actor: entry.actor,
    action: entry.action,
    resource: entry.resource,
    decision: entry.decision === 'allow' ? AuditDecision.AUDIT_DECISION_ALLOW : AuditDecision.AUDIT_DECISION_DENY,
    outcome: OUTCOMES[entry.outcome],
    obligations: [...entry.obligations],
  };
}

/** The entry of a received event; undefined when it cannot be a chain entry (no tenant, action, actor or decision). */
export function fromAuditEntryRecordedEvent(event: AuditEntryRecordedEvent): AuditEntryFacts | undefined {
  const decision =
    event.decision === AuditDecision.AUDIT_DECISION_ALLOW ? 'allow' : event.decision === AuditDecision.AUDIT_DECISION_DENY ? 'deny' : undefined;
  const outcome = (Object.keys(OUTCOMES) as Array<AuditEntryFacts['outcome']>).find((k) => OUTCOMES[k] === event.outcome);
  if (!event.tenantId || !event.action || !event.actor || !decision || outcome === undefined) return undefined;
  return {
    tenantId: event.tenantId,
    occurredAtMs: Number(event.occurredAtUnixMs),
    actor: event.actor,
    action: event.action,
    resource: event.resource,
    decision,
    outcome,
    obligations: [...event.obligations].sort(),
  };
}

const OUTCOMES: Record<AuditEntryFacts['outcome'], AuditOutcome> = {
  '': AuditOutcome.AUDIT_OUTCOME_UNSPECIFIED,
  success: AuditOutcome.AUDIT_OUTCOME_SUCCESS,
  'not-found': AuditOutcome.AUDIT_OUTCOME_NOT_FOUND,
  failure: AuditOutcome.AUDIT_OUTCOME_FAILURE,
};
