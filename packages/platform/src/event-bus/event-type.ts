import type { MessageFns } from '@confide/contracts';
import {
  AlertRaisedEvent,
  AuditEntryRecordedEvent,
  AudioFrameReceivedEvent,
  MeetingEndedEvent,
  MeetingErasedEvent,
  MeetingStartedEvent,
  UserDataErasedEvent,
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
  /**
   * Which data key protects the payload of an event of a meeting on the bus
   * (docs/adr/0010-key-hierarchy.md): `meeting` (default), `audio` (the meeting's ephemeral
   * audio key), or `none` for control events that carry ids only and must outlive the keys
   * (MeetingErased).
   */
  readonly encryption: PayloadEncryption;
}

/** The data key that protects an event's payload on the bus. */
export type PayloadEncryption = 'meeting' | 'audio' | 'none';

export function defineEvent<T>(typeName: string, fns: MessageFns<T>, opts: { encryption?: PayloadEncryption } = {}): EventType<T> {
  return {
    typeName,
    fns,
    encryption: opts.encryption ?? 'meeting',
    encode: (value: T) => fns.encode(value).finish(),
    decode: (bytes: Uint8Array) => fns.decode(bytes),
  };
}

/** Every event of the real-time path (docs/design/realtime-path.md). */
export const Events = {
  MeetingStarted: defineEvent('confide.ingest.v1.MeetingStartedEvent', MeetingStartedEvent),
  MeetingEnded: defineEvent('confide.ingest.v1.MeetingEndedEvent', MeetingEndedEvent),
  AudioFrameReceived: defineEvent('confide.ingest.v1.AudioFrameReceivedEvent', AudioFrameReceivedEvent, { encryption: 'audio' }),
  SegmentTranscribed: defineEvent('confide.transcription.v1.SegmentTranscribedEvent', SegmentTranscribedEvent),
  TranscriptionCompleted: defineEvent('confide.transcription.v1.TranscriptionCompletedEvent', TranscriptionCompletedEvent),
  AlertRaised: defineEvent('confide.insights.v1.AlertRaisedEvent', AlertRaisedEvent),
  ReportGenerated: defineEvent('confide.insights.v1.ReportGeneratedEvent', ReportGeneratedEvent),
  MeetingErased: defineEvent('confide.lifecycle.v1.MeetingErasedEvent', MeetingErasedEvent, { encryption: 'none' }),
  /** A user's data erased in a tenant (ids only, unencrypted like MeetingErased: a restore re-applies it). */
  UserDataErased: defineEvent('confide.lifecycle.v1.UserDataErasedEvent', UserDataErasedEvent, { encryption: 'none' }),
  /**
   * confide.audit.v1, keyed by tenant: one audit entry (ids, action, decision, obligations; never
   * content) for lifecycle's hash chain. Not sealed under a meeting key: it has no meeting, and an
   * entry about a meeting must stay appendable after that meeting's keys were destroyed
   * (docs/adr/0014-audit-over-the-bus.md).
   */
  AuditEntryRecorded: defineEvent('confide.lifecycle.v1.AuditEntryRecordedEvent', AuditEntryRecordedEvent, { encryption: 'none' }),
} as const;

const encryptionByTypeName = new Map<string, PayloadEncryption>(Object.values(Events).map((t) => [t.typeName, t.encryption]));

/**
 * The encryption an event type's payload must have on the bus: the known events' own, and
 * `meeting` for any other type (fail closed: an unknown type is never taken as plaintext).
 */
export function payloadEncryptionOf(typeName: string): PayloadEncryption {
  return encryptionByTypeName.get(typeName) ?? 'meeting';
}
