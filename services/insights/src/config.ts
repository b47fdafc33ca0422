import { keyRegistryEnvShape, serviceIdentityEnvShape, kmsEnvShape, refineTlsEnv, tlsEnvShape, zCsv, zTlsListenAddress } from '@confide/platform';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Environment of the insights service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const insightsConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). */
  GRPC_ADDR: zTlsListenAddress.default('127.0.0.1:50054'),
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
   * SUBJECT_ASSERTION_TRUSTED_KEYS: `gateway=<SPKI PEM file>`, the callers of its gRPC service
   * (the gateway's GET /api/tenant/processing); required by main.ts. POLICY_WASM_PATH: the
   * compiled policy (default the repository's policies/dist/policy.wasm).
   */
  ...serviceIdentityEnvShape,
  /** JSON file with the alert rules (replaces the defaults); unset = built-in defaults. */
  INSIGHTS_RULES_FILE: z.string().min(1).optional(),
  /** Rule ids to switch off, comma-separated (e.g. "phrase.competitor-mention"). */
  INSIGHTS_DISABLED_RULES: zCsv.default([]),
  INSIGHTS_SUMMARY_MAX_SENTENCES: positiveInt(5),
  INSIGHTS_SUMMARY_MAX_CHARS: positiveInt(1200),
  /** Final segments held per meeting until its report; later ones are left out of the report. */
  INSIGHTS_MAX_SEGMENTS_PER_MEETING: positiveInt(10_000),
  /** Meetings accumulating at once; the least recently updated is forgotten beyond it. */
  INSIGHTS_MAX_ACTIVE_MEETINGS: positiveInt(1_000),
}).superRefine(refineTlsEnv({ listenAddressVariables: ['GRPC_ADDR'] }));

export type InsightsConfig = z.output<typeof insightsConfigSchema>;
