import { EventRouter, Events, Topics, type EventBus, type Logger, type Subscription } from '@confide/platform';
import type { RecordMeetingEnded } from '../../use-cases/record-meeting-ended.use-case';

export const LIFECYCLE_CONSUMER_GROUP = 'lifecycle';

export interface MeetingConsumerOptions {
  maxAttempts?: number;
  retryBackoffMs?: number;
}

/** Consumes confide.meeting.v1 in group "lifecycle": MeetingEnded -> RecordMeetingEnded. */
export function subscribeToMeetings(deps: {
  bus: EventBus;
  logger: Logger;
  recordMeetingEnded: RecordMeetingEnded;
  options?: MeetingConsumerOptions;
}): Promise<Subscription> {
  const { bus, logger, recordMeetingEnded, options } = deps;
  const router = new EventRouter(logger).on(Events.MeetingEnded, (e, env) =>
    recordMeetingEnded.execute({
      tenantId: e.tenantId || env.tenantId,
      meetingId: e.meetingId || env.meetingId,
      endedAtMs: e.endedAtUnixMs > 0 ? e.endedAtUnixMs : env.occurredAtUnixMs,
    }),
  );
  return bus.subscribe({
    groupId: LIFECYCLE_CONSUMER_GROUP,
    topics: [Topics.meeting],
    handler: router.handler,
    ...(options?.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    ...(options?.retryBackoffMs !== undefined ? { retryBackoffMs: options.retryBackoffMs } : {}),
  });
}
