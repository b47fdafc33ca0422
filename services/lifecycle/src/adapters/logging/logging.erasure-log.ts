import type { Logger } from '@confide/platform';
import type { ErasureLog, ErasureRecord } from '../../ports/erasure-log.port';

/** Interim ErasureLog: one info line of ids, time and counts. Certificates come later. */
export class LoggingErasureLog implements ErasureLog {
  constructor(private readonly logger: Logger) {}

  async recordErasure(record: ErasureRecord): Promise<void> {
    this.logger.info(
      { tenantId: record.tenantId, meetingId: record.meetingId, requestedBy: record.requestedBy, erasedAtMs: record.erasedAtMs, erased: record.counts },
      'erasure recorded',
    );
  }
}
