import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError } from '../config/config.error';
import { isAppError } from '../errors/app-error';
import type { BusMessage, EventBus, SubscribeOptions, Subscription, TopicSpec } from '../event-bus/event-bus.port';
import { InProcessEventBus } from '../event-bus/in-process.event-bus';
import { KafkaEventBus, type KafkaEventBusOptions } from '../event-bus/kafka.event-bus';
import { topicSpecs } from '../event-bus/topics';
import type { Logger } from '../logging/logger';

/** The event-bus part of a service's configuration (every service schema has these). */
export interface EventBusConfig {
  EVENT_BUS: 'kafka' | 'in-process';
  KAFKA_BROKERS?: string[] | undefined;
  /** Overrides the client id given by the service (e.g. to tell replicas apart in broker logs). */
  KAFKA_CLIENT_ID?: string | undefined;
}

export interface EventBusFactoryOptions {
  /** Topics provisioned at start (missing ones are created; existing ones are left alone). Default: `topicSpecs`. */
  topics?: TopicSpec[];
  /**
   * How long one `publish` keeps retrying through a broker outage before it rejects
   * (Kafka only). Default 60 s. See docs/adr/0007-microservices-mode.md.
   */
  publishRetryWindowMs?: number;
  /** Extra KafkaEventBus options (timeouts, TLS, SASL). */
  kafka?: Partial<Omit<KafkaEventBusOptions, 'brokers' | 'clientId' | 'logger'>>;
}

export const DEFAULT_PUBLISH_RETRY_WINDOW_MS = 60_000;
/** kafkajs' own retries per publish attempt (≈ 1 s of backoff) before the outer loop takes over. */
const KAFKAJS_PUBLISH_RETRIES = 3;
const FIRST_PUBLISH_BACKOFF_MS = 250;
const MAX_PUBLISH_BACKOFF_MS = 2_000;

/**
 * The event bus a service's main.ts composes, chosen by configuration (ARCHITECTURE.md "Modes"):
 * - `kafka`: a `KafkaEventBus` on KAFKA_BROKERS with `clientId` (KAFKA_CLIENT_ID wins), whose
 *   `publish` rides out a broker restart (bounded retry, see `publishRetryWindowMs`); the
 *   project's topics are ensured before it is returned.
 * - `in-process`: an `InProcessEventBus` — the process only sees its own events (smoke runs).
 * Throws a ConfigError naming KAFKA_BROKERS when kafka is chosen without brokers.
 */
export async function createEventBusFromConfig(
  config: EventBusConfig,
  logger: Logger,
  clientId: string,
  options: EventBusFactoryOptions = {},
): Promise<EventBus> {
  const busLogger = logger.child({ component: 'event-bus' });
  const topics = options.topics ?? topicSpecs;
  if (config.EVENT_BUS === 'in-process') {
    logger.warn('EVENT_BUS=in-process: this process sees only its own events (smoke runs only)');
    const bus = new InProcessEventBus({ logger: busLogger });
    await bus.ensureTopics(topics);
    return bus;
  }
  const brokers = config.KAFKA_BROKERS ?? [];
  if (brokers.length === 0) {
    throw new ConfigError([{ variable: 'KAFKA_BROKERS', problem: 'is required when EVENT_BUS=kafka (host:port list)' }]);
  }
  const kafka = new KafkaEventBus({
    publishRetries: KAFKAJS_PUBLISH_RETRIES,
    ...options.kafka,
    brokers,
    clientId: config.KAFKA_CLIENT_ID ?? clientId,
    logger: busLogger,
  });
  try {
    await kafka.ensureTopics(topics);
  } catch (err) {
    await kafka.close();
    throw err;
  }
  logger.info({ brokers: brokers.length, clientId: config.KAFKA_CLIENT_ID ?? clientId }, 'kafka event bus ready');
  return new PublishRetryingEventBus(kafka, busLogger, options.publishRetryWindowMs ?? DEFAULT_PUBLISH_RETRY_WINDOW_MS);
}

/**
 * Retries a failed `publish` with backoff (250 ms doubling to 2 s) until it succeeds or
 * `windowMs` has passed since the call, then rejects with the last error. Invalid arguments
 * and a closed bus fail at once. Safe because the producer is idempotent (same producer id and
 * sequence numbers: a batch the broker already wrote is not written twice) and callers await
 * each publish before the next one of the same key, so retrying cannot reorder a key.
 */
export class PublishRetryingEventBus implements EventBus {
  private closed = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly inner: EventBus,
    private readonly logger: Logger,
    private readonly windowMs: number,
  ) {}

  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    const deadline = Date.now() + this.windowMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.inner.publish(topic, messages);
        if (attempt > 1) this.logger.info({ topic, attempts: attempt }, 'publish succeeded after retries');
        return;
      } catch (err) {
        if (this.closed || !retriable(err)) throw err;
        const backoffMs = Math.min(FIRST_PUBLISH_BACKOFF_MS * 2 ** (attempt - 1), MAX_PUBLISH_BACKOFF_MS);
        if (Date.now() + backoffMs >= deadline) {
          this.logger.error({ topic, attempts: attempt, err: errName(err) }, 'publish failed; retry window exhausted');
          throw err;
        }
        this.logger.warn({ topic, attempt, backoffMs, err: errName(err) }, 'publish failed; retrying');
        await delay(backoffMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      }
    }
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }

  ensureTopics(topics: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.inner.close();
  }
}

/**
 * The adapter's own errors (invalid arguments, closed bus) and broker answers that kafkajs marks
 * non-retriable (e.g. MESSAGE_TOO_LARGE) are final; connection errors and exhausted kafkajs
 * retries (broker down, leader moving) are worth retrying.
 */
function retriable(err: unknown): boolean {
  if (isAppError(err)) return false;
  if (err instanceof Error && err.name === 'KafkaJSProtocolError' && (err as { retriable?: unknown }).retriable === false) return false;
  return true;
}

function errName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
