/**
 * Microservices mode: the insights service alone in its own process.
 * loadConfig -> adapters (bus, rules, engine) -> module (use cases) -> gRPC server.
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
  startTelemetry,
  type EventBus,
  type Logger,
} from '@confide/platform';
import { loadAlertRulesFile } from './adapters/rules/alert-rules.file';
import { insightsConfigSchema, type InsightsConfig } from './config';
import { createInsightsModule, insightsModuleOptions } from './insights.module';

function createBus(config: InsightsConfig, logger: Logger): EventBus {
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
  const config = loadConfig(insightsConfigSchema);
  const telemetry = await startTelemetry({ serviceName: 'confide-insights' });
  const logger = createLogger({ service: 'insights', level: config.LOG_LEVEL });
  const bus = createBus(config, logger);
  const rules = config.INSIGHTS_RULES_FILE ? await loadAlertRulesFile(config.INSIGHTS_RULES_FILE) : undefined;
  const module = createInsightsModule({ logger, bus, ...insightsModuleOptions(config, rules) });
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger });
  const running = await runServiceModules({ modules: [module], server, logger, telemetry });
  logger.info({ port: running.port }, 'insights service listening');
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
