import { parseHostPort, zDurationMs, zListenAddress } from '@confide/platform';
import { z } from 'zod';

/** A peer address "host:port" (any host: peers may be remote). */
const zPeerAddress = z.string().refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port' });

/**
 * Environment of the gateway. Only this schema reads the environment (through platform's
 * loadConfig); errors name the variable, never its value.
 */
export const gatewayConfigSchema = z.object({
  /**
   * HTTP listener. Loopback only (127.0.0.0/8, localhost, [::1]) until TLS and authentication
   * land: the tenant is taken from a header today, so the API must not be reachable from
   * other hosts. A non-loopback address is refused at startup.
   */
  GATEWAY_HTTP_ADDR: zListenAddress.default('127.0.0.1:8080'),
  STORAGE_GRPC_ADDR: zPeerAddress,
  LIFECYCLE_GRPC_ADDR: zPeerAddress,
  /** Deadline of every downstream gRPC call. */
  GATEWAY_DOWNSTREAM_DEADLINE: zDurationMs.default(5000),
  /** Largest accepted JSON request body, in bytes. */
  GATEWAY_JSON_BODY_LIMIT_BYTES: z.coerce.number().int().positive().max(1_048_576).default(16_384),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
