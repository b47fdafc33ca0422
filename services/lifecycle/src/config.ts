import { parseHostPort, zCsv, zDurationMs, zListenAddress } from '@confide/platform';
import { z } from 'zod';

const zPeerAddress = z.string().refine((value) => parseHostPort(value) !== undefined, { message: 'must be host:port' });

/**
 * Environment of the lifecycle service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const lifecycleConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). */
  GRPC_ADDR: zListenAddress.default('127.0.0.1:50056'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Event bus adapter; "in-process" only makes sense for a standalone smoke run. */
  EVENT_BUS: z.enum(['kafka', 'in-process']).default('kafka'),
  KAFKA_BROKERS: zCsv.optional(),
  /** The storage service (PurgeMeeting). */
  STORAGE_GRPC_ADDR: zPeerAddress,
  /** Deadline of a PurgeMeeting call. */
  STORAGE_DEADLINE_MS: zDurationMs.default(10_000),
  /** Ended meetings remembered in memory for the retention scheduler (until it persists them). */
  LIFECYCLE_MAX_ENDED_MEETINGS: z.coerce.number().int().positive().default(100_000),
});

export type LifecycleConfig = z.output<typeof lifecycleConfigSchema>;
