import type { Clock, Logger } from '@confide/platform';
import { requireMeetingRef } from '../domain/identifiers';
import type { MeetingRecordStore, PurgeCounts } from '../ports/meeting-records.port';

/**
 * Deletes every stored row of a meeting and records its tombstone (one transaction), so
 * late or redelivered events cannot bring it back. Idempotent: a second purge deletes
 * nothing and keeps the first tombstone.
 */
export class PurgeMeeting {
  constructor(private readonly deps: { store: MeetingRecordStore; clock: Clock; logger: Logger }) {}

  async execute(req: { tenantId: string; meetingId: string }): Promise<PurgeCounts> {
    const ref = requireMeetingRef(req);
    const counts = await this.deps.store.purgeMeeting(ref, this.deps.clock.now());
    this.deps.logger.info({ ...ref, deleted: counts }, 'meeting purged');
    return counts;
  }
}
