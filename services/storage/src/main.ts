/**
 * Microservices mode: the storage service alone in its own process.
 * loadConfig -> logger -> telemetry -> event bus (Kafka) -> database (DATABASE_URL +
 * MIGRATION_DATABASE_URL, or the embedded PostgreSQL) -> keys (KMS + its own key registry in
 * PostgreSQL; every bus payload and content column encrypted) -> module -> gRPC server.
 */
import {
  BusDecisionAuditor,
  ConfigError,
  GrpcServer,
  KMS_DEFAULTS,
  createEventBusFromConfig,
  createServiceKeys,
  createLogger,
  loadServiceAuthorization,
  errorSummary,
  loadConfig,
  loadTlsSettings,
  grpcClientCredentials,
  GrpcGrantStore,
  type GrantStore,
  onShutdown,
  runServiceModules,
  startTelemetry,
} from '@confide/platform';
import { PostgresDataKeyRepository } from './adapters/postgres/data-key.repository';
import { createStorageDataSource } from './adapters/postgres/data-source';
import { resolveStorageDatabase } from './adapters/postgres/database.resolver';
import { storageConfigSchema } from './config';
import { createStorageModule } from './storage.module';

async function main(): Promise<void> {
  const config = loadConfig(storageConfigSchema);
  const logger = createLogger({ service: 'storage', level: config.LOG_LEVEL });
  // TLS 1.3 for the listener and the clients when TLS_CERT_FILE/TLS_KEY_FILE are set (read once; ConfigError otherwise).
  const tls = loadTlsSettings(config);
  const telemetry = await startTelemetry({ serviceName: 'storage' });
  const rawBus = await createEventBusFromConfig(config, logger, 'confide-storage');
  let database: Awaited<ReturnType<typeof resolveStorageDatabase>>;
  try {
    database = await resolveStorageDatabase(config, logger);
  } catch (err) {
    await rawBus.close();
    throw err;
  }
  logger.info({ database: database.kind }, 'storage database ready');
  // The DataSource is created here (initialized by the module's start) so that the process's one
  // keyring can sit on storage's own key registry (data_keys), shared by the bus and the content
  // columns: storage needs no gRPC call to itself for keys (docs/adr/0010-key-hierarchy.md).
  const dataSource = createStorageDataSource({ databaseUrl: database.url, poolSize: config.DATABASE_POOL_SIZE });
  let keys: Awaited<ReturnType<typeof createServiceKeys>>;
  try {
    keys = await createServiceKeys(config, logger, { registry: new PostgresDataKeyRepository(dataSource) });
  } catch (err) {
    await rawBus.close();
    await database.stop();
    throw err;
  }
  const bus = keys.protect(rawBus);
  let authz: Awaited<ReturnType<typeof loadServiceAuthorization>>;
  // Staff grants from lifecycle (microservices mode): the store needs storage's own signer, which
  // loadServiceAuthorization loads, hence the forwarder. Without LIFECYCLE_GRPC_ADDR: no grants.
  let grantStore: GrpcGrantStore | undefined;
  const grants: GrantStore = {
    grantsFor: (tenant) => (grantStore ? grantStore.grantsFor(tenant) : Promise.resolve([])),
  };
  try {
    // Audited decisions and key operations (KeyRegistryService) go to lifecycle's per-tenant chain
    // over confide.audit.v1; a read whose entry the broker does not acknowledge is refused
    // (docs/adr/0014-audit-over-the-bus.md).
    const auditor = new BusDecisionAuditor({ bus, logger: logger.child({ component: 'access-audit' }) });
    authz = await loadServiceAuthorization(
      config,
      { service: 'storage', logger, grants, auditor },
    );
    if (config.LIFECYCLE_GRPC_ADDR) {
      if (!authz.signer) {
        authz.close();
        throw new ConfigError([{ variable: 'SUBJECT_ASSERTION_KEY_FILE', problem: 'is required with LIFECYCLE_GRPC_ADDR (storage reads the staff grants as `storage`)' }]);
      }
      grantStore = new GrpcGrantStore(config.LIFECYCLE_GRPC_ADDR, { signer: authz.signer, credentials: grpcClientCredentials(config.LIFECYCLE_GRPC_ADDR, tls) });
    } else {
      logger.warn('LIFECYCLE_GRPC_ADDR is not set: storage has no staff grants and refuses every staff read');
    }
  } catch (err) {
    await bus.close();
    keys.close();
    await database.stop();
    throw err;
  }
  const module = createStorageModule({
    authorization: authz.rpc,
    logger,
    bus,
    dataSource,
    databaseUrl: database.url,
    migrationDatabaseUrl: database.migrationUrl,
    migrate: config.DATABASE_MIGRATE,
    // kms too: KeyRegistryService.RotateTenantKey rewraps with it (storage.keys.ts).
    keys: { keyring: keys.keyring, kms: keys.kms },
  });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger, tls });
  const release = async (): Promise<void> => {
    authz.close();
    grantStore?.close();
    await bus.close();
    keys.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    await database.stop();
  };
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await release();
    throw err;
  }
  await keys.reportHealth(server, module.grpcServices.map((s) => s.name));
  logger.info({ port: running.port, eventBus: config.EVENT_BUS, kms: config.KMS ?? KMS_DEFAULTS.KMS }, 'storage service listening');
  onShutdown(logger, async () => {
    keys.health.stop();
    await running.stop();
    await release();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'storage' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'storage service failed to start');
  process.exitCode = 1;
});
