/**
 * Microservices mode: the gateway alone in its own process.
 * loadConfig -> logger -> telemetry -> audit bus (KAFKA_BROKERS: every audited decision is
 * published to confide.audit.v1 and must be acknowledged before the access is served) -> gRPC
 * clients (STORAGE_GRPC_ADDR, LIFECYCLE_GRPC_ADDR) -> Express app -> HTTP server. The gateway
 * consumes no events and serves no gRPC; its health is GET /healthz (liveness) and GET /readyz
 * (peers SERVING).
 */
import { ConfigError, createAuditBusFromConfig, createLogger, errorSummary, loadConfig, onShutdown, startTelemetry } from '@confide/platform';
import { gatewayConfigSchema } from './config';
import { createGatewayModule } from './gateway.module';

async function main(): Promise<void> {
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'gateway' });
  // Audited decisions into lifecycle's per-tenant chain over confide.audit.v1 (fail closed:
  // docs/adr/0014-audit-over-the-bus.md).
  const audit = await createAuditBusFromConfig(config, logger, 'confide-gateway');
  const module = createGatewayModule({ logger, config, access: { auditor: audit.auditor } });
  try {
    await module.start();
  } catch (err) {
    await audit.close();
    throw err;
  }
  onShutdown(logger, async () => {
    await module.stop();
    await audit.close();
    await telemetry.shutdown();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'gateway' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'gateway failed to start');
  process.exitCode = 1;
});
