/**
 * Microservices mode: the lifecycle service alone in its own process.
 * loadConfig -> logger -> telemetry -> keys (KMS + key registry at KEY_REGISTRY_GRPC_ADDR, default
 * STORAGE_GRPC_ADDR) -> event bus (Kafka, every payload encrypted), storage client
 * (STORAGE_GRPC_ADDR), identity (SUBJECT_ASSERTION_*) -> module with its PostgreSQL (DATABASE_URL:
 * audit log, certificates, grants, erasure outbox) -> gRPC server.
 */
import {
  ConfigError,
  GrpcServer,
  KMS_DEFAULTS,
  createEventBusFromConfig,
  createServiceKeys,
  createLogger,
  errorSummary,
  grpcClientCredentials,
  loadServiceAuthorization,
  loadConfig,
  loadTlsSettings,
  onShutdown,
  runServiceModules,
  startTelemetry,
  type DecisionAuditor,
  type GrantStore,
} from '@confide/platform';
import { GrpcMeetingStore } from './adapters/storage-client/storage.grpc-client';
import { GrpcStorageMaintenance } from './adapters/storage-client/storage-maintenance.grpc-client';
import { lifecycleConfigSchema } from './config';
import { createLifecycleModule, type LifecycleModule } from './lifecycle.module';

async function main(): Promise<void> {
  const config = loadConfig(lifecycleConfigSchema);
  const logger = createLogger({ service: 'lifecycle', level: config.LOG_LEVEL });
  // TLS 1.3 for the listener and the clients when TLS_CERT_FILE/TLS_KEY_FILE are set (read once; ConfigError otherwise).
  const tls = loadTlsSettings(config);
  const telemetry = await startTelemetry({ serviceName: 'lifecycle' });
  // Identity first (ADR 0009): lifecycle's signer authenticates its calls to storage, the key
  // registry's included, so it must exist before the keys. The policy's audited decisions and
  // staff grants come from this module's own persistence once it is built (forwarders: the
  // module needs authz first).
  let lifecycle: LifecycleModule | undefined = undefined;
  // Lifecycle appends its own decisions straight to the chain (no bus round trip); until the module
  // exists nothing can be recorded, so nothing is allowed (fail closed).
  const chain = (): NonNullable<LifecycleModule['decisionAuditor']> => {
    if (!lifecycle?.decisionAuditor) throw new Error('the audit log is not available yet');
    return lifecycle.decisionAuditor;
  };
  const auditor: DecisionAuditor = {
    record: async (decision, input) => chain().record(decision, input),
    recordOperation: async (operation) => {
      const target = chain();
      if (!target.recordOperation) throw new Error('the audit log records no operations');
      await target.recordOperation(operation);
    },
  };
  const grants: GrantStore = { grantsFor: async (tenant) => (lifecycle?.grants ? lifecycle.grants.grantsFor(tenant) : []) };
  const authz = await loadServiceAuthorization(
    config,
    { service: 'lifecycle', logger, auditor, grants },
  );
  if (!authz.signer) {
    authz.close();
    throw new ConfigError([{ variable: 'SUBJECT_ASSERTION_KEY_FILE', problem: 'is required (lifecycle calls storage under its own identity)' }]);
  }
  const signer = authz.signer;
  let keys: Awaited<ReturnType<typeof createServiceKeys>>;
  try {
    keys = await createServiceKeys({ ...config, KEY_REGISTRY_GRPC_ADDR: config.KEY_REGISTRY_GRPC_ADDR ?? config.STORAGE_GRPC_ADDR }, logger, { tls, signer });
  } catch (err) {
    authz.close();
    throw err;
  }
  const bus = keys.protect(
    await createEventBusFromConfig(config, logger, 'confide-lifecycle').catch((err: unknown) => {
      keys.close();
      authz.close();
      throw err;
    }),
  );
  const storage = new GrpcMeetingStore(config.STORAGE_GRPC_ADDR, {
    deadlineMs: config.STORAGE_DEADLINE_MS,
    signer,
    credentials: grpcClientCredentials(config.STORAGE_GRPC_ADDR, tls),
  });
  const module = createLifecycleModule({
    logger,
    bus,
    storage,
    authorization: authz.rpc,
    // Crypto-erasure through the key registry (storage), dropping this process's plaintext copies.
    keys: keys.keyring,
    persistence: {
      databaseUrl: config.DATABASE_URL,
      migrationDatabaseUrl: config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL,
      migrate: config.DATABASE_MIGRATE,
      poolSize: config.DATABASE_POOL_SIZE,
      kms: keys.kms,
      // EraseTenant's crypto-erasure: the tenant key destroyed in the same KMS (Vault Transit).
      tenantKeys: keys.kms,
      checkpointIntervalMs: config.AUDIT_CHECKPOINT_INTERVAL_MS,
      maxUnsigned: config.AUDIT_CHECKPOINT_MAX_UNSIGNED,
      scheduler: {
        maintenance: new GrpcStorageMaintenance(config.STORAGE_GRPC_ADDR, {
          deadlineMs: config.STORAGE_DEADLINE_MS,
          signer,
          credentials: grpcClientCredentials(config.STORAGE_GRPC_ADDR, tls),
        }),
        intervalMs: config.LIFECYCLE_SCHEDULER_INTERVAL,
        audioKeyMaxAgeMs: config.AUDIO_KEY_MAX_AGE,
      },
    },
    onStop: () => {
      storage.close();
      authz.close();
    },
  });
  lifecycle = module;
  const server = new GrpcServer({ address: config.GRPC_ADDR, logger, tls });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules: [module], server, logger, telemetry });
  } catch (err) {
    await bus.close();
    keys.close();
    throw err;
  }
  await keys.reportHealth(server, module.grpcServices.map((s) => s.name));
  logger.info({ port: running.port, eventBus: config.EVENT_BUS, kms: config.KMS ?? KMS_DEFAULTS.KMS }, 'lifecycle service listening');
  onShutdown(logger, async () => {
    keys.health.stop();
    await running.stop();
    await bus.close();
    keys.close();
  });
}

main().catch((err: unknown) => {
  const logger = createLogger({ service: 'lifecycle' });
  // ConfigError messages name variables only, never values.
  const message = err instanceof ConfigError ? err.message : undefined;
  logger.fatal({ err: errorSummary(err), ...(message ? { reason: message } : {}) }, 'lifecycle service failed to start');
  process.exitCode = 1;
});
