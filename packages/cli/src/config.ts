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
});

export type AllInOneConfig = z.output<typeof allInOneConfigSchema>;
