import type { TranscriptSegment } from '@confide/contracts';
import type { Logger } from '@confide/platform';
import { requireId, requireMeetingRef } from '../domain/identifiers';
import type { MeetingRecordStore, WriteOutcome } from '../ports/meeting-records.port';

export type SegmentOutcome = WriteOutcome | 'partial-ignored';

/** Final SegmentTranscribed -> one segment row (idempotent by segment id); partials are ignored. */
export class RecordTranscriptSegment {
  constructor(private readonly deps: { store: MeetingRecordStore; logger: Logger }) {}

  async execute(segment: TranscriptSegment, eventTimeMs: number): Promise<SegmentOutcome> {
    if (!segment.isFinal) return 'partial-ignored';
    const ref = requireMeetingRef(segment);
    const segmentId = requireId('segment_id', segment.segmentId);
    const outcome = await this.deps.store.recordFinalSegment({ ...segment, ...ref, segmentId }, eventTimeMs);
    this.deps.logger.debug({ ...ref, segmentId, outcome }, 'final segment recorded');
    return outcome;
  }
}
