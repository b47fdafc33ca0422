/**
 * Microservices mode: the insights service alone in its own process.
 * loadConfig -> logger -> telemetry -> keys (KMS + key registry at KEY_REGISTRY_GRPC_ADDR) ->
 * event bus (Kafka, every payload encrypted), rules -> module (use cases) -> gRPC server.
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
import { loadAlertRulesFile } from './adapters/rules/alert-rules.file';
import { insightsConfigSchema } from './config';
import { createInsightsModule, insightsModuleOptions } from './insights.module';

async function main(): Promise<void> {
  const config = loadConfig(insightsConfigSchema);
  const logger = createLogger({ service: 'insights', level: config.LOG_LEVEL });
  // TLS 1.3 for the listener and the clients when TLS_CERT_FILE/TLS_KEY_FILE are set (read once; ConfigError otherwise).
  const tls = loadTlsSettings(config);
  const telemetry = await startTelemetry({ serviceName: 'insights' });
  const rules = config.INSIGHTS_RULES_FILE ? await loadAlertRulesFile(config.INSIGHTS_RULES_FILE) : undefined;
  // Its identity towards storage's KeyRegistryService (ADR 0009): every registry call is signed.
  const signer = await requireServiceSigner(config, { service: 'insights', why: 'the key registry authorizes insights by its signed assertions' });
  const keys = await createServiceKeys(config, logger, { tls, signer });
  const bus = keys.protect(
    await createEventBusFromConfig(config, logger, 'confide-insights').catch((err: unknown) => {
      keys.close();
      throw err;
    }),
  );
  // Its callers (the gateway) and their end users are authorized per RPC (ADR 0009); audited
  // decisions go to the tenant's chain over confide.audit.v1 (docs/adr/0014-audit-over-the-bus.md).
  const authz = await loadServiceAuthorization(config, {
    service: 'insights',
    logger,
    auditor: new BusDecisionAuditor({ bus, logger: logger.child({ component: 'access-audit' }) }),
  }).catch(async (err: unknown) => {
    await bus.close();
    keys.close();
    throw err;
  });
  const module = createInsightsModule({ logger, bus, authorization: authz.rpc, ...insightsModuleOptions(config, rules) });
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
  logger.info({ port: running.port, eventBus: config.EVENT_BUS, kms: config.KMS ?? KMS_DEFAULTS.KMS }, 'insights service listening');
  onShutdown(logger, async () => {
    keys.health.stop();
    await running.stop();
    await bus.close();
    keys.close();
    authz.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'insights' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'insights service failed to start');
  process.exitCode = 1;
});
