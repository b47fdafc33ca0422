import type { AuditEntryFacts, Logger } from '@confide/platform';
import type { AuditEventStore } from '../ports/audit-event-store.port';
import type { AuditCheckpointer } from './audit-checkpointer';

/**
 * Appends an audit entry another service published on confide.audit.v1 to the tenant's hash chain,
 * exactly once per event id (`AuditEventStore.appendOnce`): a redelivered event (a consumer that
 * stopped before committing, a producer retry) finds its entry and appends nothing. Rejects when
 * the append fails, so the event is not committed and is delivered again.
 */
export class RecordAuditEntry {
  constructor(
    private readonly deps: {
      store: Pick<AuditEventStore, 'appendOnce'>;
      logger: Logger;
      checkpointer?: Pick<AuditCheckpointer, 'noteAppended'>;
    },
  ) {}

  async execute(entry: AuditEntryFacts, eventId: string): Promise<{ appended: boolean; seq: number }> {
    const { event, appended } = await this.deps.store.appendOnce(entry, eventId);
    if (appended) this.deps.checkpointer?.noteAppended(event.tenantId);
    else this.deps.logger.debug({ tenantId: entry.tenantId, seq: event.seq }, 'audit entry already in the chain (redelivery)');
    return { appended, seq: event.seq };
  }
}
