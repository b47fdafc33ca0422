import { systemClock, type Clock, type EventBus, type Logger, type ServiceModule, type Subscription } from '@confide/platform';
import type { DataSource } from 'typeorm';
import { subscribeStorageConsumer, type StorageConsumerOptions } from './adapters/events/storage.consumer';
import { storageGrpcService } from './adapters/grpc/storage.grpc';
import { createStorageDataSource, migrateStorage } from './adapters/postgres/data-source';
import { PostgresMeetingQueryRepository } from './adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from './adapters/postgres/meeting-record.repository';
import { PurgeMeeting } from './use-cases/purge-meeting.use-case';
import { QueryMeetings } from './use-cases/query-meetings.use-case';
import { RecordInsight } from './use-cases/record-insight.use-case';
import { RecordMeetingLifecycle } from './use-cases/record-meeting-lifecycle.use-case';
import { RecordTranscriptSegment } from './use-cases/record-transcript-segment.use-case';

export interface StorageModuleDeps {
  logger: Logger;
  bus: EventBus;
  /**
   * A DataSource from `createStorageDataSource` (initialized or not); the caller owns it and
   * destroys it. Otherwise give `databaseUrl` and the module creates and destroys its own.
   */
  dataSource?: DataSource;
  databaseUrl?: string;
  /** Pool size of the module's own DataSource. Default 10. */
  poolSize?: number;
  /** Apply pending migrations at start. Default true. */
  migrate?: boolean;
  clock?: Clock;
  /** Consumer retry settings (bus defaults otherwise). */
  consumer?: StorageConsumerOptions;
}

/**
 * The storage service as a module: consumes confide.meeting.v1, confide.transcript.v1,
 * confide.insight.v1 and confide.lifecycle.v1 (group "storage") into PostgreSQL and serves
 * StorageService. start() = initialize the DataSource, migrate, subscribe.
 */
export function createStorageModule(deps: StorageModuleDeps): ServiceModule {
  if (!deps.dataSource && !deps.databaseUrl) throw new Error('createStorageModule needs a dataSource or a databaseUrl');
  const logger = deps.logger.child({ module: 'storage' });
  const clock = deps.clock ?? systemClock;
  const ownsDataSource = deps.dataSource === undefined;
  const dataSource =
    deps.dataSource ?? createStorageDataSource({ databaseUrl: deps.databaseUrl as string, ...(deps.poolSize ? { poolSize: deps.poolSize } : {}) });
  const store = new PostgresMeetingRecordRepository(dataSource);
  const queries = new QueryMeetings({ queries: new PostgresMeetingQueryRepository(dataSource) });
  const purgeMeeting = new PurgeMeeting({ store, clock, logger });
  const lifecycle = new RecordMeetingLifecycle({ store, logger });
  const segments = new RecordTranscriptSegment({ store, logger });
  const insights = new RecordInsight({ store, logger });
  let subscription: Subscription | undefined;

  return {
    name: 'storage',
    grpcServices: [storageGrpcService({ logger, queries, purgeMeeting })],
    async start() {
      if (subscription !== undefined) return;
      if (!dataSource.isInitialized) await dataSource.initialize();
      if (deps.migrate ?? true) {
        const applied = await migrateStorage(dataSource);
        if (applied.length > 0) logger.info({ migrations: applied }, 'storage migrations applied');
      }
      subscription = await subscribeStorageConsumer({
        bus: deps.bus,
        logger,
        lifecycle,
        segments,
        insights,
        purgeMeeting,
        ...(deps.consumer ? { options: deps.consumer } : {}),
      });
      logger.info('storage started');
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      await current?.close();
      if (ownsDataSource && dataSource.isInitialized) await dataSource.destroy();
    },
    async ready() {
      if (subscription === undefined || !dataSource.isInitialized) return false;
      try {
        await dataSource.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
  };
}
