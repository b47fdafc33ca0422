import type { TranscriptSegment } from '@confide/contracts';
import type { AccumulatedTranscript, TranscriptAccumulator } from '../../ports/transcript-accumulator.port';

export interface InMemoryTranscriptAccumulatorOptions {
  /** Final segments held per meeting; later ones are dropped (and counted). Default 10 000. */
  maxSegmentsPerMeeting?: number;
  /** Meetings held at once; the least recently updated is forgotten beyond it. Default 1 000. */
  maxActiveMeetings?: number;
  /** Completed meeting ids remembered (to ignore redeliveries). Default 10 000. */
  maxCompletedMeetings?: number;
}

interface MeetingState {
  tenantId: string;
  segments: Map<string, TranscriptSegment>;
  dropped: number;
}

/**
 * Process memory only. State is rebuilt by the bus redelivering what was not acknowledged;
 * what was acknowledged before a restart (or before a partition moved to another instance)
 * is lost, so a report can then miss the earlier part of a meeting. Known limit until a
 * durable accumulator lands.
 */
export class InMemoryTranscriptAccumulator implements TranscriptAccumulator {
  private readonly meetings = new Map<string, MeetingState>();
  private readonly completed = new Set<string>();
  private readonly maxSegmentsPerMeeting: number;
  private readonly maxActiveMeetings: number;
  private readonly maxCompletedMeetings: number;
  /** Meetings forgotten because maxActiveMeetings was reached. */
  evictedMeetings = 0;

  constructor(opts: InMemoryTranscriptAccumulatorOptions = {}) {
    this.maxSegmentsPerMeeting = opts.maxSegmentsPerMeeting ?? 10_000;
    this.maxActiveMeetings = opts.maxActiveMeetings ?? 1_000;
    this.maxCompletedMeetings = opts.maxCompletedMeetings ?? 10_000;
  }

  add(segment: TranscriptSegment): boolean {
    let state = this.meetings.get(segment.meetingId);
    if (state === undefined) {
      state = { tenantId: segment.tenantId, segments: new Map(), dropped: 0 };
    } else {
      this.meetings.delete(segment.meetingId); // re-inserted below: Map order = recency
    }
    this.meetings.set(segment.meetingId, state);
    this.evictBeyondLimit();
    if (state.segments.has(segment.segmentId)) return false;
    if (state.segments.size >= this.maxSegmentsPerMeeting) {
      state.dropped += 1;
      return false;
    }
    state.segments.set(segment.segmentId, segment);
    return true;
  }

  has(meetingId: string, segmentId: string): boolean {
    return this.meetings.get(meetingId)?.segments.has(segmentId) ?? false;
  }

  get(meetingId: string): AccumulatedTranscript {
    const state = this.meetings.get(meetingId);
    if (state === undefined) return { tenantId: '', segments: [], droppedSegments: 0 };
    const segments = [...state.segments.values()].sort(
      (a, b) => a.startMs - b.startMs || a.endMs - b.endMs || (a.segmentId < b.segmentId ? -1 : a.segmentId > b.segmentId ? 1 : 0),
    );
    return { tenantId: state.tenantId, segments, droppedSegments: state.dropped };
  }

  complete(meetingId: string): void {
    this.meetings.delete(meetingId);
    this.completed.delete(meetingId);
    this.completed.add(meetingId);
    while (this.completed.size > this.maxCompletedMeetings) {
      const oldest = this.completed.values().next().value as string;
      this.completed.delete(oldest);
    }
  }

  isCompleted(meetingId: string): boolean {
    return this.completed.has(meetingId);
  }

  /** Meetings currently accumulating. */
  get activeMeetings(): number {
    return this.meetings.size;
  }

  private evictBeyondLimit(): void {
    while (this.meetings.size > this.maxActiveMeetings) {
      const oldest = this.meetings.keys().next().value as string;
      this.meetings.delete(oldest);
      this.evictedMeetings += 1;
    }
  }
}
