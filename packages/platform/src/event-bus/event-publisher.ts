import { Envelope } from '@confide/contracts';
import { SpanKind } from '@opentelemetry/api';
import { systemClock, type Clock } from '../runtime/clock';
import { uuidGenerator, type IdGenerator } from '../runtime/ids';
import { injectTraceHeaders, withSpan } from '../telemetry/trace-context';
import { EventHeaders, type BusMessage, type EventBus } from './event-bus.port';
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
}

/**
 * Publishes typed events as protobuf Envelopes (version 1, key_ref "" until payload
 * encryption lands) with event type/version/id headers and W3C trace context.
 */
export class EventPublisher {
  private readonly clock: Clock;
  private readonly ids: IdGenerator;

  constructor(
    private readonly bus: EventBus,
    opts: EventPublisherOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.ids = opts.ids ?? uuidGenerator;
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
        const messages = items.map((item) => this.toMessage(item));
        await this.bus.publish(topic, messages);
      },
      undefined,
      SpanKind.PRODUCER,
    );
  }

  private toMessage(item: PublishItem<unknown>): BusMessage {
    const id = item.meta.eventId ?? this.ids.newId();
    const envelope: Envelope = {
      id,
      type: item.type.typeName,
      tenantId: item.meta.tenantId,
      meetingId: item.meta.meetingId,
      occurredAtUnixMs: this.clock.now(),
      keyRef: '',
      payload: Buffer.from(item.type.encode(item.value)),
      version: ENVELOPE_VERSION,
    };
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
