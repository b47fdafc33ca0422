import { zDurationMs } from '@confide/platform';
import { z } from 'zod';

/** All-in-one configuration: the composed platform's listeners and embedded defaults. */
export const allInOneConfigSchema = z.object({
  /** One gRPC listener hosts every service in all-in-one mode. */
  GRPC_ADDR: z.string().default('127.0.0.1:50051'),
  GATEWAY_HTTP_ADDR: z.string().default('127.0.0.1:8080'),
  /** Embedded state (PostgreSQL data, keyring) lives here. */
  STATE_DIR: z.string().min(1).optional(),
  /** An external PostgreSQL; when unset, an embedded PostgreSQL is started under STATE_DIR. */
  DATABASE_URL: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * An external OIDC issuer for the gateway (with OIDC_AUDIENCE, OIDC_JWKS_URL, OIDC_CLAIM_*
   * as in services/gateway). Unset: a local development issuer is started on loopback and
   * `confide start --token-tenant` / RunningPlatform.mintToken issue its tokens.
   */
  OIDC_ISSUER: z.string().min(1).optional(),
  /** The compiled policy; default the repository's policies/dist/policy.wasm. */
  POLICY_WASM_PATH: z.string().min(1).optional(),
  /** How often lifecycle signs the audit log heads it appended to (ADR 0011); also at shutdown. */
  AUDIT_CHECKPOINT_INTERVAL_MS: zDurationMs.default(60_000),
  /** Tick of lifecycle's retention scheduler (audio-key deadline, then per-tenant retention; ADR 0012). */
  LIFECYCLE_SCHEDULER_INTERVAL: zDurationMs.default(15 * 60_000),
  /** An audio key is destroyed at the latest this long after its meeting ended, even if transcription stalls. */
  AUDIO_KEY_MAX_AGE: zDurationMs.default(72 * 60 * 60_000),
});

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;
