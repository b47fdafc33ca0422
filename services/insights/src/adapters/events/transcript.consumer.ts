import { EventRouter, Events, Topics, type EventBus, type Logger, type Subscription } from '@confide/platform';
import type { GenerateMeetingReport } from '../../use-cases/generate-meeting-report.use-case';
import type { RaiseSegmentAlerts } from '../../use-cases/raise-segment-alerts.use-case';

export const INSIGHTS_CONSUMER_GROUP = 'insights';

export interface TranscriptConsumerOptions {
  maxAttempts?: number;
  retryBackoffMs?: number;
}

/**
 * Consumes confide.transcript.v1 in group "insights": SegmentTranscribed -> alerts,
 * TranscriptionCompleted -> report. Each handler resolves only after its publications
 * resolved, so the bus acknowledges a message only once its effect is durable.
 */
export function subscribeToTranscripts(deps: {
  bus: EventBus;
  logger: Logger;
  raiseSegmentAlerts: RaiseSegmentAlerts;
  generateMeetingReport: GenerateMeetingReport;
  options?: TranscriptConsumerOptions;
}): Promise<Subscription> {
  const { bus, logger, raiseSegmentAlerts, generateMeetingReport, options } = deps;
  const router = new EventRouter(logger)
    .on(Events.SegmentTranscribed, async (event, envelope) => {
      const segment = event.segment;
      if (segment === undefined) {
        logger.warn({ eventId: envelope.id, meetingId: envelope.meetingId }, 'segment event without a segment; ignored');
        return;
      }
      await raiseSegmentAlerts.execute({
        segment: {
          ...segment,
          meetingId: segment.meetingId || envelope.meetingId,
          tenantId: segment.tenantId || envelope.tenantId,
        },
      });
    })
    .on(Events.TranscriptionCompleted, async (event, envelope) => {
      await generateMeetingReport.execute({
        meetingId: event.meetingId || envelope.meetingId,
        tenantId: event.tenantId || envelope.tenantId,
        finalSegmentCount: event.finalSegmentCount,
      });
    });
  return bus.subscribe({
    groupId: INSIGHTS_CONSUMER_GROUP,
    topics: [Topics.transcript],
    handler: router.handler,
    ...(options?.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options?.retryBackoffMs !== undefined ? { retryBackoffMs: options.retryBackoffMs } : {}),
  });
}
