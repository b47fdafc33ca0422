import type { Report } from '@confide/contracts';
import type { Clock, Logger } from '@confide/platform';
import type { InsightEngine } from '../ports/insight-engine.port';
import type { InsightEventPublisher } from '../ports/insight-events.port';
import type { TranscriptAccumulator } from '../ports/transcript-accumulator.port';

export interface GenerateMeetingReportInput {
  meetingId: string;
  tenantId: string;
  /** Final segments transcription produced for the meeting (TranscriptionCompletedEvent). */
  finalSegmentCount: number;
}

export type GenerateMeetingReportResult =
  | { outcome: 'published'; report: Report }
  | { outcome: 'already-completed' }
  | { outcome: 'transcript-lost'; expectedSegments: number };

/**
 * On TranscriptionCompleted: the engine turns the accumulated final segments into the
 * report, the report is published (awaited), then the meeting's state is dropped.
 *
 * When the meeting had final segments but none are held here (this process restarted, or
 * the partition moved, after they were acknowledged), no report is published: a report
 * saying "no speech" would overwrite the truth. That case is logged; see the README.
 */
export class GenerateMeetingReport {
  constructor(
    private readonly deps: {
      engine: InsightEngine;
      publisher: InsightEventPublisher;
      transcripts: TranscriptAccumulator;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async execute(input: GenerateMeetingReportInput): Promise<GenerateMeetingReportResult> {
    const { engine, publisher, transcripts, clock, logger } = this.deps;
    const { meetingId } = input;
    if (transcripts.isCompleted(meetingId)) {
      logger.debug({ meetingId }, 'report already generated');
      return { outcome: 'already-completed' };
    }
    const transcript = transcripts.get(meetingId);
    const held = transcript.segments.length;
    if (held === 0 && input.finalSegmentCount > 0) {
      logger.warn(
        { meetingId, expectedSegments: input.finalSegmentCount },
        'no accumulated segments for a transcribed meeting (restart or rebalance); report not generated',
      );
      transcripts.complete(meetingId);
      return { outcome: 'transcript-lost', expectedSegments: input.finalSegmentCount };
    }
    if (held < input.finalSegmentCount || transcript.droppedSegments > 0) {
      logger.warn(
        { meetingId, heldSegments: held, expectedSegments: input.finalSegmentCount, droppedSegments: transcript.droppedSegments },
        'report generated from an incomplete transcript',
      );
    }
    const tenantId = input.tenantId || transcript.tenantId;
    const generated = await engine.generateReport({ meetingId, tenantId, segments: transcript.segments });
    const report: Report = { ...generated, meetingId, tenantId, engine: generated.engine || engine.name, generatedAtUnixMs: clock.now() };
    await publisher.publishReport(report);
    transcripts.complete(meetingId);
    logger.info(
      {
        meetingId,
        segmentCount: held,
        actionItemCount: report.actionItems.length,
        decisionCount: report.decisions.length,
        engine: report.engine,
      },
      'report published',
    );
    return { outcome: 'published', report };
  }
}
