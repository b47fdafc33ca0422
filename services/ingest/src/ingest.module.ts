import { hostname } from 'node:os';
import {
  EventPublisher,
  systemClock,
  unavailable,
  uuidGenerator,
  type Clock,
  type EventBus,
  type IdGenerator,
  type Logger,
  type ServiceModule,
  type Subscription,
} from '@confide/platform';
import { BusMeetingEventsPublisher } from './adapters/bus/meeting-events.publisher';
import { subscribeMeetingRelay } from './adapters/bus/meeting-relay.consumer';
import { ingestGrpcService } from './adapters/grpc/meeting.grpc';
import type { IngestModuleConfig } from './config';
import type { MeetingEventsPublisher } from './ports/meeting-events.port';
import type { StreamAccess } from './ports/stream-access.port';
import { ActiveMeetings } from './use-cases/active-meetings.registry';
import { RelayMeetingEvents } from './use-cases/relay-meeting-events';
import { StreamMeetingUseCase } from './use-cases/stream-meeting.use-case';

export interface IngestModuleDeps {
  logger: Logger;
  bus: EventBus;
  config: IngestModuleConfig;
  /**
   * Who may stream which meeting: required, there is no open mode. Production and the
   * all-in-one mode: PolicyStreamAccess (OIDC bearer token + the `meeting:stream` policy).
   */
  access: StreamAccess;
  clock?: Clock;
  ids?: IdGenerator;
  /** Where meeting and audio events go; default confide.meeting.v1 / confide.audio.v1 on `bus`. */
  events?: MeetingEventsPublisher;
}

/**
 * The ingest service as a module: serves IngestService.StreamMeeting (the caller's bearer
 * token decided by `access` at the start message), publishes meeting and
 * audio events, and relays transcript/insight events of the meetings it hosts back to their
 * streams through one subscription (group `ingest-<instance id>`, from the latest offset).
 */
export function createIngestModule(deps: IngestModuleDeps): ServiceModule {
  const logger = deps.logger.child({ module: 'ingest' });
  const clock = deps.clock ?? systemClock;
  const ids = deps.ids ?? uuidGenerator;
  const instanceId = deps.config.INGEST_INSTANCE_ID ?? `${sanitize(hostname())}-${ids.newId().slice(0, 8)}`;
  const events = deps.events ?? new BusMeetingEventsPublisher(new EventPublisher(deps.bus, { clock, ids }));
  const meetings = new ActiveMeetings();
  const relay = new RelayMeetingEvents(meetings, logger);
  const streamMeeting = new StreamMeetingUseCase({
    events,
    access: deps.access,
    meetings,
    clock,
    logger,
    completionTimeoutMs: deps.config.INGEST_COMPLETION_TIMEOUT,
    maxPendingResponses: deps.config.INGEST_MAX_PENDING_RESPONSES,
  });
  let subscription: Subscription | undefined;

  return {
    name: 'ingest',
    grpcServices: [ingestGrpcService(streamMeeting, logger)],
    async start() {
      if (subscription) return;
      subscription = await subscribeMeetingRelay({ bus: deps.bus, instanceId, relay, logger });
      logger.info({ instanceId }, 'ingest relay subscribed');
    },
    async stop() {
      for (const session of meetings.all()) session.fail(unavailable('the ingest instance is shutting down'));
      const current = subscription;
      subscription = undefined;
      await current?.close();
    },
    async ready() {
      return subscription !== undefined;
    },
  };
}

function sanitize(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80);
  return cleaned.length > 0 ? cleaned : 'ingest';
}
