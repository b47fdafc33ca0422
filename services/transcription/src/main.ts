/**
 * Microservices mode: the transcription service alone in its own process.
 * loadConfig -> adapters (bus, engine) -> module (use case) -> gRPC server.
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
import { createPocketsphinxEngine } from './adapters/pocketsphinx/create-pocketsphinx-engine';
import { transcriptionConfigSchema, type TranscriptionConfig } from './config';
import { createTranscriptionModule } from './transcription.module';

function createBus(config: TranscriptionConfig, logger: Logger): EventBus {
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
  const config = loadConfig(transcriptionConfigSchema);
  const logger = createLogger({ service: 'transcription', level: config.LOG_LEVEL });
  const engine = createPocketsphinxEngine(config, logger);
  engine.assertAvailable();
  const bus = createBus(config, logger);
  const module = createTranscriptionModule({ logger, bus, engine });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  const running = await runServiceModules({ modules: [module], server, logger });
  logger.info({ port: running.port, engine: engine.info.engine }, 'transcription service listening');
  onShutdown(logger, async () => {
    await running.stop();
    await bus.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'transcription' });
  // ConfigError and AppError messages name variables/paths only, never secret values.
  const message = err instanceof Error && (err instanceof ConfigError || 'kind' in err) ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'transcription service failed to start');
  process.exitCode = 1;
});
