import type { AudioFrameReceivedEvent, MeetingEndedEvent, MeetingStartedEvent } from '@confide/contracts';

/**
 * Where ingest announces meetings and audio (topics confide.meeting.v1 and confide.audio.v1,
 * keyed by meeting id). Each call resolves only once the event is durably accepted by the bus.
 */
export interface MeetingEventsPublisher {
  meetingStarted(event: MeetingStartedEvent): Promise<void>;
  audioFrameReceived(event: AudioFrameReceivedEvent): Promise<void>;
  meetingEnded(event: MeetingEndedEvent): Promise<void>;
}
