import {
  auditEntryOfDecision,
  auditEntryOfOperation,
  type AuditedOperation,
  type Clock,
  type Decision,
  type DecisionAuditor,
  type DecisionInputSummary,
  type Logger,
} from '@confide/platform';
import type { AuditEventStore } from '../ports/audit-event-store.port';
import type { AuditCheckpointer } from './audit-checkpointer';

/**
 * The platform `DecisionAuditor` over the tenant's hash-chained audit log (promise 6): every
 * decision with the `audit` obligation — content reads, administrative actions, staff access,
 * every denial — becomes one chained event of ids and rule-free facts (actor, action,
 * resource, allow/deny, obligations; outcome ""), in the chain of the resource's tenant
 * (`auditEntryOfDecision`, the same mapping `BusDecisionAuditor` publishes in microservices
 * mode). A decision without a tenant (a service's `rpc:` decision) has no chain to go to: it is
 * logged (ids only). `recordOperation` appends key operations the same way. Rejects when the
 * append fails, so the caller refuses the access.
 */
export class RecordAccessDecision implements DecisionAuditor {
  constructor(
    private readonly deps: {
      store: AuditEventStore;
      clock: Clock;
      logger: Logger;
      checkpointer?: Pick<AuditCheckpointer, 'noteAppended'>;
    },
  ) {}

  async record(decision: Decision, input: DecisionInputSummary): Promise<void> {
    const entry = auditEntryOfDecision(decision, input, this.deps.clock.now());
    if (!entry) {
      this.deps.logger.info(
        { audit: { allow: decision.allow, subjectId: input.subjectId, subjectKind: input.subjectKind, service: input.service, action: input.action } },
        'access decision without a tenant',
      );
      return;
    }
    const event = await this.deps.store.append(entry);
    this.deps.checkpointer?.noteAppended(event.tenantId);
  }

  async recordOperation(operation: AuditedOperation): Promise<void> {
    const event = await this.deps.store.append(auditEntryOfOperation(operation, this.deps.clock.now()));
    this.deps.checkpointer?.noteAppended(event.tenantId);
  }
}
