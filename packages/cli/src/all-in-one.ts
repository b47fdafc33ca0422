import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  DevIssuer,
  EnvelopePayloadProtector,
  PolicyEvaluator,
  type Authenticator,
  type DecisionAuditor,
  type GrantStore,
  generateServiceTrust,
  subjectAssertionMetadata,
  systemClock,
  type RpcAuthorizationDeps,
  GrpcKeyRegistry,
  LocalKms,
  MeetingKeyring,
  protectEventBus,
  type EventBus,
  GrpcServer,
  InProcessEventBus,
  createLogger,
  createOidcVerifierFromConfig,
  loadConfig,
  parseHostPort,
  runServiceModules,
  startTelemetry,
  topicSpecs,
  type Logger,
  type ServiceModule,
} from '@confide/platform';
import { createGatewayModule, gatewayConfigSchema, type GatewayConfig } from '@confide/gateway-service';
import { PolicyStreamAccess, createIngestModule, ingestConfigSchema, type IngestConfig } from '@confide/ingest-service';
import { createInsightsModule, insightsConfigSchema, insightsModuleOptions, loadAlertRulesFile } from '@confide/insights-service';
import { GrpcMeetingStore, GrpcStorageMaintenance, createLifecycleModule } from '@confide/lifecycle-service';
import { createStorageModule, defaultStateDir, resolveStorageDatabase, storageConfigSchema } from '@confide/storage-service';
import {
  createPocketsphinxEngine,
  createTranscriptionModule,
  transcriptionConfigSchema,
} from '@confide/transcription-service';
import { allInOneConfigSchema } from './config';

/** A development token request (`RunningPlatform.mintToken`). */
export interface DevTokenRequest {
  tenant: string;
  /** Subject id; default `dev-user`. */
  user?: string;
  /** Default ['admin']. */
  roles?: string[];
  /** Second factor (required for deletions); default false. */
  mfa?: boolean;
  /** Support staff instead of a tenant user (no tenant, no roles; needs a grant). */
  staff?: boolean;
  /** Seconds; default 3600. */
  expiresInSec?: number;
}

export interface RunningPlatform {
  /** host:port of the one gRPC listener (every service). */
  grpcAddress: string;
  /** http://host:port of the REST gateway. */
  httpBaseUrl: string;
  logger: Logger;
  /** The underlying bus (ciphertext only): tests read raw records from it. */
  rawBus: EventBus;
  /**
   * The OIDC issuer the gateway trusts: the local development issuer started here (loopback
   * HTTP, fresh key per start), or the one named by OIDC_ISSUER (then `dev` is false).
   */
  issuer: { url: string; audience: string; dev: boolean };
  /**
   * An access token from the development issuer, verified by the gateway like any issuer's
   * (there is no bypass). Rejects when OIDC_ISSUER names an external issuer.
   */
  mintToken(request: DevTokenRequest): Promise<string>;
  /**
   * Staff grants as the policy reads them: lifecycle's PostgreSQL `staff_grants` (requested,
   * approved, denied and revoked through `/api/access-grants`).
   */
  grants: GrantStore;
  /**
   * The platform's PostgreSQL: the application role's and the migration role's connection
   * strings (in-process only; never logged). For operators' tooling and end-to-end tests.
   */
  database: { kind: string; url: string; migrationUrl: string };
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
    TRANSCRIPTION_GRPC_ADDR: grpcAddress,
    INSIGHTS_GRPC_ADDR: grpcAddress,
    ...(config.STATE_DIR ? { STATE_DIR: config.STATE_DIR } : {}),
    EVENT_BUS: 'in-process',
  };

  const telemetry = await startTelemetry({ serviceName: 'confide' });
  const rawBus = new InProcessEventBus({ logger: logger.child({ component: 'event-bus' }) });
  await rawBus.ensureTopics(topicSpecs);
  // Keys (docs/adr/0010-key-hierarchy.md): the local KMS under STATE_DIR, the key registry hosted
  // by storage on the shared listener, one keyring for the bus and storage's content columns.
  const kms = await LocalKms.open({ dir: join(config.STATE_DIR ?? defaultStateDir(), 'kms'), logger });
  // Identity (docs/adr/0009-identity.md): fresh in-memory service keys for the subject
  // assertions gateway -> storage/lifecycle, lifecycle -> storage, and this process's keyring ->
  // storage's KeyRegistryService. The keyring serves every module of the process (ingest,
  // transcription, insights, lifecycle, storage's content columns), so it signs as `storage`,
  // the service that hosts the registry; the policy lets `storage` read, offer and destroy data
  // keys, never rotate (services.rego).
  const trust = await generateServiceTrust(['gateway', 'lifecycle', 'storage']);
  const keyringSigner = trust.signer('storage');
  const keyRegistry = new GrpcKeyRegistry(grpcAddress, { metadata: async () => subjectAssertionMetadata(await keyringSigner.sign()) });
  const keyring = new MeetingKeyring({ kms, registry: keyRegistry });
  const bus = protectEventBus(rawBus, new EnvelopePayloadProtector(keyring), { logger });

  // The callers' keys are generated in memory (generateServiceTrust below) and injected as
  // `authorization`: SUBJECT_ASSERTION_TRUSTED_KEYS is for storage's own process only.
  const storageConfig = loadConfig(storageConfigSchema, moduleEnv);
  const database = await resolveStorageDatabase(storageConfig, logger);
  const insightsConfig = loadConfig(insightsConfigSchema, moduleEnv);
  const alertRules = insightsConfig.INSIGHTS_RULES_FILE ? await loadAlertRulesFile(insightsConfig.INSIGHTS_RULES_FILE) : undefined;
  // Identity (docs/adr/0009-identity.md): a real local OIDC issuer unless OIDC_ISSUER names
  // one; fresh service keys for the subject assertions gateway -> storage/lifecycle and
  // lifecycle -> storage; one policy evaluator (reloaded when policy.wasm changes).
  const devIssuer = config.OIDC_ISSUER ? undefined : await DevIssuer.start();
  let evaluator: PolicyEvaluator;
  try {
    evaluator = await PolicyEvaluator.load({ logger, ...(config.POLICY_WASM_PATH ? { path: config.POLICY_WASM_PATH } : {}) });
  } catch (err) {
    await devIssuer?.stop();
    throw err;
  }
  const releaseIdentity = async (): Promise<void> => {
    evaluator.close();
    await devIssuer?.stop();
  };
  // Lifecycle (docs/adr/0011): its PostgreSQL tables in storage's database, the local KMS's
  // ed25519 signing key. Its hash-chained audit log records every audited decision of every
  // service here, and its staff_grants table is the policy's GrantStore everywhere.
  // (authorization -> lifecycle -> auditor/grants: the two delegate to the module built below.)
  let lifecycleRecords: { decisionAuditor?: DecisionAuditor; grants?: GrantStore } = {};
  const auditor: DecisionAuditor = {
    record: (decision, input) => {
      if (!lifecycleRecords.decisionAuditor) return Promise.reject(new Error('the audit log is not available'));
      return lifecycleRecords.decisionAuditor.record(decision, input);
    },
    // Key operations (storage's KeyRegistryService: key:destroy, tenant-key:rotate) into the same chain.
    recordOperation: (operation) => {
      const chain = lifecycleRecords.decisionAuditor;
      if (!chain?.recordOperation) return Promise.reject(new Error('the audit log is not available'));
      return chain.recordOperation(operation);
    },
  };
  const grants: GrantStore = {
    grantsFor: (tenant) => {
      if (!lifecycleRecords.grants) return Promise.reject(new Error('the grant store is not available'));
      return lifecycleRecords.grants.grantsFor(tenant);
    },
  };
  const authorization: RpcAuthorizationDeps = { evaluator, verifier: trust.verifier, auditor, grants, clock: systemClock };
  // Lifecycle reaches storage over gRPC on the shared listener, as across processes, under its
  // own service identity.
  const lifecycleStorage = new GrpcMeetingStore(grpcAddress, { signer: trust.signer('lifecycle') });
  const lifecycle = createLifecycleModule({
    logger,
    bus,
    storage: lifecycleStorage,
    authorization,
    // Crypto-erasure first: the process's keyring destroys the meeting's data keys (and drops its plaintext copies).
    keys: keyring,
    persistence: {
      databaseUrl: database.url,
      migrationDatabaseUrl: database.migrationUrl,
      migrate: storageConfig.DATABASE_MIGRATE,
      poolSize: storageConfig.DATABASE_POOL_SIZE,
      kms,
      // EraseTenant's crypto-erasure: the tenant key destroyed in the local KMS.
      tenantKeys: kms,
      checkpointIntervalMs: config.AUDIT_CHECKPOINT_INTERVAL_MS,
      scheduler: {
        maintenance: new GrpcStorageMaintenance(grpcAddress, { signer: trust.signer('lifecycle') }),
        intervalMs: config.LIFECYCLE_SCHEDULER_INTERVAL,
        audioKeyMaxAgeMs: config.AUDIO_KEY_MAX_AGE,
      },
    },
    onStop: () => lifecycleStorage.close(),
  });
  lifecycleRecords = lifecycle;

  // The gateway and ingest verify bearer tokens against the issuer's JWKS over HTTP (as in
  // production), with one verifier (one JWKS cache) for both: they read the same OIDC_* variables.
  const identityEnv = devIssuer ? { OIDC_ISSUER: devIssuer.issuer, OIDC_AUDIENCE: devIssuer.audience, OIDC_JWKS_URL: devIssuer.jwksUrl } : {};
  let gatewayConfig: GatewayConfig;
  let ingestConfig: IngestConfig;
  let authenticator: Authenticator;
  try {
    gatewayConfig = loadConfig(gatewayConfigSchema, { ...moduleEnv, ...identityEnv });
    ingestConfig = loadConfig(ingestConfigSchema, { ...moduleEnv, ...identityEnv });
    authenticator = await createOidcVerifierFromConfig(gatewayConfig);
  } catch (err) {
    lifecycleStorage.close();
    await releaseIdentity();
    throw err;
  }
  const gateway = createGatewayModule({
    logger,
    config: gatewayConfig,
    access: { authenticator, evaluator, auditor, grants, assertionSigner: trust.signer('gateway') },
  });

  const modules: ServiceModule[] = [
    createStorageModule({
      logger,
      bus,
      databaseUrl: database.url,
      poolSize: storageConfig.DATABASE_POOL_SIZE,
      migrate: storageConfig.DATABASE_MIGRATE,
      // The KMS too: tenant-key rotation (POST /api/tenant/keys/rotate) rotates in the local KMS.
      keys: { keyring, kms },
      authorization,
    }),
    lifecycle,
    createInsightsModule({
      logger,
      bus,
      authorization,
      ...insightsModuleOptions(insightsConfig, alertRules),
    }),
    createTranscriptionModule({
      logger,
      bus,
      engine: createPocketsphinxEngine(loadConfig(transcriptionConfigSchema, moduleEnv)),
      authorization,
      audioKeys: keyring,
    }),
    createIngestModule({
      logger,
      bus,
      config: ingestConfig,
      // StreamMeeting callers present the end user's token; the policy decides meeting:stream.
      access: new PolicyStreamAccess({ authenticator, evaluator, auditor }),
    }),
    gateway,
  ];

  const server = new GrpcServer({ address: grpcAddress, logger });
  let running: Awaited<ReturnType<typeof runServiceModules>>;
  try {
    running = await runServiceModules({ modules, server, logger, telemetry });
  } catch (err) {
    lifecycleStorage.close();
    await bus.close();
    keyRegistry.close();
    await database.stop();
    await releaseIdentity();
    throw err;
  }
  const httpBaseUrl = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${gateway.httpPort ?? http.port}`;
  logger.info(
    { grpc: grpcAddress, http: httpBaseUrl, database: database.kind, oidcIssuer: gatewayConfig.OIDC_ISSUER, devIssuer: devIssuer !== undefined },
    'confide all-in-one ready',
  );

  let stopped: Promise<void> | undefined;
  return {
    grpcAddress,
    httpBaseUrl,
    logger,
    rawBus,
    issuer: {
      url: gatewayConfig.OIDC_ISSUER,
      audience: gatewayConfig.OIDC_AUDIENCE[0] ?? '',
      dev: devIssuer !== undefined,
    },
    grants,
    database: { kind: database.kind, url: database.url, migrationUrl: database.migrationUrl },
    mintToken: async (request: DevTokenRequest) => {
      if (!devIssuer) throw new Error('OIDC_ISSUER names an external issuer: obtain tokens from it');
      return devIssuer.mint({
        sub: request.user ?? 'dev-user',
        ...(request.staff ? { staff: true } : { tenant: request.tenant, roles: request.roles ?? ['admin'] }),
        mfa: request.mfa ?? false,
        expiresInSec: request.expiresInSec ?? 3600,
      });
    },
    stop: () =>
      (stopped ??= (async () => {
        await running.stop();
        await bus.close();
        keyRegistry.close();
        await database.stop();
        await releaseIdentity();
      })()),
  };
}
