import type { Envelope } from '@confide/contracts';
import {
  EventRouter,
  Events,
  PoisonMessageError,
  Topics,
  isAppError,
  type EventBus,
  type Logger,
  type Subscription,
} from '@confide/platform';
import type { PurgeMeeting } from '../../use-cases/purge-meeting.use-case';
import type { RecordInsight } from '../../use-cases/record-insight.use-case';
import type { RecordMeetingLifecycle } from '../../use-cases/record-meeting-lifecycle.use-case';
import type { RecordTranscriptSegment } from '../../use-cases/record-transcript-segment.use-case';

export const STORAGE_CONSUMER_GROUP = 'storage';
export const STORAGE_TOPICS = [Topics.meeting, Topics.transcript, Topics.insight, Topics.lifecycle];

export interface StorageConsumerOptions {
  maxAttempts?: number;
  retryBackoffMs?: number;
}

/**
 * Consumes confide.meeting.v1, confide.transcript.v1, confide.insight.v1 and
 * confide.lifecycle.v1 in group "storage". MeetingErased purges again (idempotent): a
 * safety net for a purge whose gRPC answer was lost. Each handler resolves only after its transaction committed, so the bus
 * acknowledges a message once its effect is durable; events of an erased meeting are
 * acknowledged without effect. An event whose ids are missing or disagree with its
 * envelope can never succeed: it is a poison message (retried, then DLQ).
 */
export function subscribeStorageConsumer(deps: {
  bus: EventBus;
  logger: Logger;
  lifecycle: RecordMeetingLifecycle;
  segments: RecordTranscriptSegment;
  insights: RecordInsight;
  purgeMeeting: PurgeMeeting;
  options?: StorageConsumerOptions;
}): Promise<Subscription> {
  const { bus, logger, lifecycle, segments, insights, purgeMeeting, options } = deps;
  const guard = async (envelope: Envelope, ids: { tenantId: string; meetingId: string }, fn: () => Promise<unknown>): Promise<void> => {
    if ((envelope.tenantId && ids.tenantId !== envelope.tenantId) || (envelope.meetingId && ids.meetingId !== envelope.meetingId)) {
      throw new PoisonMessageError(`event ${envelope.id} names another tenant or meeting than its envelope`);
    }
    try {
      const outcome = await fn();
      if (outcome === 'erased') logger.info({ eventId: envelope.id, meetingId: ids.meetingId, tenantId: ids.tenantId }, 'event for an erased meeting ignored');
    } catch (err) {
      if (isAppError(err) && err.kind === 'invalid-argument') {
        throw new PoisonMessageError(`event ${envelope.id} is invalid: ${err.message}`);
      }
      throw err;
    }
  };
  const time = (envelope: Envelope): number => envelope.occurredAtUnixMs;

  const router = new EventRouter(logger)
    .on(Events.MeetingStarted, (e, env) => {
      const ids = { tenantId: e.tenantId || env.tenantId, meetingId: e.meetingId || env.meetingId };
      return guard(env, ids, () =>
        lifecycle.started({ ...ids, title: e.title, participants: e.participants, startedAtMs: e.startedAtUnixMs, eventTimeMs: time(env) }),
      );
    })
    .on(Events.MeetingEnded, (e, env) => {
      const ids = { tenantId: e.tenantId || env.tenantId, meetingId: e.meetingId || env.meetingId };
      return guard(env, ids, () => lifecycle.ended({ ...ids, endedAtMs: e.endedAtUnixMs, eventTimeMs: time(env) }));
    })
    .on(Events.TranscriptionCompleted, (e, env) => {
      const ids = { tenantId: e.tenantId || env.tenantId, meetingId: e.meetingId || env.meetingId };
      return guard(env, ids, () => lifecycle.transcribed({ ...ids, completedAtMs: e.completedAtUnixMs, eventTimeMs: time(env) }));
    })
    .on(Events.SegmentTranscribed, async (e, env) => {
      // Partials are the bulk of the topic: skip them before any check.
      if (!e.segment || !e.segment.isFinal) return;
      const segment = { ...e.segment, tenantId: e.segment.tenantId || env.tenantId, meetingId: e.segment.meetingId || env.meetingId };
      await guard(env, segment, () => segments.execute(segment, time(env)));
    })
    .on(Events.AlertRaised, async (e, env) => {
      if (!e.alert) throw new PoisonMessageError(`alert event ${env.id} without an alert`);
      const alert = { ...e.alert, tenantId: e.alert.tenantId || env.tenantId, meetingId: e.alert.meetingId || env.meetingId };
      await guard(env, alert, () => insights.alert(alert, time(env)));
    })
    .on(Events.ReportGenerated, async (e, env) => {
      if (!e.report) throw new PoisonMessageError(`report event ${env.id} without a report`);
      const report = { ...e.report, tenantId: e.report.tenantId || env.tenantId, meetingId: e.report.meetingId || env.meetingId };
      await guard(env, report, () => insights.report(report, time(env)));
    })
    .on(Events.MeetingErased, (e, env) => {
      const ids = { tenantId: e.tenantId || env.tenantId, meetingId: e.meetingId || env.meetingId };
      return guard(env, ids, () => purgeMeeting.execute(ids));
    });

  return bus.subscribe({
    groupId: STORAGE_CONSUMER_GROUP,
    topics: STORAGE_TOPICS,
    handler: router.handler,
    ...(options?.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options?.retryBackoffMs !== undefined ? { retryBackoffMs: options.retryBackoffMs } : {}),
  });
}
