import type { Alert, Report, TranscriptSegment } from '@confide/contracts';
import type { Logger } from '@confide/platform';
import type { ActiveMeetings } from './active-meetings.registry';

/** Routing ids of a bus event (from its envelope). */
export interface EventRouting {
  tenantId: string;
  meetingId: string;
}

/**
 * Relays transcript and insight events to the live stream of their meeting, if it streams
 * into this instance; other meetings' events are ignored. Never blocks on a client: the
 * session queues the response. An event whose payload names another tenant or meeting
 * than its envelope is dropped (it must never reach another tenant's stream).
 */
export class RelayMeetingEvents {
  constructor(
    private readonly meetings: ActiveMeetings,
    private readonly logger: Logger,
  ) {}

  segment(routing: EventRouting, segment: TranscriptSegment): void {
    if (!this.consistent(routing, segment, 'segment')) return;
    this.meetings.find(routing.tenantId, routing.meetingId)?.relaySegment(segment);
  }

  alert(routing: EventRouting, alert: Alert): void {
    if (!this.consistent(routing, alert, 'alert')) return;
    this.meetings.find(routing.tenantId, routing.meetingId)?.relayAlert(alert);
  }

  report(routing: EventRouting, report: Report): void {
    if (!this.consistent(routing, report, 'report')) return;
    this.meetings.find(routing.tenantId, routing.meetingId)?.relayReport(report);
  }

  private consistent(routing: EventRouting, payload: { tenantId: string; meetingId: string }, kind: string): boolean {
    if (payload.tenantId === routing.tenantId && payload.meetingId === routing.meetingId) return true;
    this.logger.warn({ kind, tenantId: routing.tenantId, meetingId: routing.meetingId }, 'event payload does not match its envelope; not relayed');
    return false;
  }
}
