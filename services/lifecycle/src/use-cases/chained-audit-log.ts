import type { AuditEvent } from '../domain/audit-chain';
import type { AuditEntry, AuditLog } from '../ports/audit-log.port';
import type { AuditEventStore } from '../ports/audit-event-store.port';
import type { AuditCheckpointer } from './audit-checkpointer';

/**
 * The `AuditLog` port over the hash-chained store: one event per entry, ids and decision only.
 * The entry's free-text `reason` is deliberately not recorded here (ADR 0011).
 */
export class ChainedAuditLog implements AuditLog {
  constructor(
    private readonly store: AuditEventStore,
    /** Told about every append, so the tenant's head gets a signed checkpoint soon. */
    private readonly checkpointer?: Pick<AuditCheckpointer, 'noteAppended'>,
  ) {}

  async append(entry: AuditEntry): Promise<void> {
    await this.record(entry);
  }

  /** As `append`, returning the chained event (seq, hash). */
  async record(entry: AuditEntry): Promise<AuditEvent> {
    const event = await this.store.append({
      tenantId: entry.tenantId,
      occurredAtMs: entry.atMs,
      actor: entry.actor,
      action: entry.action,
      resource: entry.resource,
      decision: entry.decision ?? 'allow',
      outcome: entry.outcome,
      obligations: entry.obligations ?? [],
    });
    this.checkpointer?.noteAppended(event.tenantId);
    return event;
  }
}
