/**
 * Microservices mode: the ingest service alone in its own process.
 * loadConfig -> logger -> telemetry -> keys (KMS + key registry at KEY_REGISTRY_GRPC_ADDR) ->
 * event bus (Kafka, every payload encrypted) -> module (use cases) -> gRPC server.
 */
import {
  ConfigError,
  GrpcServer,
  KMS_DEFAULTS,
  createEventBusFromConfig,
  createServiceKeys,
  requireServiceSigner,
  createLogger,
  createOidcVerifierFromConfig,
  BusDecisionAuditor,
  PolicyEvaluator,
  errorSummary,
  loadConfig,
  loadTlsSettings,
  onShutdown,
  runServiceModules,
  startTelemetry,
} from '@confide/platform';
import { ingestConfigSchema } from './config';
import { createIngestModule } from './ingest.module';
import { PolicyStreamAccess } from './adapters/policy/policy.stream-access';

async function main(): Promise<void> {
  const config = loadConfig(ingestConfigSchema);
  const logger = createLogger({ service: 'ingest', level: config.LOG_LEVEL });
  // TLS 1.3 for the listener and the clients when TLS_CERT_FILE/TLS_KEY_FILE are set (read once; ConfigError otherwise).
  const tls = loadTlsSettings(config);
  const telemetry = await startTelemetry({ serviceName: 'ingest' });
  // Keys first (docs/adr/0010-key-hierarchy.md): a configuration error stops the start before any connection.
  // Its identity towards storage's KeyRegistryService (ADR 0009): every registry call is signed.
  const signer = await requireServiceSigner(config, { service: 'ingest', why: 'the key registry authorizes ingest by its signed assertions' });
  // Who may stream (docs/adr/0009-identity.md): the end user's OIDC token + the `meeting:stream` policy.
  const authenticator = await createOidcVerifierFromConfig(config);
  const evaluator = await PolicyEvaluator.load({ logger, ...(config.POLICY_WASM_PATH ? { path: config.POLICY_WASM_PATH } : {}) });
  const keys = await createServiceKeys(config, logger, { tls, signer }).catch((err: unknown) => {
    evaluator.close();
    throw err;
  });
  const bus = keys.protect(
    await createEventBusFromConfig(config, logger, 'confide-ingest').catch((err: unknown) => {
      keys.close();
      evaluator.close();
      throw err;
    }),
  );
  // Denied streams go to the tenant's audit chain over confide.audit.v1 (docs/adr/0014-audit-over-the-bus.md).
  const auditor = new BusDecisionAuditor({ bus, logger: logger.child({ component: 'access-audit' }) });
  const access = new PolicyStreamAccess({ authenticator, evaluator, auditor });
  const module = createIngestModule({ logger, bus, config, access });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger, tls });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    keys.close();
    evaluator.close();
    throw err;
  }
  await keys.reportHealth(server, module.grpcServices.map((s) => s.name));
  logger.info({ port: running.port, eventBus: config.EVENT_BUS, kms: config.KMS ?? KMS_DEFAULTS.KMS }, 'ingest service listening');
  onShutdown(logger, async () => {
    keys.health.stop();
    await running.stop();
    await bus.close();
    keys.close();
    evaluator.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'ingest' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'ingest service failed to start');
  process.exitCode = 1;
});
