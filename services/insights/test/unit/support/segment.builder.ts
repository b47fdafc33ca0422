import type { TranscriptSegment } from '@confide/contracts';

let sequence = 0;

/** A final transcript segment with sensible defaults; override what the test cares about. */
export function aSegment(overrides: Partial<TranscriptSegment> = {}): TranscriptSegment {
  sequence += 1;
  const meetingId = overrides.meetingId ?? 'meeting-1';
  const trackId = overrides.trackId ?? 'alice';
  return {
    segmentId: `${meetingId}:${trackId}:${sequence}`,
    meetingId,
    tenantId: 'tenant-1',
    trackId,
    speakerLabel: 'Alice',
    text: 'hello there',
    startMs: sequence * 1000,
    endMs: sequence * 1000 + 900,
    isFinal: true,
    confidence: 0.9,
    sequence,
    ...overrides,
  };
}
