import type { Clock, Decision, DecisionAuditor, DecisionInputSummary, Logger } from '@confide/platform';
import type { AuditEventStore } from '../ports/audit-event-store.port';
import type { AuditCheckpointer } from './audit-checkpointer';

/**
 * The platform `DecisionAuditor` over the tenant's hash-chained audit log (promise 6): every
 * decision with the `audit` obligation — content reads, administrative actions, staff access,
 * every denial — becomes one chained event of ids and rule-free facts (actor, action,
 * resource, allow/deny, obligations; outcome ""), in the chain of the resource's tenant.
 * A decision without a tenant (a service's `rpc:` decision) has no chain to go to: it is
 * logged (ids only). Rejects when the append fails, so the caller refuses the access.
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
    const tenantId = input.resourceTenant || input.subjectTenant;
    if (!tenantId) {
      this.deps.logger.info(
        { audit: { allow: decision.allow, subjectId: input.subjectId, subjectKind: input.subjectKind, service: input.service, action: input.action } },
        'access decision without a tenant',
      );
      return;
    }
    const resource = input.resourceMeeting ? `meeting/${input.resourceMeeting}` : `${input.resourceKind || 'tenant'}/${tenantId}`;
    const event = await this.deps.store.append({
      tenantId,
      occurredAtMs: this.deps.clock.now(),
      actor: input.subjectKind === 'service' && input.service ? `service:${input.service}` : input.subjectId,
      action: input.action,
      resource,
      decision: decision.allow ? 'allow' : 'deny',
      outcome: '',
      obligations: [...decision.obligations].sort(),
    });
    this.deps.checkpointer?.noteAppended(event.tenantId);
  }
}
