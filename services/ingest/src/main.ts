/**
 * Microservices mode: the ingest service alone in its own process.
 * loadConfig -> adapters (bus) -> module (use cases) -> gRPC server.
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
  type EventBus,
  type Logger,
} from '@confide/platform';
import { ingestConfigSchema, type IngestConfig } from './config';
import { createIngestModule } from './ingest.module';

function createBus(config: IngestConfig, logger: Logger): EventBus {
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
  const config = loadConfig(ingestConfigSchema);
  const logger = createLogger({ service: 'ingest', level: config.LOG_LEVEL });
  const bus = createBus(config, logger);
  const module = createIngestModule({ logger, bus, config });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  const running = await runServiceModules({ modules: [module], server, logger });
  logger.info({ port: running.port }, 'ingest service listening');
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
