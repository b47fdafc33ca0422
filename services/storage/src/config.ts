import { kmsEnvShape, zPostgresUrl, refineTlsEnv, serviceIdentityEnvShape, tlsEnvShape, zBool, zCsv, zTlsListenAddress } from '@confide/platform';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Environment of the storage service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const storageConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). */
  GRPC_ADDR: zTlsListenAddress.default('127.0.0.1:50055'),
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
  /** KMS (KMS, VAULT_*, KMS_*): see packages/platform/README.md. Storage hosts the key registry itself. */
  ...kmsEnvShape,
  /**
   * Callers' identities (SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=<pem>,lifecycle=<pem>`) and the
   * policy bundle (POLICY_WASM_PATH): every RPC is authorized (docs/adr/0009-identity.md).
   */
  ...serviceIdentityEnvShape,
  /**
   * Lifecycle's `host:port`: staff grants for the staff reads storage decides
   * (AccessGrantService.ListActiveGrantsForPolicy, signed with SUBJECT_ASSERTION_KEY_FILE, which
   * it then requires). Unset: no grants, every staff read is refused (fail closed).
   */
  LIFECYCLE_GRPC_ADDR: z.string().min(1).optional(),
  /**
   * External PostgreSQL (postgres://...) as the application role: not superuser, no
   * BYPASSRLS, not the owner of the tables (row-level security applies to it).
   * Unset: the embedded PostgreSQL under STATE_DIR.
   */
  DATABASE_URL: zPostgresUrl.optional(),
  /**
   * External PostgreSQL as the role that owns the schema and runs the migrations.
   * Default: DATABASE_URL. Only with DATABASE_URL (the embedded database has its own).
   */
  MIGRATION_DATABASE_URL: zPostgresUrl.optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Apply pending migrations at start (set false when a migration job does it). */
  DATABASE_MIGRATE: zBool.default(true),
  /** State folder of the embedded defaults; the embedded cluster lives in <STATE_DIR>/postgres. */
  STATE_DIR: z.string().min(1).optional(),
  /** Port of the embedded PostgreSQL on 127.0.0.1; 0 = a free port. */
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(0).max(65535).default(0),
})
  .superRefine(refineTlsEnv({ listenAddressVariables: ['GRPC_ADDR'] }))
  .superRefine((config, ctx) => {
  if (config.MIGRATION_DATABASE_URL !== undefined && config.DATABASE_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['MIGRATION_DATABASE_URL'], message: 'needs DATABASE_URL (the embedded database has its own migration role)' });
  }
});

export type StorageConfig = z.output<typeof storageConfigSchema>;

/** `.state/` at the repository root (the folder holding pnpm-workspace.yaml), else under the working directory. */
export function defaultStateDir(startDir: string = __dirname): string {
  let dir = resolve(startDir);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return join(dir, '.state');
    const parent = dirname(dir);
    if (parent === dir) return resolve(process.cwd(), '.state');
    dir = parent;
  }
}
