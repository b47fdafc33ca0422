/**
 * Microservices mode: the gateway alone in its own process.
 * loadConfig -> gRPC clients (storage, lifecycle) -> Express app -> HTTP server.
 */
import { ConfigError, createLogger, errorSummary, loadConfig, onShutdown } from '@confide/platform';
import { gatewayConfigSchema } from './config';
import { createGatewayModule } from './gateway.module';

async function main(): Promise<void> {
  const config = loadConfig(gatewayConfigSchema);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const module = createGatewayModule({ logger, config });
  await module.start();
  onShutdown(logger, async () => {
    await module.stop();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'gateway' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'gateway failed to start');
  process.exitCode = 1;
});
