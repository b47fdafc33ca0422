import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  EnvelopePayloadProtector,
  GrpcKeyRegistry,
  LocalKms,
  MeetingKeyring,
  protectEventBus,
  type EventBus,
  GrpcServer,
  InProcessEventBus,
  createLogger,
  loadConfig,
  parseHostPort,
  runServiceModules,
  startTelemetry,
  topicSpecs,
  type Logger,
  type ServiceModule,
} from '@confide/platform';
import { createGatewayModule, gatewayConfigSchema } from '@confide/gateway-service';
import { createIngestModule, ingestConfigSchema } from '@confide/ingest-service';
import { createInsightsModule, insightsConfigSchema, insightsModuleOptions, loadAlertRulesFile } from '@confide/insights-service';
import { GrpcMeetingStore, createLifecycleModule } from '@confide/lifecycle-service';
import { createStorageModule, defaultStateDir, resolveStorageDatabase, storageConfigSchema } from '@confide/storage-service';
import {
  createPocketsphinxEngine,
  createTranscriptionModule,
  transcriptionConfigSchema,
} from '@confide/transcription-service';
import { allInOneConfigSchema } from './config';

export interface RunningPlatform {
  /** host:port of the one gRPC listener (every service). */
  grpcAddress: string;
  /** http://host:port of the REST gateway. */
  httpBaseUrl: string;
  logger: Logger;
  /** The underlying bus (ciphertext only): tests read raw records from it. */
  rawBus: EventBus;
  stop(): Promise<void>;
}

/** Binds port 0 on the host and returns the port the kernel picked (then frees it). */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** host:port with port 0 replaced by a free port, so peers can be told the address up front. */
async function concreteAddress(address: string, variable: string): Promise<{ host: string; port: number }> {
  const parsed = parseHostPort(address);
  if (!parsed) throw new Error(`${variable} must be host:port`);
  const host = parsed.host.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port === 0 ? await freePort(host) : parsed.port };
}

/**
 * All-in-one mode (ARCHITECTURE.md "Modes"): the six services as modules in one process,
 * with the in-process event bus, an embedded PostgreSQL (unless DATABASE_URL is set) and
 * the local pocketsphinx engine. One gRPC listener hosts every service; the gateway and
 * lifecycle reach storage over gRPC on it, as they would across processes.
 *
 * `overrides` take precedence over `env`; every service reads its own variables from the
 * merged environment through its own schema.
 */
export async function startAllInOne(
  overrides: Record<string, string | undefined> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningPlatform> {
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  const config = loadConfig(allInOneConfigSchema, merged);
  const logger = createLogger({ service: 'confide', level: config.LOG_LEVEL });

  const grpc = await concreteAddress(config.GRPC_ADDR, 'GRPC_ADDR');
  const http = await concreteAddress(config.GATEWAY_HTTP_ADDR, 'GATEWAY_HTTP_ADDR');
  const grpcAddress = `${grpc.host.includes(':') ? `[${grpc.host}]` : grpc.host}:${grpc.port}`;
  const moduleEnv: NodeJS.ProcessEnv = {
    ...merged,
    GRPC_ADDR: grpcAddress,
    GATEWAY_HTTP_ADDR: `${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}`,
    STORAGE_GRPC_ADDR: grpcAddress,
    LIFECYCLE_GRPC_ADDR: grpcAddress,
    ...(config.STATE_DIR ? { STATE_DIR: config.STATE_DIR } : {}),
    EVENT_BUS: 'in-process',
  };

  const telemetry = await startTelemetry({ serviceName: 'confide' });
  const rawBus = new InProcessEventBus({ logger: logger.child({ component: 'event-bus' }) });
  await rawBus.ensureTopics(topicSpecs);
  // Keys (docs/adr/0010-key-hierarchy.md): the local KMS under STATE_DIR, the key registry hosted
  // by storage on the shared listener, one keyring for the bus and storage's content columns.
  const kms = await LocalKms.open({ dir: join(config.STATE_DIR ?? defaultStateDir(), 'kms'), logger });
  const keyRegistry = new GrpcKeyRegistry(grpcAddress);
  const keyring = new MeetingKeyring({ kms, registry: keyRegistry });
  const bus = protectEventBus(rawBus, new EnvelopePayloadProtector(keyring), { logger });

  const storageConfig = loadConfig(storageConfigSchema, moduleEnv);
  const database = await resolveStorageDatabase(storageConfig, logger);
  const insightsConfig = loadConfig(insightsConfigSchema, moduleEnv);
  const alertRules = insightsConfig.INSIGHTS_RULES_FILE ? await loadAlertRulesFile(insightsConfig.INSIGHTS_RULES_FILE) : undefined;
  const gateway = createGatewayModule({ logger, config: loadConfig(gatewayConfigSchema, moduleEnv) });

  const modules: ServiceModule[] = [
    createStorageModule({
      logger,
      bus,
      databaseUrl: database.url,
      poolSize: storageConfig.DATABASE_POOL_SIZE,
      migrate: storageConfig.DATABASE_MIGRATE,
      keys: { keyring },
    }),
    (() => {
      // Lifecycle reaches storage over gRPC on the shared listener, as across processes.
      const store = new GrpcMeetingStore(grpcAddress);
      return createLifecycleModule({ logger, bus, storage: store, onStop: () => store.close() });
    })(),
    createInsightsModule({
      logger,
      bus,
      ...insightsModuleOptions(insightsConfig, alertRules),
    }),
    createTranscriptionModule({
      logger,
      bus,
      engine: createPocketsphinxEngine(loadConfig(transcriptionConfigSchema, moduleEnv)),
      audioKeys: keyring,
    }),
    createIngestModule({ logger, bus, config: loadConfig(ingestConfigSchema, moduleEnv) }),
    gateway,
  ];

  const server = new GrpcServer({ address: grpcAddress, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules, server, logger, telemetry });
  } catch (err) {
    await bus.close();
    keyRegistry.close();
    await database.stop();
    throw err;
  }
  const httpBaseUrl = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${gateway.httpPort ?? http.port}`;
  logger.info({ grpc: grpcAddress, http: httpBaseUrl, database: database.kind }, 'confide all-in-one ready');

  let stopped: Promise<void> | undefined;
  return {
    grpcAddress,
    httpBaseUrl,
    logger,
    rawBus,
    stop: () =>
      (stopped ??= (async () => {
        await running.stop();
        await bus.close();
        keyRegistry.close();
        await database.stop();
      })()),
  };
}
