/**
 * Microservices mode: the gateway alone in its own process.
 * loadConfig -> logger -> telemetry -> gRPC clients (STORAGE_GRPC_ADDR, LIFECYCLE_GRPC_ADDR)
 * -> Express app -> HTTP server. The gateway publishes and consumes no events (no bus) and
 * serves no gRPC; its health is GET /healthz (liveness) and GET /readyz (peers SERVING).
 */
import { ConfigError, createLogger, errorSummary, loadConfig, onShutdown, startTelemetry } from '@confide/platform';
import { gatewayConfigSchema } from './config';
import { createGatewayModule } from './gateway.module';

async function main(): Promise<void> {
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'gateway' });
  const module = createGatewayModule({ logger, config });
  await module.start();
  onShutdown(logger, async () => {
    await module.stop();
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
