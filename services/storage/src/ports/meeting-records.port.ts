import type { Alert, Participant, Report, TranscriptSegment } from '@confide/contracts';
import type { MeetingRef } from '../domain/identifiers';

/**
 * What happened to a write: `stored` (new or updated row), `duplicate` (already there:
 * a redelivery), `erased` (the meeting has a tombstone: ignored).
 */
export type WriteOutcome = 'stored' | 'duplicate' | 'erased';

export interface MeetingStartedRecord extends MeetingRef {
  title: string;
  participants: Participant[];
  startedAtMs: number;
}

/** Rows removed by a purge. */
export interface PurgeCounts {
  meetings: number;
  segments: number;
  alerts: number;
  reports: number;
}

/**
 * Durable, idempotent writes of the event stream. Every method is one transaction that
 * first checks the meeting's tombstone; it resolves only after the commit. A content
 * record whose meeting is unknown yet creates a placeholder meeting (no order across
 * topics); `seenAtMs` (the event time) stands in for its start time until MeetingStarted.
 */
export interface MeetingRecordStore {
  recordMeetingStarted(record: MeetingStartedRecord): Promise<WriteOutcome>;
  recordMeetingEnded(ref: MeetingRef, endedAtMs: number, seenAtMs: number): Promise<WriteOutcome>;
  recordTranscriptionCompleted(ref: MeetingRef, completedAtMs: number, seenAtMs: number): Promise<WriteOutcome>;
  /** Final segments only; a second copy of the same segment id is a duplicate. */
  recordFinalSegment(segment: TranscriptSegment, seenAtMs: number): Promise<WriteOutcome>;
  recordAlert(alert: Alert, seenAtMs: number): Promise<WriteOutcome>;
  /** One report per meeting: a newer (or equal) generated_at replaces the stored one. */
  recordReport(report: Report, seenAtMs: number): Promise<WriteOutcome>;
  /** Deletes every row of the meeting and records its tombstone, in one transaction. */
  purgeMeeting(ref: MeetingRef, erasedAtMs: number): Promise<PurgeCounts>;
}
