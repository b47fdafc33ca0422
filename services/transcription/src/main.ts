/**
 * Microservices mode: the transcription service alone in its own process.
 * loadConfig -> logger -> telemetry -> engine (pocketsphinx) -> event bus (Kafka)
 * -> module (use case) -> gRPC server.
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
import { createPocketsphinxEngine } from './adapters/pocketsphinx/create-pocketsphinx-engine';
import { transcriptionConfigSchema } from './config';
import { createTranscriptionModule } from './transcription.module';

async function main(): Promise<void> {
  const config = loadConfig(transcriptionConfigSchema);
  const logger = createLogger({ service: 'transcription', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'transcription' });
  const engine = createPocketsphinxEngine(config, logger);
  engine.assertAvailable();
  const bus = await createEventBusFromConfig(config, logger, 'confide-transcription');
  const module = createTranscriptionModule({ logger, bus, engine });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    throw err;
  }
  logger.info({ port: running.port, engine: engine.info.engine, eventBus: config.EVENT_BUS }, 'transcription service listening');
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
