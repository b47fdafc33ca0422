/**
 * Microservices mode: the lifecycle service alone in its own process.
 * loadConfig -> adapters (bus, storage client) -> module (use cases) -> gRPC server.
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
import { GrpcMeetingStore } from './adapters/storage-client/storage.grpc-client';
import { lifecycleConfigSchema, type LifecycleConfig } from './config';
import { createLifecycleModule } from './lifecycle.module';

function createBus(config: LifecycleConfig, logger: Logger): EventBus {
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
  const config = loadConfig(lifecycleConfigSchema);
  const logger = createLogger({ service: 'lifecycle', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'lifecycle' });
  const bus = createBus(config, logger);
  const storage = new GrpcMeetingStore(config.STORAGE_GRPC_ADDR, { deadlineMs: config.STORAGE_DEADLINE_MS });
  const module = createLifecycleModule({ logger, bus, storage, onStop: () => storage.close() });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  const running = await runServiceModules({ modules: [module], server, logger, telemetry });
  logger.info({ port: running.port }, 'lifecycle service listening');
  onShutdown(logger, async () => {
    await running.stop();
    await bus.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'lifecycle' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'lifecycle service failed to start');
  process.exitCode = 1;
});
