import {
  GrpcKeyRegistry,
  GrpcServer,
  InProcessEventBus,
  MeetingKeyring,
  PolicyEvaluator,
  SIGNING_KEY_NAME,
  createLogger,
  generateServiceTrust,
  runServiceModules,
  subjectAssertionMetadata,
  type Clock,
  type RunningServices,
  type ServiceTrust,
} from '@confide/platform';
import { createStorageDataSource, createStorageModule } from '@confide/storage-service';
import { DataSource } from 'typeorm';
// Storage internals the erasure runs against (same database, the real code; not exported by storage's index).
import { PostgresMeetingRecordRepository } from '../../../../storage/src/adapters/postgres/meeting-record.repository';
import { PostgresDataKeyRepository } from '../../../../storage/src/adapters/postgres/data-key.repository';
import { BusErasureEventPublisher } from '../../../src/adapters/events/erasure-events.publisher';
import { PostgresAuditEventStore } from '../../../src/adapters/postgres/audit-event.repository';
import { PostgresErasureCertificateStore } from '../../../src/adapters/postgres/erasure-certificate.repository';
import { PostgresErasureRequestRepository } from '../../../src/adapters/postgres/erasure-request.repository';
import { LIFECYCLE_MIGRATIONS_TABLE } from '../../../src/adapters/postgres/lifecycle.data-source';
import { lifecycleMigrations } from '../../../src/adapters/postgres/migrations';
import { ErasureRequests1764979200000 } from '../../../src/adapters/postgres/migrations/1764979200000-erasure-requests';
import { GrpcStorageMaintenance } from '../../../src/adapters/storage-client/storage-maintenance.grpc-client';
import { GrpcMeetingStore } from '../../../src/adapters/storage-client/storage.grpc-client';
import { ChainedAuditLog } from '../../../src/use-cases/chained-audit-log';
import { IssueErasureCertificate } from '../../../src/use-cases/issue-erasure-certificate.use-case';
import { openLifecycleDatabase, openTestKms, startEmbeddedTestDatabase, type LifecycleTestContext, type TestKms } from './lifecycle-db';

export const logger = createLogger({ service: 'lifecycle-erasure-it', level: 'silent' });

/**
 * Applies the lifecycle migrations including the erasure outbox (until it is registered in
 * `migrations/index.ts`, which is the module's wiring), as the migration role.
 */
export async function migrateWithErasureRequests(migrationUrl: string): Promise<void> {
  const ds = new DataSource({
    type: 'postgres',
    url: migrationUrl,
    entities: [],
    migrations: [...lifecycleMigrations, ErasureRequests1764979200000].filter((m, i, all) => all.indexOf(m) === i),
    migrationsTableName: LIFECYCLE_MIGRATIONS_TABLE,
    synchronize: false,
    logging: false,
  });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}

/**
 * The erasure's real surroundings: an embedded PostgreSQL; storage (module + maintenance
 * service) over gRPC with the real OPA policy and service identities, content encrypted under
 * meeting keys from a LocalKms; lifecycle's persistence (outbox, certificates, audit chain).
 */
export interface ErasureStack {
  ctx: LifecycleTestContext;
  kms: TestKms;
  bus: InProcessEventBus;
  running: RunningServices;
  address: string;
  trust: ServiceTrust;
  storageData: DataSource;
  records: PostgresMeetingRecordRepository;
  /** Storage's registry, read directly (tests only). */
  registry: PostgresDataKeyRepository;
  /** Lifecycle's view over gRPC. */
  store: GrpcMeetingStore;
  maintenance: GrpcStorageMaintenance;
  keys: GrpcKeyRegistry;
  requests: PostgresErasureRequestRepository;
  certificates: PostgresErasureCertificateStore;
  audit: ChainedAuditLog;
  events: BusErasureEventPublisher;
  certifier(clock: Clock): IssueErasureCertificate;
  /** A reader that has never seen the meeting's keys (a new process, a Kafka consumer, a restored backup). */
  freshKeyring(): MeetingKeyring;
  /** Gateway-style metadata for StorageService reads by an admin of `tenantId`. */
  readMetadata(tenantId: string): Promise<ReturnType<typeof subjectAssertionMetadata>>;
  dispose(): Promise<void>;
}

export async function startErasureStack(): Promise<ErasureStack> {
  const urls = await startEmbeddedTestDatabase();
  await migrateWithErasureRequests(urls.migrationUrl);
  const ctx = await openLifecycleDatabase(urls);
  const kms = await openTestKms();
  await kms.kms.createKey(SIGNING_KEY_NAME, 'ed25519');
  const bus = new InProcessEventBus({ logger });
  const evaluator = await PolicyEvaluator.load({ logger, watch: false });
  const trust = await generateServiceTrust(['gateway', 'lifecycle']);
  const authorization = { evaluator, verifier: trust.verifier, auditor: { record: async () => undefined } };
  const storageData = createStorageDataSource({ databaseUrl: urls.appUrl, poolSize: 8 });
  const storage = createStorageModule({
    logger,
    bus,
    dataSource: storageData,
    migrationDatabaseUrl: urls.migrationUrl,
    keys: { kms: kms.kms },
    authorization,
    consumer: { retryBackoffMs: 10 },
  });
  // The storage module serves StorageMaintenanceService too (lifecycle's retention and purges).
  const running = await runServiceModules({ modules: [storage], server: new GrpcServer({ address: '127.0.0.1:0', logger }), logger });
  const address = `127.0.0.1:${running.port}`;
  const signer = trust.signer('lifecycle');
  const store = new GrpcMeetingStore(address, { signer });
  const maintenance = new GrpcStorageMaintenance(address, { signer });
  const keys = new GrpcKeyRegistry(address, { metadata: async () => subjectAssertionMetadata(await signer.sign()) });
  const registry = new PostgresDataKeyRepository(storageData);
  const certificates = new PostgresErasureCertificateStore(ctx.app);
  const audit = new ChainedAuditLog(new PostgresAuditEventStore(ctx.app));
  return {
    ctx,
    kms,
    bus,
    running,
    address,
    trust,
    storageData,
    records: new PostgresMeetingRecordRepository(storageData),
    registry,
    store,
    maintenance,
    keys,
    requests: new PostgresErasureRequestRepository(ctx.app),
    certificates,
    audit,
    events: new BusErasureEventPublisher(bus),
    // Every certificate's hash goes into the tenant's chain (certificate:issued), as the module wires it.
    certifier: (clock) => new IssueErasureCertificate({ store: certificates, kms: kms.kms, signingKeyName: SIGNING_KEY_NAME, clock, audit }),
    freshKeyring: () => new MeetingKeyring({ kms: kms.kms, registry, provisionTenantKeys: false }),
    readMetadata: async (tenantId) =>
      subjectAssertionMetadata(await trust.signer('gateway').sign({ id: 'admin-1', tenant: tenantId, roles: ['admin'], kind: 'user', mfa: true })),
    async dispose() {
      store.close();
      maintenance.close();
      keys.close();
      await running.stop();
      if (storageData.isInitialized) await storageData.destroy();
      await bus.close();
      evaluator.close();
      await ctx.dispose();
      await kms.dispose();
    },
  };
}
