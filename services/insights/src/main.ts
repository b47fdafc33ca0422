/**
 * Microservices mode: the insights service alone in its own process.
 * loadConfig -> logger -> telemetry -> event bus (Kafka), rules -> module (use cases) -> gRPC server.
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
import { loadAlertRulesFile } from './adapters/rules/alert-rules.file';
import { insightsConfigSchema } from './config';
import { createInsightsModule, insightsModuleOptions } from './insights.module';

async function main(): Promise<void> {
  const config = loadConfig(insightsConfigSchema);
  const logger = createLogger({ service: 'insights', level: config.LOG_LEVEL });
  const telemetry = await startTelemetry({ serviceName: 'insights' });
  const rules = config.INSIGHTS_RULES_FILE ? await loadAlertRulesFile(config.INSIGHTS_RULES_FILE) : undefined;
  const bus = await createEventBusFromConfig(config, logger, 'confide-insights');
  const module = createInsightsModule({ logger, bus, ...insightsModuleOptions(config, rules) });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    throw err;
  }
  logger.info({ port: running.port, eventBus: config.EVENT_BUS }, 'insights service listening');
  onShutdown(logger, async () => {
    await running.stop();
    await bus.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'insights' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'insights service failed to start');
  process.exitCode = 1;
});
