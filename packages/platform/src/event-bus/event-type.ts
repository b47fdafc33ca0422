import type { MessageFns } from '@confide/contracts';
import {
  AlertRaisedEvent,
  AudioFrameReceivedEvent,
  MeetingEndedEvent,
  MeetingErasedEvent,
  MeetingStartedEvent,
  ReportGeneratedEvent,
  SegmentTranscribedEvent,
  TranscriptionCompletedEvent,
} from '@confide/contracts';

/** A protobuf event message that can travel in an Envelope. */
export interface EventType<T> {
  /** Fully qualified protobuf message name, e.g. "confide.ingest.v1.MeetingStartedEvent". */
  readonly typeName: string;
  readonly fns: MessageFns<T>;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export function defineEvent<T>(typeName: string, fns: MessageFns<T>): EventType<T> {
  return {
    typeName,
    fns,
    encode: (value: T) => fns.encode(value).finish(),
    decode: (bytes: Uint8Array) => fns.decode(bytes),
  };
}

/** Every event of the real-time path (docs/design/realtime-path.md). */
export const Events = {
  MeetingStarted: defineEvent('confide.ingest.v1.MeetingStartedEvent', MeetingStartedEvent),
  MeetingEnded: defineEvent('confide.ingest.v1.MeetingEndedEvent', MeetingEndedEvent),
  AudioFrameReceived: defineEvent('confide.ingest.v1.AudioFrameReceivedEvent', AudioFrameReceivedEvent),
  SegmentTranscribed: defineEvent('confide.transcription.v1.SegmentTranscribedEvent', SegmentTranscribedEvent),
  TranscriptionCompleted: defineEvent('confide.transcription.v1.TranscriptionCompletedEvent', TranscriptionCompletedEvent),
  AlertRaised: defineEvent('confide.insights.v1.AlertRaisedEvent', AlertRaisedEvent),
  ReportGenerated: defineEvent('confide.insights.v1.ReportGeneratedEvent', ReportGeneratedEvent),
  MeetingErased: defineEvent('confide.lifecycle.v1.MeetingErasedEvent', MeetingErasedEvent),
} as const;
