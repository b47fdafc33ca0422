import { systemClock, type Clock, type EventBus, type Logger, type ServiceModule, type Subscription } from '@confide/platform';
import { BusErasureEventPublisher } from './adapters/events/erasure-events.publisher';
import { subscribeToMeetings, type MeetingConsumerOptions } from './adapters/events/meeting.consumer';
import { lifecycleGrpcService } from './adapters/grpc/lifecycle.grpc';
import { LoggingAuditLog } from './adapters/logging/logging.audit-log';
import { LoggingErasureLog } from './adapters/logging/logging.erasure-log';
import { InMemoryEndedMeetings } from './adapters/memory/in-memory.ended-meetings';
import type { AuditLog } from './ports/audit-log.port';
import type { EndedMeetings } from './ports/ended-meetings.port';
import type { ErasureEventPublisher } from './ports/erasure-events.port';
import type { ErasureLog } from './ports/erasure-log.port';
import type { MeetingStore } from './ports/meeting-store.port';
import { DeleteMeeting } from './use-cases/delete-meeting.use-case';
import { RecordMeetingEnded } from './use-cases/record-meeting-ended.use-case';

export interface LifecycleModuleDeps {
  logger: Logger;
  bus: EventBus;
  /** Stored meetings: `new GrpcMeetingStore(storageClientOrAddress)`. */
  storage: MeetingStore;
  clock?: Clock;
  /** Default: MeetingErased on confide.lifecycle.v1 on `bus`. */
  events?: ErasureEventPublisher;
  /** Default: LoggingErasureLog (ids and counts only). */
  erasures?: ErasureLog;
  /** Default: LoggingAuditLog (ids and outcome only). */
  audit?: AuditLog;
  /** Default: InMemoryEndedMeetings (lost on restart). */
  ended?: EndedMeetings;
  /** Consumer retry settings (bus defaults otherwise). */
  consumer?: MeetingConsumerOptions;
  /** Called by stop(), e.g. to close the storage client channel. */
  onStop?: () => Promise<void> | void;
}

/**
 * The lifecycle service as a module: serves LifecycleService (DeleteMeeting), consumes
 * confide.meeting.v1 (group "lifecycle") to remember ended meetings, publishes
 * MeetingErased to confide.lifecycle.v1.
 */
export function createLifecycleModule(deps: LifecycleModuleDeps): ServiceModule {
  const logger = deps.logger.child({ module: 'lifecycle' });
  const clock = deps.clock ?? systemClock;
  const ended = deps.ended ?? new InMemoryEndedMeetings();
  const deleteMeeting = new DeleteMeeting({
    store: deps.storage,
    events: deps.events ?? new BusErasureEventPublisher(deps.bus, { clock }),
    erasures: deps.erasures ?? new LoggingErasureLog(logger),
    audit: deps.audit ?? new LoggingAuditLog(logger),
    ended,
    clock,
    logger,
  });
  const recordMeetingEnded = new RecordMeetingEnded({ ended, logger });
  let subscription: Subscription | undefined;

  return {
    name: 'lifecycle',
    grpcServices: [lifecycleGrpcService({ logger, deleteMeeting })],
    async start() {
      if (subscription !== undefined) return;
      subscription = await subscribeToMeetings({
        bus: deps.bus,
        logger,
        recordMeetingEnded,
        ...(deps.consumer ? { options: deps.consumer } : {}),
      });
      logger.info('lifecycle started');
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      await current?.close();
      await deps.onStop?.();
    },
    async ready() {
      return subscription !== undefined;
    },
  };
}
