/**
 * Microservices mode: the storage service alone in its own process.
 * loadConfig -> logger -> telemetry -> event bus (Kafka) -> database (DATABASE_URL +
 * MIGRATION_DATABASE_URL, or the embedded PostgreSQL) -> module -> gRPC server.
 */
import {
  ConfigError,
  GrpcServer,
  createEventBusFromConfig,
  createLogger,
  errorSummary,
  loadConfig,
  onShutdown,
  runServiceModules,
  startTelemetry,
} from '@confide/platform';
import { resolveStorageDatabase } from './adapters/postgres/database.resolver';
import { storageConfigSchema } from './config';
import { createStorageModule } from './storage.module';

async function main(): Promise<void> {
  const config = loadConfig(storageConfigSchema);
  const logger = createLogger({ service: 'storage', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'storage' });
  const bus = await createEventBusFromConfig(config, logger, 'confide-storage');
  let database: Awaited<ReturnType<typeof resolveStorageDatabase>>;
  try {
    database = await resolveStorageDatabase(config, logger);
  } catch (err) {
    await bus.close();
    throw err;
  }
  logger.info({ database: database.kind }, 'storage database ready');
  const module = createStorageModule({
    logger,
    bus,
    databaseUrl: database.url,
    migrationDatabaseUrl: database.migrationUrl,
    poolSize: config.DATABASE_POOL_SIZE,
    migrate: config.DATABASE_MIGRATE,
  });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    await database.stop();
    throw err;
  }
  logger.info({ port: running.port, eventBus: config.EVENT_BUS }, 'storage service listening');
  onShutdown(logger, async () => {
    await running.stop();
    await bus.close();
    await database.stop();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'storage' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'storage service failed to start');
  process.exitCode = 1;
});
