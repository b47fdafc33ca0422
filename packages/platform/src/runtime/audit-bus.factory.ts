import { z } from 'zod';
import { ConfigError } from '../config/config.error';
import { zCsv, zDurationMs } from '../config/schema.helpers';
import type { EventBus } from '../event-bus/event-bus.port';
import type { Logger } from '../logging/logger';
import { BusDecisionAuditor, DEFAULT_AUDIT_PUBLISH_TIMEOUT_MS } from '../policy/bus.decision-auditor';
import { createEventBusFromConfig } from './event-bus.factory';

/**
 * The environment of a process whose only use of Kafka is publishing audit entries (the gateway):
 * KAFKA_BROKERS (required), KAFKA_CLIENT_ID, and AUDIT_PUBLISH_TIMEOUT — how long an audited
 * request waits for the broker's acknowledgement of its entry before it is refused (default 5s).
 */
export const auditBusEnvShape = {
  KAFKA_BROKERS: zCsv.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  AUDIT_PUBLISH_TIMEOUT: zDurationMs.default(DEFAULT_AUDIT_PUBLISH_TIMEOUT_MS),
};

export const auditBusConfigSchema = z.object(auditBusEnvShape);
export type AuditBusConfig = z.output<typeof auditBusConfigSchema>;

export interface AuditBus {
  auditor: BusDecisionAuditor;
  /** Flushes and closes the producer. */
  close(): Promise<void>;
}

/**
 * A `BusDecisionAuditor` on its own Kafka producer (docs/adr/0014-audit-over-the-bus.md). No
 * topic is created or checked at start (scripts/infra/up.sh and the services provision them; the
 * process needs no admin rights) and nothing connects until the first entry, so the process
 * starts while the broker is unreachable — and every audited access is then refused (503) until
 * it is back: each publish is retried within AUDIT_PUBLISH_TIMEOUT, then rejects.
 * A ConfigError names KAFKA_BROKERS when it is missing.
 */
export async function createAuditBusFromConfig(config: AuditBusConfig, logger: Logger, clientId: string): Promise<AuditBus> {
  if (!config.KAFKA_BROKERS || config.KAFKA_BROKERS.length === 0) {
    throw new ConfigError([{ variable: 'KAFKA_BROKERS', problem: 'is required (host:port list): audited decisions are published to confide.audit.v1' }]);
  }
  const bus: EventBus = await createEventBusFromConfig(
    { EVENT_BUS: 'kafka', KAFKA_BROKERS: config.KAFKA_BROKERS, KAFKA_CLIENT_ID: config.KAFKA_CLIENT_ID },
    logger,
    clientId,
    { topics: [], publishRetryWindowMs: config.AUDIT_PUBLISH_TIMEOUT },
  );
  return {
    auditor: new BusDecisionAuditor({ bus, logger: logger.child({ component: 'access-audit' }), timeoutMs: config.AUDIT_PUBLISH_TIMEOUT }),
    close: () => bus.close(),
  };
}
