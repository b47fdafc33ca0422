import type { TranscriptSegment } from '@confide/contracts';
import type { Logger } from '@confide/platform';
import type { AlertRuleSet } from '../domain/alert-rule-set';
import type { InsightEventPublisher } from '../ports/insight-events.port';
import type { TranscriptAccumulator } from '../ports/transcript-accumulator.port';

export interface RaiseSegmentAlertsInput {
  segment: TranscriptSegment;
}

export type RaiseSegmentAlertsResult =
  | { outcome: 'ignored-partial' }
  | { outcome: 'duplicate' }
  | { outcome: 'evaluated'; alerts: number; accumulated: boolean };

/**
 * On a transcribed segment: partials are ignored; a final one is evaluated against the
 * rules, its alerts are published (awaited: the caller acknowledges only afterwards), then
 * it is added to the meeting's transcript for the report.
 *
 * Idempotent: a segment is recorded only after its alerts were published, so a segment
 * already held is a redelivery and is skipped. Alert ids are deterministic, so a
 * redelivery that arrives after a restart republishes the same alerts (consumers upsert).
 */
export class RaiseSegmentAlerts {
  constructor(
    private readonly deps: {
      rules: AlertRuleSet;
      publisher: InsightEventPublisher;
      transcripts: TranscriptAccumulator;
      logger: Logger;
    },
  ) {}

  async execute({ segment }: RaiseSegmentAlertsInput): Promise<RaiseSegmentAlertsResult> {
    if (!segment.isFinal) return { outcome: 'ignored-partial' };
    const { rules, publisher, transcripts, logger } = this.deps;
    if (transcripts.has(segment.meetingId, segment.segmentId)) {
      logger.debug({ meetingId: segment.meetingId, segmentId: segment.segmentId }, 'segment already processed');
      return { outcome: 'duplicate' };
    }
    const alerts = rules.evaluate(segment);
    await publisher.publishAlerts(alerts);
    // A segment of a meeting whose report is out is not kept: nothing would ever release it.
    const accumulated = transcripts.isCompleted(segment.meetingId) ? false : transcripts.add(segment);
    logger.debug(
      { meetingId: segment.meetingId, segmentId: segment.segmentId, alertCount: alerts.length, accumulated },
      'final segment evaluated',
    );
    return { outcome: 'evaluated', alerts: alerts.length, accumulated };
  }
}
