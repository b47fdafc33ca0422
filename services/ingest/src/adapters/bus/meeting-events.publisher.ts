import type { AudioFrameReceivedEvent, MeetingEndedEvent, MeetingStartedEvent } from '@confide/contracts';
import { Events, Topics, type EventPublisher } from '@confide/platform';
import type { MeetingEventsPublisher } from '../../ports/meeting-events.port';

/** Publishes ingest's events as Envelopes on the bus, keyed by meeting id. */
export class BusMeetingEventsPublisher implements MeetingEventsPublisher {
  constructor(private readonly publisher: EventPublisher) {}

  meetingStarted(event: MeetingStartedEvent): Promise<void> {
    return this.publisher.publish(Topics.meeting, Events.MeetingStarted, event, {
      tenantId: event.tenantId,
      meetingId: event.meetingId,
    });
  }

  audioFrameReceived(event: AudioFrameReceivedEvent): Promise<void> {
    return this.publisher.publish(Topics.audio, Events.AudioFrameReceived, event, {
      tenantId: event.tenantId,
      meetingId: event.meetingId,
    });
  }

  meetingEnded(event: MeetingEndedEvent): Promise<void> {
    return this.publisher.publish(Topics.meeting, Events.MeetingEnded, event, {
      tenantId: event.tenantId,
      meetingId: event.meetingId,
    });
  }
}
