import {
  systemClock,
  type Clock,
  type EventBus,
  type Logger,
  type RpcAuthorizationDeps,
  type ServiceModule,
  type Subscription,
} from '@confide/platform';
import type { DataSource } from 'typeorm';
import { subscribeStorageConsumer, type StorageConsumerOptions } from './adapters/events/storage.consumer';
import { storageGrpcService } from './adapters/grpc/storage.grpc';
import { storageMaintenanceGrpcService } from './adapters/grpc/storage-maintenance.grpc';
import { PostgresMeetingMaintenanceRepository } from './adapters/postgres/meeting-maintenance.repository';
import { MaintainMeetings } from './use-cases/maintain-meetings.use-case';
import { createStorageDataSource, migrateStorage } from './adapters/postgres/data-source';
import { registeredMigrationUrl } from './adapters/postgres/migration-url.registry';
import { PostgresMeetingQueryRepository } from './adapters/postgres/meeting-query.repository';
import { PostgresMeetingRecordRepository } from './adapters/postgres/meeting-record.repository';
import { PurgeMeeting } from './use-cases/purge-meeting.use-case';
import { QueryMeetings } from './use-cases/query-meetings.use-case';
import { RecordInsight } from './use-cases/record-insight.use-case';
import { RecordMeetingLifecycle } from './use-cases/record-meeting-lifecycle.use-case';
import { RecordTranscriptSegment } from './use-cases/record-transcript-segment.use-case';
import { storageKeys, type StorageKeysDeps } from './storage.keys';

export interface StorageModuleDeps {
  logger: Logger;
  bus: EventBus;
  /**
   * A DataSource from `createStorageDataSource` (initialized or not); the caller owns it and
   * destroys it. Otherwise give `databaseUrl` and the module creates and destroys its own.
   */
  dataSource?: DataSource;
  /**
   * The application role's URL (not superuser, no BYPASSRLS, not the tables' owner): every
   * query of the module runs with it, under row-level security.
   */
  databaseUrl?: string;
  /**
   * The URL of the role that owns the schema; used only to apply the migrations (with
   * `migrate`), through a short-lived connection. Default: the one registered for
   * `databaseUrl` by `resolveStorageDatabase`/`startEmbeddedPostgres` in this process, else
   * the serving connection itself (one role for both).
   */
  migrationDatabaseUrl?: string;
  /** Pool size of the module's own DataSource. Default 10. */
  poolSize?: number;
  /** Apply pending migrations at start. Default true. */
  migrate?: boolean;
  clock?: Clock;
  /** Consumer retry settings (bus defaults otherwise). */
  consumer?: StorageConsumerOptions;
  /** Content encryption keys (storage.keys.ts); without them content is stored unencrypted (tests only). */
  keys?: StorageKeysDeps;
  /**
   * Authorization of StorageService callers (ADR 0009: subject assertion + policy per RPC),
   * from the composition: all-in-one passes its generated service trust, microservices mode
   * `loadServiceAuthorization(config, { service: 'storage', logger }).rpc`. Without it every
   * StorageService RPC is refused (fail closed).
   */
  authorization?: RpcAuthorizationDeps;
}

/**
 * The storage service as a module: consumes confide.meeting.v1, confide.transcript.v1,
 * confide.insight.v1 and confide.lifecycle.v1 (group "storage") into PostgreSQL and serves
 * StorageService, KeyRegistryService and StorageMaintenanceService (lifecycle only). start() = initialize the DataSource, migrate, subscribe.
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
  const keys = storageKeys(dataSource, logger, deps.keys, deps.authorization);
  // Retention, archive and tenant/participant purges for lifecycle (docs/adr/0012-retention.md).
  const maintenance = new MaintainMeetings({ store: new PostgresMeetingMaintenanceRepository(dataSource), clock, logger });
  let unbindKeys: (() => void) | undefined;

  return {
    name: 'storage',
    grpcServices: [
      storageGrpcService({ logger, queries, purgeMeeting, ...(deps.authorization ? { authorization: deps.authorization } : {}) }),
      keys.grpcService,
      storageMaintenanceGrpcService({ logger, maintenance, ...(deps.authorization ? { authorization: deps.authorization } : {}) }),
    ],
    async start() {
      if (subscription !== undefined) return;
      if (!dataSource.isInitialized) await dataSource.initialize();
      if (deps.migrate ?? true) {
        const applied = await migrate(dataSource, migrationUrlOf(deps));
        if (applied.length > 0) logger.info({ migrations: applied }, 'storage migrations applied');
      }
      await warnIfRowSecurityBypassed(dataSource, logger);
      unbindKeys ??= keys.bind();
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
      unbindKeys?.();
      unbindKeys = undefined;
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

function migrationUrlOf(deps: StorageModuleDeps): string | undefined {
  const url = deps.migrationDatabaseUrl ?? (deps.databaseUrl ? registeredMigrationUrl(deps.databaseUrl) : undefined);
  return url === deps.databaseUrl ? undefined : url;
}

/** Migrates through `migrationUrl` (own short-lived DataSource) when given, else through `serving`. */
async function migrate(serving: DataSource, migrationUrl: string | undefined): Promise<string[]> {
  if (migrationUrl === undefined) return migrateStorage(serving);
  // Two connections: migrateStorage holds its advisory lock on one, migrates on the other.
  const owner = createStorageDataSource({ databaseUrl: migrationUrl, poolSize: 2 });
  try {
    return await migrateStorage(owner);
  } finally {
    if (owner.isInitialized) await owner.destroy();
  }
}

/**
 * Row-level security does not bind superusers and BYPASSRLS roles: say so (once, at start)
 * when the serving role is one. Isolation then rests on the queries' tenant filters alone.
 */
async function warnIfRowSecurityBypassed(dataSource: DataSource, logger: Logger): Promise<void> {
  const rows: Array<{ rolsuper: boolean; rolbypassrls: boolean }> = await dataSource.query(
    'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  const role = rows[0];
  if (role && (role.rolsuper || role.rolbypassrls)) {
    logger.warn(
      { superuser: role.rolsuper, bypassRls: role.rolbypassrls },
      'storage serves with a database role that bypasses row-level security; use a NOSUPERUSER NOBYPASSRLS application role (DATABASE_URL) and a separate MIGRATION_DATABASE_URL',
    );
  }
}
