import type { TranscriptSegment } from '@confide/contracts';
import type { SttResult } from '../ports/stt-engine.port';

/** Deterministic segment id: partials and the final of one utterance share it. */
export function segmentId(meetingId: string, trackId: string, utterance: number): string {
  return `${meetingId}:${trackId}:${utterance}`;
}

export interface SegmentContext {
  meetingId: string;
  tenantId: string;
  trackId: string;
  speakerLabel: string;
  /** Offset of the session's first audio sample from the start of the meeting's audio. */
  baseOffsetMs: number;
}

/** A recognition result as a transcript segment on the meeting's timeline. */
export function toSegment(ctx: SegmentContext, result: SttResult): TranscriptSegment {
  const startMs = ctx.baseOffsetMs + Math.max(0, Math.round(result.startMs));
  const endMs = Math.max(startMs, ctx.baseOffsetMs + Math.max(0, Math.round(result.endMs)));
  return {
    segmentId: segmentId(ctx.meetingId, ctx.trackId, result.utterance),
    meetingId: ctx.meetingId,
    tenantId: ctx.tenantId,
    trackId: ctx.trackId,
    speakerLabel: ctx.speakerLabel,
    text: result.text,
    startMs,
    endMs,
    isFinal: result.kind === 'final',
    confidence: Math.min(1, Math.max(0, Number.isFinite(result.confidence) ? result.confidence : 0)),
    sequence: result.utterance,
  };
}
