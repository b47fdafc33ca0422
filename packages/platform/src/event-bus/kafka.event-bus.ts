import { setTimeout as delay } from 'node:timers/promises';
import {
  Kafka,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaConfig,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import { AppError } from '../errors/app-error';
import type { Logger } from '../logging/logger';
import {
  EventHeaders,
  type BusMessage,
  type EventBus,
  type MessageHandler,
  type ReceivedMessage,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from './event-bus.port';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log';
import { dlqTopic } from './topics';

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Passed through to kafkajs (TLS towards the brokers). */
  ssl?: KafkaConfig['ssl'];
  /** Passed through to kafkajs (SASL authentication). */
  sasl?: KafkaConfig['sasl'];
  /**
   * Partitions of the only topics this adapter creates on its own: a `<topic>.dlq` that is
   * missing when a message has to be dead-lettered. Default 1. (Topics are otherwise
   * provisioned with `ensureTopics` / scripts/infra/topics.json; the broker does not
   * auto-create.)
   */
  defaultPartitions?: number;
  /** Replication factor of topics created by `ensureTopics`. Default 1 (single broker); set 3 in production. */
  replicationFactor?: number;
  /** Consumer group session timeout. Default 30000. */
  sessionTimeoutMs?: number;
  /** Time the group waits for members to rejoin during a rebalance. Default 60000. */
  rebalanceTimeoutMs?: number;
  /** Heartbeat interval (also while a handler is pending). Default 3000. */
  heartbeatIntervalMs?: number;
  /** Longest fetch long-poll; bounds how late an idle member notices a rebalance. Default 1000. */
  maxWaitTimeMs?: number;
  /** Partitions of one fetch processed concurrently by a member (each still in order). Default 4. */
  partitionsConsumedConcurrently?: number;
  /** Producer retries before `publish` rejects. Default 5 (kafkajs backoff, roughly 10-30 s). */
  publishRetries?: number;
  /** kafkajs connection timeout. Default 3000. */
  connectionTimeoutMs?: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_RETRY_BACKOFF_MS = 100;
/** Handled messages whose offsets are committed together (see consumeBatch). */
const COMMIT_EVERY_MESSAGES = 100;
/** Longest a handled message's offset waits for its commit while its batch runs. */
const COMMIT_INTERVAL_MS = 250;
const MAX_RETRY_BACKOFF_MS = 30_000;
const DLQ_RETRY_BACKOFF_MS = 500;
const MAX_DLQ_ERROR_LENGTH = 500;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Returned by `untilAborted` when the subscription began closing before the work settled. */
const ABORTED = Symbol('aborted');

/** One kafkajs consumer: one `subscribe` call, one explicit group id. */
class KafkaSubscription implements Subscription {
  readonly abort = new AbortController();
  /** Set by a background heartbeat that failed (usually: the group is rebalancing); rethrown to kafkajs after the current message is committed, so it rejoins. */
  heartbeatError: unknown;
  private closing: Promise<void> | undefined;

  constructor(
    readonly consumer: Consumer,
    readonly groupId: string,
    readonly handler: MessageHandler,
    readonly maxAttempts: number,
    readonly retryBackoffMs: number,
    private readonly onClosed: (sub: KafkaSubscription) => void,
    private readonly logger: Logger | undefined,
  ) {}

  get aborted(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * Stops promptly even while a handler is pending: the abort makes the batch loop return
   * without resolving or committing the in-flight message, which kafkajs' `disconnect`
   * waits for; it then leaves the group, so the partition moves to another member that
   * redelivers from the committed offset.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      try {
        await this.consumer.disconnect();
      } catch (err) {
        this.logger?.warn({ groupId: this.groupId, err: errName(err) }, 'kafka consumer disconnect failed');
      } finally {
        this.onClosed(this);
      }
    })();
    return this.closing;
  }

  /**
   * Settles with `work`, or ABORTED as soon as close begins (the work is abandoned, never
   * acknowledged). Heartbeats every `heartbeatMs` while waiting, so a slow handler or a
   * retry backoff does not cost the member its group session.
   */
  async untilAborted<T>(work: Promise<T>, heartbeat: () => Promise<void>, heartbeatMs: number): Promise<T | typeof ABORTED> {
    if (this.aborted) return ABORTED;
    const signal = this.abort.signal;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      onAbort = () => resolve(ABORTED);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const ticker = setInterval(() => {
      if (this.aborted) return;
      heartbeat().catch((err: unknown) => {
        this.heartbeatError ??= err;
      });
    }, heartbeatMs);
    try {
      return await Promise.race([work, aborted]);
    } finally {
      clearInterval(ticker);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * The EventBus on Kafka (kafkajs). See docs/adr/0005-kafka-event-bus.md.
 *
 * - publish: idempotent producer, acks=all, one in-flight request; resolves once the broker
 *   acknowledged. Partitioner = Java default (murmur2), the same as InProcessEventBus.
 * - subscribe: one consumer per call with the given group id, `autoCommit: false`,
 *   `eachBatch` with manual `resolveOffset`; each partition's messages run in order, and a
 *   message's offset + 1 is committed only after its handler resolved (or after its DLQ copy
 *   was acknowledged) — in groups of up to 100 messages / 250 ms, and whenever a batch is left. A rejecting handler is retried in place with exponential backoff up
 *   to `maxAttempts`, then copied to `<topic>.dlq` with the dlq headers, then committed.
 * - Subscription.close / close: abort pending handlers (no commit), leave the group.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly logger: Logger | undefined;
  private readonly dlqPartitions: number;
  private readonly replicationFactor: number;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly maxWaitTimeMs: number;
  private readonly concurrency: number;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private producerReady: Promise<void> | undefined;
  private adminReady: Promise<void> | undefined;
  private readonly subscriptions = new Set<KafkaSubscription>();
  private closed = false;

  constructor(opts: KafkaEventBusOptions) {
    if (opts.brokers.length === 0) throw new AppError('invalid-argument', 'at least one broker is required');
    if (!opts.clientId) throw new AppError('invalid-argument', 'clientId is required');
    this.logger = opts.logger;
    this.dlqPartitions = positiveInt(opts.defaultPartitions ?? 1, 'defaultPartitions');
    this.replicationFactor = positiveInt(opts.replicationFactor ?? 1, 'replicationFactor');
    this.sessionTimeoutMs = positiveInt(opts.sessionTimeoutMs ?? 30_000, 'sessionTimeoutMs');
    this.rebalanceTimeoutMs = positiveInt(opts.rebalanceTimeoutMs ?? 60_000, 'rebalanceTimeoutMs');
    this.heartbeatIntervalMs = positiveInt(opts.heartbeatIntervalMs ?? 3000, 'heartbeatIntervalMs');
    this.maxWaitTimeMs = positiveInt(opts.maxWaitTimeMs ?? 1000, 'maxWaitTimeMs');
    this.concurrency = positiveInt(opts.partitionsConsumedConcurrently ?? 4, 'partitionsConsumedConcurrently');
    if (this.heartbeatIntervalMs >= this.sessionTimeoutMs) {
      throw new AppError('invalid-argument', 'heartbeatIntervalMs must be lower than sessionTimeoutMs');
    }
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      ...(opts.ssl !== undefined ? { ssl: opts.ssl } : {}),
      ...(opts.sasl !== undefined ? { sasl: opts.sasl } : {}),
      connectionTimeout: opts.connectionTimeoutMs ?? 3000,
      logLevel: kafkaLogLevel(opts.logger),
      logCreator: kafkaLogCreator(opts.logger),
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: positiveInt(opts.publishRetries ?? 5, 'publishRetries') },
    });
    this.admin = this.kafka.admin();
  }

  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    this.assertOpen();
    if (!topic) throw new AppError('invalid-argument', 'topic name is required');
    for (const message of messages) {
      if (typeof message.key !== 'string') throw new AppError('invalid-argument', 'message key must be a string');
    }
    if (messages.length === 0) return;
    await this.connectProducer();
    this.assertOpen();
    await this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...(m.headers ?? {}) } })),
    });
  }

  async ensureTopics(topics: TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of topics) {
      if (!spec.name) throw new AppError('invalid-argument', 'topic name is required');
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new AppError('invalid-argument', `topic ${spec.name}: partitions must be a positive integer`);
      }
      if (spec.retentionMs !== undefined && (!Number.isInteger(spec.retentionMs) || (spec.retentionMs < 1 && spec.retentionMs !== -1))) {
        throw new AppError('invalid-argument', `topic ${spec.name}: retentionMs must be a positive integer, or -1 (kept forever)`);
      }
    }
    if (topics.length === 0) return;
    await this.connectAdmin();
    const existing = new Set(await this.admin.listTopics());
    const missing = uniqueByName(topics).filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    // Only missing topics are sent: kafkajs skips its wait for leaders when any topic of the
    // request already exists (TOPIC_ALREADY_EXISTS), and a concurrent creator may still win
    // the race, in which case createTopics resolves false — fine, the topic exists.
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: this.replicationFactor,
        configEntries: t.retentionMs !== undefined ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : [],
      })),
    });
    this.logger?.info({ topics: missing.map((t) => t.name), count: missing.length }, 'kafka topics created');
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    if (!options.groupId) throw new AppError('invalid-argument', 'groupId is required');
    if (options.topics.length === 0) throw new AppError('invalid-argument', 'at least one topic is required');
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new AppError('invalid-argument', 'maxAttempts must be a positive integer');
    }
    const retryBackoffMs = options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
    if (!Number.isFinite(retryBackoffMs) || retryBackoffMs < 0) {
      throw new AppError('invalid-argument', 'retryBackoffMs must be a non-negative number');
    }
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: this.rebalanceTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: this.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    const sub = new KafkaSubscription(
      consumer,
      options.groupId,
      options.handler,
      maxAttempts,
      retryBackoffMs,
      (s) => this.subscriptions.delete(s),
      this.logger,
    );
    this.subscriptions.add(sub);
    consumer.on(consumer.events.CRASH, (event) => {
      this.logger?.error(
        { groupId: options.groupId, err: errName(event.payload.error), restart: event.payload.restart },
        'kafka consumer crashed',
      );
    });
    const fromBeginning = options.fromBeginning ?? true;
    // kafkajs resolves the start position of a group without committed offsets ("latest" when
    // not fromBeginning) in the member's first fetch, after `run` resolved; waiting for that
    // fetch means every message published after `subscribe` resolves is delivered.
    let removeFetchListener: (() => void) | undefined;
    const firstFetch = new Promise<void>((resolve) => {
      removeFetchListener = consumer.on(consumer.events.FETCH, () => resolve());
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...new Set(options.topics)], fromBeginning });
      // Resolves once the member joined the group and received its assignment.
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.concurrency,
        eachBatch: (payload) => this.consumeBatch(sub, payload),
      });
      if (!fromBeginning) {
        const timeout = new AbortController();
        await Promise.race([firstFetch, sleep(this.maxWaitTimeMs + this.sessionTimeoutMs, timeout.signal)]);
        timeout.abort();
      }
    } catch (err) {
      await sub.close();
      throw err;
    } finally {
      removeFetchListener?.();
    }
    if (this.closed) await sub.close();
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const disconnect = async (what: string, ready: Promise<void> | undefined, fn: () => Promise<void>) => {
      if (!ready) return;
      try {
        await ready.catch(() => undefined);
        await fn();
      } catch (err) {
        this.logger?.warn({ err: errName(err) }, `kafka ${what} disconnect failed`);
      }
    };
    await disconnect('producer', this.producerReady, () => this.producer.disconnect());
    await disconnect('admin', this.adminReady, () => this.admin.disconnect());
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('unavailable', 'event bus is closed');
  }

  private connectProducer(): Promise<void> {
    this.producerReady ??= this.producer.connect().catch((err: unknown) => {
      this.producerReady = undefined;
      throw err;
    });
    return this.producerReady;
  }

  private connectAdmin(): Promise<void> {
    this.adminReady ??= this.admin.connect().catch((err: unknown) => {
      this.adminReady = undefined;
      throw err;
    });
    return this.adminReady;
  }

  /**
   * One batch = messages of one partition, in offset order. Each message is handled (with
   * retries / DLQ), then its offset + 1 is committed and resolved. Returns early, leaving
   * the rest unresolved and uncommitted, when the subscription closes or kafkajs stops.
   */
  private async consumeBatch(sub: KafkaSubscription, payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat } = payload;
    // Offsets of handled messages are committed in groups (every COMMIT_EVERY_MESSAGES handled
    // messages or COMMIT_INTERVAL_MS, and whenever the batch is left): one broker round trip per
    // group instead of per message. Never before a handler resolved; a crash redelivers at most
    // the uncommitted group (at-least-once, as before: handlers are idempotent).
    let handled: string | undefined;
    let handledSinceCommit = 0;
    let committedAt = Date.now();
    const commit = async (): Promise<void> => {
      if (handled === undefined) return;
      const offset = handled;
      handled = undefined;
      handledSinceCommit = 0;
      committedAt = Date.now();
      await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] });
    };
    try {
      for (const message of batch.messages) {
        if (sub.aborted || !payload.isRunning() || payload.isStale()) return;
        const outcome = await this.handle(sub, batch.topic, batch.partition, message, heartbeat);
        // Close began while the handler (or DLQ copy) was pending: this message is not committed.
        if (outcome === 'abandoned' || sub.aborted) return;
        handled = (BigInt(message.offset) + 1n).toString();
        handledSinceCommit += 1;
        payload.resolveOffset(message.offset);
        if (handledSinceCommit >= COMMIT_EVERY_MESSAGES || Date.now() - committedAt >= COMMIT_INTERVAL_MS) await commit();
        if (sub.heartbeatError !== undefined) {
          // Hand the rebalance to kafkajs now (it rejoins); everything handled so far is committed (finally).
          const err = sub.heartbeatError;
          sub.heartbeatError = undefined;
          throw err;
        }
        await heartbeat();
      }
    } finally {
      // What was handled is committed whichever way the batch is left, unless the partition was
      // taken away (a stale batch: its new owner resumes from the last commit, redelivering it).
      if (handled !== undefined && !payload.isStale()) {
        await commit().catch((err: unknown) => {
          this.logger?.warn({ topic: batch.topic, partition: batch.partition, groupId: sub.groupId, err: errName(err) }, 'offset commit failed; the handled messages will be redelivered');
        });
      }
    }
  }

  private async handle(
    sub: KafkaSubscription,
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<'done' | 'abandoned'> {
    const key = message.key ? message.key.toString('utf8') : '';
    const value = message.value ?? Buffer.alloc(0);
    const headers = headersToStrings(message.headers);
    for (let attempt = 1; ; attempt += 1) {
      const received: ReceivedMessage = {
        topic,
        partition,
        offset: message.offset,
        key,
        value: Buffer.from(value),
        headers: { ...headers },
        attempt,
      };
      const result = await sub.untilAborted(settle(() => sub.handler(received)), heartbeat, this.heartbeatIntervalMs);
      if (result === ABORTED) return 'abandoned';
      if (result.ok) return 'done';
      const where = { topic, partition, offset: message.offset, groupId: sub.groupId, attempt };
      if (attempt >= sub.maxAttempts) {
        this.logger?.error({ ...where, err: errName(result.error) }, 'event handler failed; sending message to DLQ');
        return this.deadLetter(sub, { topic, partition, offset: message.offset, key, value, headers }, attempt, result.error, heartbeat);
      }
      const delayMs = Math.min(sub.retryBackoffMs * 2 ** (attempt - 1), MAX_RETRY_BACKOFF_MS);
      this.logger?.warn({ ...where, delayMs, err: errName(result.error) }, 'event handler failed; retrying');
      if ((await sub.untilAborted(sleep(delayMs, sub.abort.signal), heartbeat, this.heartbeatIntervalMs)) === ABORTED) return 'abandoned';
    }
  }

  /**
   * Copies the message to `<topic>.dlq` and waits for the broker's acknowledgement. A failing
   * copy is retried (creating a missing DLQ topic once) until it succeeds or the subscription
   * closes: the source offset is never committed before its DLQ copy is durable.
   */
  private async deadLetter(
    sub: KafkaSubscription,
    source: { topic: string; partition: number; offset: string; key: string; value: Buffer; headers: Record<string, string> },
    attempts: number,
    error: unknown,
    heartbeat: () => Promise<void>,
  ): Promise<'done' | 'abandoned'> {
    const target = dlqTopic(source.topic);
    const copy: BusMessage = {
      key: source.key,
      value: source.value,
      headers: {
        ...source.headers,
        [EventHeaders.dlqError]: describeError(error),
        [EventHeaders.dlqSourceTopic]: source.topic,
        [EventHeaders.dlqAttempts]: String(attempts),
        [EventHeaders.dlqGroupId]: sub.groupId,
        [EventHeaders.dlqSourcePartition]: String(source.partition),
        [EventHeaders.dlqSourceOffset]: source.offset,
      },
    };
    let createTried = false;
    for (let failure = 0; ; failure += 1) {
      const result = await sub.untilAborted(settle(() => this.publish(target, [copy])), heartbeat, this.heartbeatIntervalMs);
      if (result === ABORTED) return 'abandoned';
      if (result.ok) return 'done';
      const where = { topic: source.topic, dlqTopic: target, partition: source.partition, offset: source.offset, groupId: sub.groupId };
      this.logger?.error({ ...where, failures: failure + 1, err: errName(result.error) }, 'DLQ copy failed; retrying');
      if (!createTried && !this.closed) {
        createTried = true;
        const created = await sub.untilAborted(
          settle(() => this.ensureTopics([{ name: target, partitions: this.dlqPartitions }])),
          heartbeat,
          this.heartbeatIntervalMs,
        );
        if (created === ABORTED) return 'abandoned';
      }
      const delayMs = Math.min(DLQ_RETRY_BACKOFF_MS * 2 ** failure, MAX_RETRY_BACKOFF_MS);
      if ((await sub.untilAborted(sleep(delayMs, sub.abort.signal), heartbeat, this.heartbeatIntervalMs)) === ABORTED) return 'abandoned';
    }
  }
}

/** Header values arrive as Buffers (or arrays of them for repeated names): strings, last value wins. */
function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}

function uniqueByName(specs: TopicSpec[]): TopicSpec[] {
  const byName = new Map<string, TopicSpec>();
  for (const spec of specs) if (!byName.has(spec.name)) byName.set(spec.name, spec);
  return [...byName.values()];
}

/** Runs `work` (a handler may also throw synchronously) and never rejects. */
async function settle<T>(work: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (no timer is left behind). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new AppError('invalid-argument', `${name} must be a positive integer`);
  return value;
}

function errName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}

/** "Name: message", truncated. Error messages must not carry content (see CONVENTIONS.md). */
function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > MAX_DLQ_ERROR_LENGTH ? `${text.slice(0, MAX_DLQ_ERROR_LENGTH)}…` : text;
}
