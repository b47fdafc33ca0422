import { resolve } from 'node:path';
import { keyRegistryEnvShape, serviceIdentityEnvShape, kmsEnvShape, refineTlsEnv, tlsEnvShape, zCsv, zDurationMs, zTlsListenAddress } from '@confide/platform';
import { z } from 'zod';

/** Where `pnpm native:build` puts ps-stream (same path from src/ and dist/). */
export const DEFAULT_POCKETSPHINX_BINARY = resolve(__dirname, '..', 'native', 'bin', 'ps-stream');

/**
 * Environment of the transcription service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const transcriptionConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). Loopback only until TLS lands. */
  GRPC_ADDR: zTlsListenAddress.default('127.0.0.1:50052'),
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
  /** Speech-to-text engine behind the SttEngine port. */
  STT_ENGINE: z.enum(['pocketsphinx']).default('pocketsphinx'),
  STT_LANGUAGE: z.string().min(2).default('en-US'),
  /** ps-stream binary; default services/transcription/native/bin/ps-stream. */
  POCKETSPHINX_BINARY: z.string().min(1).default(DEFAULT_POCKETSPHINX_BINARY),
  /** Model overrides; unset = the Debian pocketsphinx-en-us model. */
  POCKETSPHINX_HMM: z.string().min(1).optional(),
  POCKETSPHINX_LM: z.string().min(1).optional(),
  POCKETSPHINX_DICT: z.string().min(1).optional(),
  /** Minimum audio between two partial results. */
  POCKETSPHINX_PARTIAL_INTERVAL: zDurationMs.default(300),
}).superRefine(refineTlsEnv({ listenAddressVariables: ['GRPC_ADDR'] }));

export type TranscriptionConfig = z.output<typeof transcriptionConfigSchema>;

/** What createPocketsphinxEngine needs (a TranscriptionConfig satisfies it). */
export type PocketsphinxEngineConfig = Partial<
  Pick<
    TranscriptionConfig,
    'POCKETSPHINX_BINARY' | 'POCKETSPHINX_HMM' | 'POCKETSPHINX_LM' | 'POCKETSPHINX_DICT' | 'POCKETSPHINX_PARTIAL_INTERVAL' | 'STT_LANGUAGE'
  >
>;
