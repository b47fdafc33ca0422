import type { Logger } from '@confide/platform';
import type { AuditEntry, AuditLog } from '../../ports/audit-log.port';

/** Interim AuditLog: one info line of ids and outcome; the reason (free text) is not logged. */
export class LoggingAuditLog implements AuditLog {
  constructor(private readonly logger: Logger) {}

  async append(entry: AuditEntry): Promise<void> {
    this.logger.info(
      { audit: true, tenantId: entry.tenantId, actor: entry.actor, action: entry.action, resource: entry.resource, outcome: entry.outcome, atMs: entry.atMs },
      'audit',
    );
  }
}
