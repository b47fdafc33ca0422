/**
 * The EventBus port: keyed messages with headers, per-key order, at-least-once delivery.
 *
 * Acknowledgement is explicit and tied to the handler: a message is acknowledged (its
 * offset committed) only when the handler's promise resolves, i.e. once its effect is
 * durable. A handler that rejects is retried with backoff up to `maxAttempts`; after that
 * the message goes to `<topic>.dlq` (with headers naming the error and the source) and is
 * acknowledged. A consumer that stops before acknowledging leaves the message to be
 * redelivered to the next member of its group. Handlers must therefore be idempotent.
 *
 * Adapters: in-process (`InProcessEventBus`, the embedded default) and kafkajs (real
 * deployments). Both pass `describeEventBusContract` in packages/platform/test/support/event-bus.contract.ts.
 */
export interface BusMessage {
  /** Partitioning key: messages with the same key are delivered in publish order. */
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  /** Offset within the partition, as a decimal string (Kafka's representation). */
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  /** 1 on first delivery to this group, incremented on each retry. */
  attempt: number;
}

export type MessageHandler = (message: ReceivedMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: each group receives every message once; members share partitions. */
  groupId: string;
  topics: string[];
  handler: MessageHandler;
  /** Start from the earliest retained message when the group has no committed offset. Default true. */
  fromBeginning?: boolean;
  /** Deliveries before a message goes to the DLQ. Default 5. */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt. Default 100 ms. */
  retryBackoffMs?: number;
}

export interface Subscription {
  /** Stops consuming; an in-flight message that is not yet acknowledged will be redelivered. */
  close(): Promise<void>;
}

export interface EventBus {
  /** Resolves once the messages are durably accepted by the bus (acks=all on Kafka). */
  publish(topic: string, messages: BusMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Creates topics that do not exist yet (idempotent). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  close(): Promise<void>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Retention in ms; -1 keeps records forever (Kafka), undefined keeps the bus default. */
  retentionMs?: number;
}

/** Header names used on every event. */
export const EventHeaders = {
  eventType: 'confide-event-type',
  eventVersion: 'confide-event-version',
  eventId: 'confide-event-id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  dlqError: 'confide-dlq-error',
  dlqSourceTopic: 'confide-dlq-source-topic',
  dlqAttempts: 'confide-dlq-attempts',
  /** Added on DLQ copies: the consumer group that gave up, and the source partition/offset. */
  dlqGroupId: 'confide-dlq-group-id',
  dlqSourcePartition: 'confide-dlq-source-partition',
  dlqSourceOffset: 'confide-dlq-source-offset',
} as const;
