import { keyRegistryEnvShape, oidcEnvShape, serviceSignerEnvShape, kmsEnvShape, refineTlsEnv, tlsEnvShape, zCsv, zDurationMs, zTlsListenAddress } from '@confide/platform';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Environment of the ingest service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const ingestConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). Loopback only until TLS lands. */
  GRPC_ADDR: zTlsListenAddress.default('127.0.0.1:50051'),
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
  /** The key registry (storage's KeyRegistryService); required by main.ts (microservices mode). */
  ...keyRegistryEnvShape,
  /**
   * SUBJECT_ASSERTION_KEY_FILE: this service's PKCS#8 PEM key (Ed25519 or P-256). Its calls to
   * the key registry carry an assertion signed with it (ADR 0009); required by main.ts.
   */
  ...serviceSignerEnvShape,
  /**
   * The end users' identity provider: a StreamMeeting call carries the user's access token
   * (`authorization: Bearer <jwt>` metadata), verified against OIDC_ISSUER's keys, and the
   * policy decides `meeting:stream` on the meeting its start message names. OIDC_ISSUER is
   * required (there is no open mode); see @confide/platform oidcEnvShape for OIDC_AUDIENCE,
   * OIDC_JWKS_URL, OIDC_CLAIM_*, OIDC_MFA_ACR_VALUES.
   */
  ...oidcEnvShape,
  /** The compiled policy; default the repository's policies/dist/policy.wasm. Reloaded when the file changes. */
  POLICY_WASM_PATH: z.string().min(1).optional(),
  /**
   * Identity of this instance; the relay consumer group is `ingest-<id>`. Unset: the host
   * name plus a random suffix (unique per process, which is what the relay needs).
   */
  INGEST_INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 characters of [A-Za-z0-9._-]')
    .optional(),
  /** How long a stream waits for the meeting's report after the end message. */
  INGEST_COMPLETION_TIMEOUT: zDurationMs.default(120_000),
  /** Responses queued for a client that does not read before its stream fails (RESOURCE_EXHAUSTED). */
  INGEST_MAX_PENDING_RESPONSES: positiveInt(1000),
}).superRefine(refineTlsEnv({ listenAddressVariables: ['GRPC_ADDR'] }));

export type IngestConfig = z.output<typeof ingestConfigSchema>;

/** What the module needs from the configuration (an IngestConfig satisfies it). */
export type IngestModuleConfig = Pick<IngestConfig, 'INGEST_COMPLETION_TIMEOUT' | 'INGEST_MAX_PENDING_RESPONSES'> &
  Partial<Pick<IngestConfig, 'INGEST_INSTANCE_ID'>>;
