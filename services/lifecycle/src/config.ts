import { keyRegistryEnvShape, zPostgresUrl, kmsEnvShape, zBool, parseHostPort, refineTlsEnv, serviceIdentityEnvShape, tlsEnvShape, zCsv, zDurationMs, zTlsListenAddress } from '@confide/platform';
import { z } from 'zod';

const zPeerAddress = z.string().refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port' });

/**
 * Environment of the lifecycle service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const lifecycleConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). */
  GRPC_ADDR: zTlsListenAddress.default('127.0.0.1:50056'),
  /**
   * TLS_CERT_FILE / TLS_KEY_FILE: serve TLS 1.3 only (any address; without them loopback only) and
   * present the certificate to peers; TLS_CA_FILE: require and verify peers' certificates (mTLS).
   * See docs/adr/0008-tls.md and `pnpm certs:dev`.
   */
  ...tlsEnvShape,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Event bus adapter; "in-process" only makes sense for a standalone smoke run. */
  EVENT_BUS: z.enum(['kafka', 'in-process']).default('kafka'),
  KAFKA_BROKERS: zCsv.optional(),
  /** KMS (KMS, VAULT_*, KMS_*): see packages/platform/README.md. */
  ...kmsEnvShape,
  /** The key registry (storage's KeyRegistryService); default STORAGE_GRPC_ADDR. */
  ...keyRegistryEnvShape,
  /**
   * Callers' identities (SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=<pem>`), lifecycle's own key
   * (SUBJECT_ASSERTION_KEY_FILE, required: it calls storage as `lifecycle`) and the policy bundle
   * (POLICY_WASM_PATH). See docs/adr/0009-identity.md.
   */
  ...serviceIdentityEnvShape,
  /** The storage service (PurgeMeeting). */
  STORAGE_GRPC_ADDR: zPeerAddress,
  /** Deadline of a PurgeMeeting call. */
  STORAGE_DEADLINE_MS: zDurationMs.default(10_000),
  /**
   * Lifecycle's PostgreSQL (audit log, certificates, staff grants, erasure outbox; ADR 0011): the
   * same database and application role as storage's DATABASE_URL (no BYPASSRLS).
   */
  DATABASE_URL: zPostgresUrl,
  /** The role that owns the schema and runs the migrations; default DATABASE_URL. */
  MIGRATION_DATABASE_URL: zPostgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  /** Apply lifecycle's pending migrations at start (after storage's). */
  DATABASE_MIGRATE: zBool.default(true),
  /** Cadence of signed audit checkpoints. */
  AUDIT_CHECKPOINT_INTERVAL_MS: zDurationMs.default(60_000),
  /** A tenant with this many unsigned audit entries is checkpointed at once. */
  AUDIT_CHECKPOINT_MAX_UNSIGNED: z.coerce.number().int().positive().default(1000),
  /** Tick of the retention scheduler (leader only: audio-key deadline, then per-tenant retention; ADR 0012). */
  LIFECYCLE_SCHEDULER_INTERVAL: zDurationMs.default(15 * 60_000),
  /** An audio key is destroyed at the latest this long after its meeting ended, even if transcription stalls. */
  AUDIO_KEY_MAX_AGE: zDurationMs.default(72 * 60 * 60_000),
  /** Ended meetings remembered in memory for the retention scheduler (until it persists them). */
  LIFECYCLE_MAX_ENDED_MEETINGS: z.coerce.number().int().positive().default(100_000),
}).superRefine(refineTlsEnv({ listenAddressVariables: ['GRPC_ADDR'] }));

export type LifecycleConfig = z.output<typeof lifecycleConfigSchema>;
