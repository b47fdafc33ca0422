import { auditBusEnvShape, oidcEnvShape, parseHostPort, refineTlsEnv, tlsEnvShape, zBool, zDurationMs, zTlsListenAddress } from '@confide/platform';
import { z } from 'zod';

/** A peer address "host:port" (any host: peers may be remote). */
const zPeerAddress = z.string().refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port' });

/**
 * Environment of the gateway. Only this schema reads the environment (through platform's
 * loadConfig); errors name the variable, never its value.
 */
export const gatewayConfigSchema = z.object({
  /**
   * REST listener. With TLS_CERT_FILE/TLS_KEY_FILE it serves HTTPS (TLS 1.3 only) on any
   * address; without them plain HTTP, on loopback only (127.0.0.0/8, localhost, [::1]): a
   * non-loopback address is refused here and again at startup.
   */
  GATEWAY_HTTP_ADDR: zTlsListenAddress.default('127.0.0.1:8080'),
  /**
   * TLS_CERT_FILE / TLS_KEY_FILE: the gateway's certificate and key (HTTPS listener, and its
   * client identity towards the services); TLS_CA_FILE: the CA the services' certificates are
   * verified against (mTLS to storage and lifecycle). See @confide/platform tlsEnvShape.
   */
  ...tlsEnvShape,
  /**
   * Also require a client certificate signed by TLS_CA_FILE on the REST listener. Off by
   * default: API users authenticate with bearer tokens; turn it on when only a proxy that
   * holds such a certificate may connect.
   */
  GATEWAY_HTTP_MTLS: zBool.default(false),
  STORAGE_GRPC_ADDR: zPeerAddress,
  LIFECYCLE_GRPC_ADDR: zPeerAddress,
  /**
   * Transcription's and insights' gRPC listeners, for GET /api/tenant/processing (the engine and
   * the alert rules in force). The route is served only when both are set.
   */
  TRANSCRIPTION_GRPC_ADDR: zPeerAddress.optional(),
  INSIGHTS_GRPC_ADDR: zPeerAddress.optional(),
  /** Deadline of every downstream gRPC call. */
  GATEWAY_DOWNSTREAM_DEADLINE: zDurationMs.default(5000),
  /** Largest accepted JSON request body, in bytes. */
  GATEWAY_JSON_BODY_LIMIT_BYTES: z.coerce.number().int().positive().max(1_048_576).default(16_384),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OIDC_ISSUER (required), OIDC_AUDIENCE, OIDC_JWKS_URL, OIDC_CLAIM_*, OIDC_MFA_ACR_VALUES: @confide/platform oidcEnvShape. */
  ...oidcEnvShape,
  /**
   * KAFKA_BROKERS (required by main.ts), KAFKA_CLIENT_ID, AUDIT_PUBLISH_TIMEOUT (default 5s): the
   * audit entries on confide.audit.v1 (@confide/platform auditBusEnvShape, docs/adr/0014).
   */
  ...auditBusEnvShape,
  /** The compiled policy; default the repository's policies/dist/policy.wasm. Reloaded when the file changes. */
  POLICY_WASM_PATH: z.string().min(1).optional(),
  /**
   * The gateway's own PKCS#8 PEM private key (Ed25519 or P-256) signing the `x-confide-subject`
   * assertion of every call to storage and lifecycle (they trust its public key). Required
   * unless the composition injects a signer (all-in-one: a fresh in-memory key per start):
   * the module refuses to start without one, since the services refuse calls without it.
   */
  SUBJECT_ASSERTION_KEY_FILE: z.string().min(1).optional(),
})
  .superRefine(refineTlsEnv({ listenAddressVariables: ['GATEWAY_HTTP_ADDR'] }))
  .superRefine((config, ctx) => {
    if (config.GATEWAY_HTTP_MTLS && config.TLS_CA_FILE === undefined) {
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_HTTP_MTLS'], message: 'needs TLS_CA_FILE (the CA client certificates are verified against)' });
    }
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
