import type { TranscriptSegment } from '@confide/contracts';

/** One sentence of a final segment, in meeting time order. */
export interface TranscriptSentence {
  text: string;
  segmentId: string;
  speakerLabel: string;
  /** Position in the meeting (0-based), the tie-breaker that keeps output deterministic. */
  order: number;
}

const SENTENCE_END = /(?<=[.!?])\s+(?=\S)/;

/** Orders segments by start time (then end time, then id) so the output never depends on arrival order. */
export function sortSegments(segments: readonly TranscriptSegment[]): TranscriptSegment[] {
  return [...segments].sort(
    (a, b) => a.startMs - b.startMs || a.endMs - b.endMs || (a.segmentId < b.segmentId ? -1 : a.segmentId > b.segmentId ? 1 : 0),
  );
}

/**
 * Splits segments into sentences at ., ! and ?; a segment without punctuation (common in
 * speech-to-text output) is one sentence.
 */
export function splitSentences(segments: readonly TranscriptSegment[]): TranscriptSentence[] {
  const sentences: TranscriptSentence[] = [];
  for (const segment of sortSegments(segments)) {
    for (const part of segment.text.split(SENTENCE_END)) {
      const text = part.replace(/\s+/g, ' ').trim();
      if (text.length === 0) continue;
      sentences.push({ text, segmentId: segment.segmentId, speakerLabel: segment.speakerLabel, order: sentences.length });
    }
  }
  return sentences;
}
