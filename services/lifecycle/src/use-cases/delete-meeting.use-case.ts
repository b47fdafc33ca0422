import { notFound, type Clock, type Logger } from '@confide/platform';
import { parseErasureRequest } from '../domain/erasure-request';
import type { AuditLog } from '../ports/audit-log.port';
import type { EndedMeetings } from '../ports/ended-meetings.port';
import type { ErasureEventPublisher } from '../ports/erasure-events.port';
import type { ErasureLog } from '../ports/erasure-log.port';
import type { ErasedCounts, MeetingStore } from '../ports/meeting-store.port';

export interface DeleteMeetingResult {
  meetingId: string;
  erased: ErasedCounts;
  erasedAtMs: number;
}

export const DELETE_MEETING_ACTION = 'meeting:delete';

/**
 * Erases a meeting: purge in storage (every row + a tombstone, one transaction), then
 * MeetingErased on confide.lifecycle.v1, the erasure log and the audit log. NOT_FOUND when
 * storage had no meeting row for that tenant (never stored, or already erased).
 */
export class DeleteMeeting {
  constructor(
    private readonly deps: {
      store: MeetingStore;
      events: ErasureEventPublisher;
      erasures: ErasureLog;
      audit: AuditLog;
      ended: EndedMeetings;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async execute(
    req: { tenantId?: string; meetingId?: string; requestedBy?: string; reason?: string },
    opts: { signal?: AbortSignal } = {},
  ): Promise<DeleteMeetingResult> {
    const request = parseErasureRequest(req);
    const { tenantId, meetingId, requestedBy, reason } = request;
    const audit = (outcome: 'success' | 'not-found' | 'failure') =>
      this.deps.audit.append({
        tenantId,
        actor: requestedBy,
        action: DELETE_MEETING_ACTION,
        resource: `meeting/${meetingId}`,
        outcome,
        atMs: this.deps.clock.now(),
        ...(reason ? { reason } : {}),
      });

    let counts: ErasedCounts;
    try {
      counts = await this.deps.store.purgeMeeting({ tenantId, meetingId }, opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      await audit('failure');
      throw err;
    }
    if (counts.meetings === 0) {
      await audit('not-found');
      throw notFound('meeting not found');
    }
    const erasedAtMs = this.deps.clock.now();
    await this.deps.events.meetingErased({ tenantId, meetingId, requestedBy, erasedAtMs });
    await this.deps.erasures.recordErasure({ tenantId, meetingId, requestedBy, erasedAtMs, counts });
    await this.deps.ended.forget({ tenantId, meetingId });
    await audit('success');
    this.deps.logger.info({ tenantId, meetingId, erased: counts }, 'meeting erased');
    return { meetingId, erased: counts, erasedAtMs };
  }
}
