import type { Participant } from '@confide/contracts';
import type { Logger } from '@confide/platform';
import { requireId, requireMeetingRef } from '../domain/identifiers';
import type { MeetingRecordStore, WriteOutcome } from '../ports/meeting-records.port';

export interface MeetingStartedInput {
  tenantId: string;
  meetingId: string;
  title: string;
  participants: Participant[];
  /** 0 when the event carries none: the event time is used instead. */
  startedAtMs: number;
  eventTimeMs: number;
}

/** MeetingStarted -> meeting ACTIVE; MeetingEnded -> ENDED; TranscriptionCompleted -> TRANSCRIBED. */
export class RecordMeetingLifecycle {
  constructor(private readonly deps: { store: MeetingRecordStore; logger: Logger }) {}

  async started(input: MeetingStartedInput): Promise<WriteOutcome> {
    const ref = requireMeetingRef(input);
    const outcome = await this.deps.store.recordMeetingStarted({
      ...ref,
      title: input.title,
      participants: input.participants.map((p) => ({ id: requireId('participant id', p.id), speakerLabel: p.speakerLabel })),
      startedAtMs: input.startedAtMs > 0 ? input.startedAtMs : input.eventTimeMs,
    });
    this.deps.logger.debug({ ...ref, outcome }, 'meeting started recorded');
    return outcome;
  }

  async ended(input: { tenantId: string; meetingId: string; endedAtMs: number; eventTimeMs: number }): Promise<WriteOutcome> {
    const ref = requireMeetingRef(input);
    const at = input.endedAtMs > 0 ? input.endedAtMs : input.eventTimeMs;
    const outcome = await this.deps.store.recordMeetingEnded(ref, at, input.eventTimeMs);
    this.deps.logger.debug({ ...ref, outcome }, 'meeting ended recorded');
    return outcome;
  }

  async transcribed(input: { tenantId: string; meetingId: string; completedAtMs: number; eventTimeMs: number }): Promise<WriteOutcome> {
    const ref = requireMeetingRef(input);
    const at = input.completedAtMs > 0 ? input.completedAtMs : input.eventTimeMs;
    const outcome = await this.deps.store.recordTranscriptionCompleted(ref, at, input.eventTimeMs);
    this.deps.logger.debug({ ...ref, outcome }, 'transcription completed recorded');
    return outcome;
  }
}
