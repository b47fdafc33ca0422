import {
  EventRouter,
  Events,
  PoisonMessageError,
  Topics,
  fromAuditEntryRecordedEvent,
  type EventBus,
  type Logger,
  type Subscription,
} from '@confide/platform';
import type { RecordAuditEntry } from '../../use-cases/record-audit-entry.use-case';

/** Lifecycle's consumer group on confide.audit.v1 (its own offsets, apart from group "lifecycle"). */
export const AUDIT_CONSUMER_GROUP = 'lifecycle-audit';

export interface AuditConsumerOptions {
  /** Default AUDIT_CONSUMER_GROUP (tests on a shared broker use their own). */
  groupId?: string;
  maxAttempts?: number;
  retryBackoffMs?: number;
}

/**
 * Consumes confide.audit.v1 in group "lifecycle-audit": each AuditEntryRecordedEvent is appended
 * to its tenant's chain once (by envelope id). The topic is keyed by tenant, so one tenant's
 * entries arrive in publish order on one partition and are appended in that order; the offset is
 * committed only after the append. An event that cannot be an entry (no tenant, unknown decision,
 * or a tenant that differs from its envelope's) is poison: retried, then dead-lettered.
 */
export function subscribeToAuditEntries(deps: {
  bus: EventBus;
  logger: Logger;
  recordAuditEntry: RecordAuditEntry;
  options?: AuditConsumerOptions;
}): Promise<Subscription> {
  const { bus, logger, recordAuditEntry, options } = deps;
  const router = new EventRouter(logger).on(Events.AuditEntryRecorded, async (event, envelope) => {
    const entry = fromAuditEntryRecordedEvent(event);
    if (!entry || !envelope.id || (envelope.tenantId && envelope.tenantId !== entry.tenantId)) {
      throw new PoisonMessageError('an AuditEntryRecordedEvent that is not a valid audit entry');
    }
    await recordAuditEntry.execute(entry, envelope.id);
  });
  return bus.subscribe({
    groupId: options?.groupId ?? AUDIT_CONSUMER_GROUP,
    topics: [Topics.audit],
    handler: router.handler,
    ...(options?.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options?.retryBackoffMs !== undefined ? { retryBackoffMs: options.retryBackoffMs } : {}),
  });
}
