/**
 * Microservices mode: the lifecycle service alone in its own process.
 * loadConfig -> logger -> telemetry -> event bus (Kafka), storage client (STORAGE_GRPC_ADDR)
 * -> module (use cases) -> gRPC server.
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
import { GrpcMeetingStore } from './adapters/storage-client/storage.grpc-client';
import { lifecycleConfigSchema } from './config';
import { createLifecycleModule } from './lifecycle.module';

async function main(): Promise<void> {
  const config = loadConfig(lifecycleConfigSchema);
  const logger = createLogger({ service: 'lifecycle', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'lifecycle' });
  const bus = await createEventBusFromConfig(config, logger, 'confide-lifecycle');
  const storage = new GrpcMeetingStore(config.STORAGE_GRPC_ADDR, { deadlineMs: config.STORAGE_DEADLINE_MS });
  const module = createLifecycleModule({ logger, bus, storage, onStop: () => storage.close() });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    throw err;
  }
  logger.info({ port: running.port, eventBus: config.EVENT_BUS }, 'lifecycle service listening');
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
