/**
 * Microservices mode: the storage service alone in its own process.
 * loadConfig -> database (DATABASE_URL or the embedded PostgreSQL) + bus -> module -> gRPC server.
 */
import {
  ConfigError,
  GrpcServer,
  InProcessEventBus,
  createLogger,
  errorSummary,
  loadConfig,
  onShutdown,
  runServiceModules,
  startTelemetry,
  type EventBus,
  type Logger,
} from '@confide/platform';
import { resolveStorageDatabase } from './adapters/postgres/database.resolver';
import { storageConfigSchema, type StorageConfig } from './config';
import { createStorageModule } from './storage.module';

function createBus(config: StorageConfig, logger: Logger): EventBus {
  if (config.EVENT_BUS === 'in-process') {
    logger.warn('EVENT_BUS=in-process: this process sees only its own events (smoke runs only)');
    return new InProcessEventBus({ logger });
  }
  // The kafkajs adapter of the EventBus port lands with the Kafka task.
  throw new ConfigError([
    { variable: 'EVENT_BUS', problem: 'kafka is not supported yet by this build; use the all-in-one mode or EVENT_BUS=in-process' },
  ]);
}

async function main(): Promise<void> {
  const config = loadConfig(storageConfigSchema);
  const logger = createLogger({ service: 'storage', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'storage' });
  const bus = createBus(config, logger);
  const database = await resolveStorageDatabase(config, logger);
  logger.info({ database: database.kind }, 'storage database ready');
  const module = createStorageModule({
    logger,
    bus,
    databaseUrl: database.url,
    poolSize: config.DATABASE_POOL_SIZE,
    migrate: config.DATABASE_MIGRATE,
  });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await database.stop();
    throw err;
  }
  logger.info({ port: running.port }, 'storage service listening');
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
