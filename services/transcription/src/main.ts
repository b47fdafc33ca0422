/**
 * Microservices mode: the transcription service alone in its own process.
 * loadConfig -> logger -> telemetry -> engine (pocketsphinx) -> keys (KMS + key registry at
 * KEY_REGISTRY_GRPC_ADDR) -> event bus (Kafka, every payload encrypted) -> module (use case,
 * destroys the audio key when a meeting's transcription completes) -> gRPC server.
 */
import {
  ConfigError,
  GrpcServer,
  KMS_DEFAULTS,
  createEventBusFromConfig,
  createServiceKeys,
  BusDecisionAuditor,
  loadServiceAuthorization,
  requireServiceSigner,
  createLogger,
  errorSummary,
  loadConfig,
  loadTlsSettings,
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
  // TLS 1.3 for the listener and the clients when TLS_CERT_FILE/TLS_KEY_FILE are set (read once; ConfigError otherwise).
  const tls = loadTlsSettings(config);
  const telemetry = await startTelemetry({ serviceName: 'transcription' });
  const engine = createPocketsphinxEngine(config, logger);
  engine.assertAvailable();
  // Its identity towards storage's KeyRegistryService (ADR 0009): every registry call is signed.
  const signer = await requireServiceSigner(config, { service: 'transcription', why: 'the key registry authorizes transcription by its signed assertions' });
  const keys = await createServiceKeys(config, logger, { tls, signer });
  const bus = keys.protect(
    await createEventBusFromConfig(config, logger, 'confide-transcription').catch((err: unknown) => {
      keys.close();
      throw err;
    }),
  );
  // Its callers (the gateway) and their end users are authorized per RPC (ADR 0009); audited
  // decisions go to the tenant's chain over confide.audit.v1 (docs/adr/0014-audit-over-the-bus.md).
  const authz = await loadServiceAuthorization(config, {
    service: 'transcription',
    logger,
    auditor: new BusDecisionAuditor({ bus, logger: logger.child({ component: 'access-audit' }) }),
  }).catch(async (err: unknown) => {
    await bus.close();
    keys.close();
    throw err;
  });
  // audioKeys: the meeting's audio key is destroyed once its transcription completed (crypto-shredding).
  const module = createTranscriptionModule({ logger, bus, engine, audioKeys: keys.keyring, authorization: authz.rpc });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger, tls });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    keys.close();
    authz.close();
    throw err;
  }
  await keys.reportHealth(server, module.grpcServices.map((s) => s.name));
  logger.info({ port: running.port, engine: engine.info.engine, eventBus: config.EVENT_BUS, kms: config.KMS ?? KMS_DEFAULTS.KMS }, 'transcription service listening');
  onShutdown(logger, async () => {
    keys.health.stop();
    await running.stop();
    await bus.close();
    keys.close();
    authz.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'transcription' });
  // ConfigError and AppError messages name variables/paths only, never secret values.
  const message = err instanceof Error && (err instanceof ConfigError || 'kind' in err) ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'transcription service failed to start');
  process.exitCode = 1;
});
