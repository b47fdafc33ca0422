import { Envelope } from '@confide/contracts';
import { SpanKind } from '@opentelemetry/api';
import { systemClock, type Clock } from '../runtime/clock';
import { uuidGenerator, type IdGenerator } from '../runtime/ids';
import { injectTraceHeaders, withSpan } from '../telemetry/trace-context';
import { EventHeaders, type BusMessage, type EventBus } from './event-bus.port';
import type { PayloadProtector } from '../keys/payload-protector';
import type { EventType } from './event-type';

export const ENVELOPE_VERSION = 1;

export interface EventMeta {
  tenantId: string;
  meetingId: string;
  /** Partitioning key; default meetingId (tenantId for the audit topic). */
  key?: string;
  /** Deterministic event id for idempotent re-publication; default a new UUID. */
  eventId?: string;
}

export interface PublishItem<T> {
  type: EventType<T>;
  value: T;
  meta: EventMeta;
}

export interface EventPublisherOptions {
  clock?: Clock;
  ids?: IdGenerator;
  /**
   * Encrypts the payload of every event of a meeting (its type's `encryption`) and sets
   * `key_ref`. Without one payloads stay plain (unit tests; or a bus wrapped with
   * `protectEventBus`, which encrypts instead — never both).
   */
  protector?: PayloadProtector;
}

/**
 * Publishes typed events as protobuf Envelopes (version 1) with event type/version/id headers
 * and W3C trace context. With a protector it is fail-closed: when a payload cannot be
 * encrypted (no key: KMS or key registry unavailable, key destroyed) the whole batch is refused
 * and nothing reaches the bus.
 */
export class EventPublisher {
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly protector: PayloadProtector | undefined;

  constructor(
    private readonly bus: EventBus,
    opts: EventPublisherOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.ids = opts.ids ?? uuidGenerator;
    this.protector = opts.protector;
  }

  publish<T>(topic: string, type: EventType<T>, value: T, meta: EventMeta): Promise<void> {
    return this.publishMany(topic, [{ type, value, meta }]);
  }

  /** Publishes a batch to one topic in one bus call (order kept per key). */
  async publishMany(topic: string, items: ReadonlyArray<PublishItem<unknown>>): Promise<void> {
    if (items.length === 0) return;
    await withSpan(
      `publish ${topic}`,
      { 'messaging.system': 'confide', 'messaging.operation.type': 'publish', 'messaging.destination.name': topic, 'messaging.batch.message_count': items.length },
      async () => {
        const messages = await Promise.all(items.map((item) => this.toMessage(item)));
        await this.bus.publish(topic, messages);
      },
      undefined,
      SpanKind.PRODUCER,
    );
  }

  private async toMessage(item: PublishItem<unknown>): Promise<BusMessage> {
    const id = item.meta.eventId ?? this.ids.newId();
    const plain: Envelope = {
      id,
      type: item.type.typeName,
      tenantId: item.meta.tenantId,
      meetingId: item.meta.meetingId,
      occurredAtUnixMs: this.clock.now(),
      keyRef: '',
      payload: Buffer.from(item.type.encode(item.value)),
      version: ENVELOPE_VERSION,
    };
    const envelope = this.protector ? await this.protector.seal(plain, item.type.encryption) : plain;
    return {
      key: item.meta.key ?? item.meta.meetingId,
      value: Buffer.from(Envelope.encode(envelope).finish()),
      headers: injectTraceHeaders({
        [EventHeaders.eventType]: item.type.typeName,
        [EventHeaders.eventVersion]: String(ENVELOPE_VERSION),
        [EventHeaders.eventId]: id,
      }),
    };
  }
}

/** Builds a publishMany item with its value type checked against the event type. */
export function eventItem<T>(type: EventType<T>, value: T, meta: EventMeta): PublishItem<unknown> {
  return { type, value, meta } as PublishItem<unknown>;
}
