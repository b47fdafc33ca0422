import type { TranscriptionCompletedEvent, TranscriptSegment } from '@confide/contracts';

/** Where transcription results go (confide.transcript.v1). Resolves once durably accepted. */
export interface TranscriptEvents {
  /** Publishes SegmentTranscribedEvents of one meeting, in order. */
  publishSegments(meeting: { meetingId: string; tenantId: string }, segments: TranscriptSegment[]): Promise<void>;
  publishCompleted(event: TranscriptionCompletedEvent): Promise<void>;
}
