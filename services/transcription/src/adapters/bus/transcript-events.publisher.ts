import type { TranscriptionCompletedEvent, TranscriptSegment } from '@confide/contracts';
import { Events, Topics, eventItem, type EventPublisher } from '@confide/platform';
import type { TranscriptEvents } from '../../ports/transcript-events.port';

/** TranscriptEvents on the event bus: confide.transcript.v1, keyed by meeting id. */
export class BusTranscriptEvents implements TranscriptEvents {
  constructor(private readonly publisher: EventPublisher) {}

  async publishSegments(meeting: { meetingId: string; tenantId: string }, segments: TranscriptSegment[]): Promise<void> {
    const meta = { tenantId: meeting.tenantId, meetingId: meeting.meetingId };
    await this.publisher.publishMany(
      Topics.transcript,
      segments.map((segment) => eventItem(Events.SegmentTranscribed, { segment }, meta)),
    );
  }

  async publishCompleted(event: TranscriptionCompletedEvent): Promise<void> {
    await this.publisher.publish(Topics.transcript, Events.TranscriptionCompleted, event, {
      tenantId: event.tenantId,
      meetingId: event.meetingId,
    });
  }
}
