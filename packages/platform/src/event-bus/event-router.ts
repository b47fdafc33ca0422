import { Envelope } from '@confide/contracts';
import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '../logging/logger';
import { extractTraceContext, withSpan } from '../telemetry/trace-context';
import { EventHeaders, type MessageHandler, type ReceivedMessage } from './event-bus.port';
import type { EventType } from './event-type';
import { PoisonMessageError } from './poison-message.error';

/** Decodes the Envelope of a bus message. Throws PoisonMessageError when it cannot. */
export function decodeEvent(message: ReceivedMessage): { envelope: Envelope; typeName: string } {
  let envelope: Envelope;
  try {
    envelope = Envelope.decode(message.value);
  } catch {
    throw new PoisonMessageError(`undecodable envelope at ${message.topic}/${message.partition}@${message.offset}`);
  }
  const typeName = envelope.type || message.headers[EventHeaders.eventType] || '';
  return { envelope, typeName };
}

export type EventHandler<T> = (value: T, envelope: Envelope, message: ReceivedMessage) => Promise<void>;

interface Route {
  type: EventType<unknown>;
  handler: EventHandler<unknown>;
}

/**
 * Dispatches bus messages to typed handlers by envelope type, inside the trace context
 * carried in the headers. Unknown types are acknowledged (debug log); an undecodable
 * envelope or payload throws PoisonMessageError (retried, then DLQ).
 */
export class EventRouter {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly logger: Logger) {}

  on<T>(type: EventType<T>, handler: EventHandler<T>): this {
    if (this.routes.has(type.typeName)) throw new Error(`handler already registered for ${type.typeName}`);
    this.routes.set(type.typeName, { type: type as EventType<unknown>, handler: handler as EventHandler<unknown> });
    return this;
  }

  /** The MessageHandler to subscribe with. */
  readonly handler: MessageHandler = async (message) => {
    const { envelope, typeName } = decodeEvent(message);
    const route = this.routes.get(typeName);
    if (!route) {
      this.logger.debug({ topic: message.topic, partition: message.partition, offset: message.offset, typeName }, 'ignoring event of unhandled type');
      return;
    }
    let value: unknown;
    try {
      value = route.type.decode(envelope.payload);
    } catch {
      throw new PoisonMessageError(`undecodable ${typeName} payload at ${message.topic}/${message.partition}@${message.offset}`);
    }
    await withSpan(
      `process ${message.topic}`,
      {
        'messaging.system': 'confide',
        'messaging.operation.type': 'process',
        'messaging.destination.name': message.topic,
        'messaging.destination.partition.id': String(message.partition),
        'messaging.kafka.offset': Number(message.offset),
        'messaging.message.id': envelope.id,
        'confide.event.type': typeName,
        'confide.delivery.attempt': message.attempt,
      },
      () => route.handler(value, envelope, message),
      extractTraceContext(message.headers),
      SpanKind.CONSUMER,
    );
  };
}
