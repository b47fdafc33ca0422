import { zCsv, zListenAddress } from '@confide/platform';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Environment of the insights service. Only this schema reads the environment (through
 * platform's loadConfig); errors name the variable, never its value.
 */
export const insightsConfigSchema = z.object({
  /** gRPC listener when running alone (microservices mode). */
  GRPC_ADDR: zListenAddress.default('127.0.0.1:50054'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Event bus adapter; "in-process" only makes sense for a standalone smoke run. */
  EVENT_BUS: z.enum(['kafka', 'in-process']).default('kafka'),
  KAFKA_BROKERS: zCsv.optional(),
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
});

export type InsightsConfig = z.output<typeof insightsConfigSchema>;
