/**
 * Microservices mode: the ingest service alone in its own process.
 * loadConfig -> logger -> telemetry -> event bus (Kafka) -> module (use cases) -> gRPC server.
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
import { ingestConfigSchema } from './config';
import { createIngestModule } from './ingest.module';

async function main(): Promise<void> {
  const config = loadConfig(ingestConfigSchema);
  const logger = createLogger({ service: 'ingest', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'ingest' });
  const bus = await createEventBusFromConfig(config, logger, 'confide-ingest');
  const module = createIngestModule({ logger, bus, config });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    throw err;
  }
  logger.info({ port: running.port, eventBus: config.EVENT_BUS }, 'ingest service listening');
  onShutdown(logger, async () => {
    await running.stop();
    await bus.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'ingest' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'ingest service failed to start');
  process.exitCode = 1;
});
